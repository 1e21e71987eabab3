"""Hidden metadata leaves a source's files on every path (issue 12), in Debian's Chromium: the page says
what it found before sending (with JavaScript), the photos and the PDF come out of ``sori decrypt`` with no
place, device, time or author left (exiftool), the files part tells reviewers what was removed, and a file
that cannot be cleaned is sent as it is, with the source told so.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.live_server import LiveServer
from tests.browser.test_source_paths import WAIT_MS, decrypt, new_envelope, open_context, page_in
from tests.intake.metadata_fixtures import EXPECTED, make_fixtures
from tests.intake.test_metadata import exiftool_tags, identifying

pytestmark = [pytest.mark.browser, pytest.mark.once]

PATHS = ["wasm", "no_wasm", "no_js"]
RECEIPT = re.compile(r"\d{4} \d{4} \d{4} \d{4}")
SENT = ["photo.jpg", "photo.png", "photo.heic", "document.pdf", "notes.txt"]


@pytest.mark.parametrize("path", PATHS)
def test_photos_and_documents_arrive_without_their_hidden_details(
    browser: Browser, no_wasm_browser: Browser, live_server: LiveServer, tmp_path: Path, path: str
) -> None:
    fixtures = make_fixtures(tmp_path / "client")
    before = live_server.envelopes()
    with page_in(open_context(browser, no_wasm_browser, path, "en")) as page:
        page.goto(f"{live_server.url}/submit?lang=en")
        if path == "wasm":
            expect(page.locator("#testimony[data-path=browser]")).to_have_count(1, timeout=WAIT_MS)
        page.fill("#what_happened", "Photos from the border")
        page.set_input_files("#attachments", [str(fixtures[name]) for name in SENT])
        if path != "no_js":
            found = page.locator("#metadata-found")
            expect(found).to_be_visible(timeout=WAIT_MS)
            text = found.inner_text()
            assert "photo.jpg: Hidden details found, to be removed: place (GPS), device" in text
            assert "notes.txt: we cannot remove hidden details from this kind of file" in text
        page.click("#testimony button[type=submit]")
        expect(page.locator("#receipt-value")).to_have_text(RECEIPT, timeout=WAIT_MS)
        if path != "wasm":
            expect(page.locator("main")).to_contain_text("1 file was sent as it was")

    opened = tmp_path / "opened"
    decrypt(live_server, new_envelope(live_server, before), opened)
    report = json.loads((opened / "files.json").read_bytes())
    assert report["format"] == "sori-files/1"
    assert {
        entry["name"]: (entry["kind"], tuple(entry["removed"]), entry["complete"])
        for entry in report["files"]
    } == {name: EXPECTED[name] for name in SENT}
    tags = exiftool_tags([opened / name for name in SENT if EXPECTED[name][0]])
    assert {name: identifying(found) for name, found in tags.items()} == {
        name: {} for name in SENT if EXPECTED[name][0]
    }
    assert (opened / "notes.txt").read_bytes() == fixtures["notes.txt"].read_bytes()


def test_a_source_may_keep_the_hidden_details(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    fixtures = make_fixtures(tmp_path / "client")
    before = live_server.envelopes()
    with page_in(browser.new_context(locale="en-US")) as page:
        page.goto(f"{live_server.url}/submit?lang=en")
        expect(page.locator("#testimony[data-path=browser]")).to_have_count(1, timeout=WAIT_MS)
        page.fill("#what_happened", "This photo's place matters")
        page.check("input[name=keep_metadata]")
        page.set_input_files("#attachments", [str(fixtures["photo.jpg"])])
        expect(page.locator("#metadata-found")).to_contain_text(
            "kept as it is, as you chose", timeout=WAIT_MS
        )
        page.click("#testimony button[type=submit]")
        expect(page.locator("#receipt-value")).to_have_text(RECEIPT, timeout=WAIT_MS)
    opened = tmp_path / "opened"
    decrypt(live_server, new_envelope(live_server, before), opened)
    assert (opened / "photo.jpg").read_bytes() == fixtures["photo.jpg"].read_bytes()
    assert json.loads((opened / "files.json").read_bytes())["files"] == [{"name": "photo.jpg", "kept": True}]
