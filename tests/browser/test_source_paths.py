"""A source submits, in Korean and in English, on each of the three paths of docs/source-intake.md, with
Debian's Chromium against a real Sori server:

- ``wasm``: JavaScript and WebAssembly, so the browser encrypts (static/js/submit.js);
- ``no_wasm``: JavaScript without WebAssembly (as Tor Browser "Safer"), so the server encrypts;
- ``no_js``: JavaScript off (as Tor Browser "Safest"), so the server encrypts.

Every test plants a unique sentinel in the testimony, a person's name and the attachments' bytes, then
proves what must hold (DESIGN.md section 2): on the browser path no request body carries the sentinel; on
every path no file of the data folder, no database row, no line of the server's log and no file left in the
system temporary folder does; and ``sori decrypt`` with a demo reviewer's identity gives back every answer
and every attachment byte for byte. Then the receipt opens the status page, and a follow-up adds a second
envelope.

One file of about 500 lines: the three paths are checked with the same helpers, side by side."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.support import Translations
from playwright.sync_api import Browser, BrowserContext, Page, Request, Route, expect

from tests.browser.live_server import SORI, LiveServer

pytestmark = pytest.mark.browser

PATHS = ["wasm", "no_wasm", "no_js"]
LANGS = ["ko", "en"]
RECEIPT = re.compile(r"^\d{4} \d{4} \d{4} \d{4}$")
BIG_FILE_BYTES = 3 * 1024 * 1024 + 12345  # several 64 KiB chunks and not a multiple of one
WAIT_MS = 60_000
# Folders in the system temporary folder that belong to the browser, the source's own device, not to the
# server: Playwright's Chromium profiles and downloads.
BROWSER_TEMP_PREFIXES = ("playwright", ".org.chromium.", "chromium")


@dataclass
class Source:
    """What one test's source writes and attaches, each carrying the test's sentinel."""

    token: str
    folder: Path
    lang: str
    what_happened: str = ""
    person: str = ""
    extra_person: str = ""
    files: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def make(cls, folder: Path, lang: str) -> Source:
        token = "SENTINEL" + secrets.token_hex(8)
        folder.mkdir(parents=True, exist_ok=True)
        big = bytearray(os.urandom(BIG_FILE_BYTES))
        middle = BIG_FILE_BYTES // 2
        big[middle : middle + len(token) + 4] = f"BIN-{token}".encode("ascii")
        source = cls(
            token=token,
            folder=folder,
            lang=lang,
            what_happened=f"2019년 겨울 회령 보위부 구류장에서 조사를 받았습니다. WH-{token}\n둘째 줄.",
            person=f"김 보위원 NAME-{token}",
            extra_person=f"P4-{token}",
            files={
                "메모 1.txt": f"회령 구류장 메모 FILE-{token}\n".encode("utf-8"),
                "scan.bin": bytes(big),
            },
        )
        for name, data in source.files.items():
            (folder / name).write_bytes(data)
        return source

    def paths(self, names: list[str] | None = None) -> list[str]:
        return [str(self.folder / name) for name in (names or list(self.files))]


class Capture:
    """The bodies of the requests a page sends, as Chromium reports them."""

    def __init__(self, page: Page) -> None:
        self.requests: list[tuple[str, str, bytes]] = []
        page.on("request", self._record)

    def _record(self, request: Request) -> None:
        body = request.post_data_buffer
        self.requests.append((request.method, request.url, body or b""))

    def bodies_with(self, needle: bytes) -> list[str]:
        return [f"{method} {url}" for method, url, body in self.requests if needle in body]

    def sent(self, method: str, path: str) -> list[bytes]:
        """The bodies sent with ``method`` to a URL whose path (query aside) matches the regex ``path``."""
        return [
            body for m, url, body in self.requests if m == method and re.fullmatch(path, urlsplit(url).path)
        ]


def open_context(browser: Browser, no_wasm_browser: Browser, path: str, lang: str) -> BrowserContext:
    chosen = no_wasm_browser if path == "no_wasm" else browser
    locale = "ko-KR" if lang == "ko" else "en-US"
    return chosen.new_context(java_script_enabled=path != "no_js", locale=locale)


@contextmanager
def page_in(context: BrowserContext) -> Iterator[Page]:
    """A new page of ``context``; the context is closed when the block ends, whatever the test found."""
    try:
        yield context.new_page()
    finally:
        context.close()


def open_form(page: Page, server: LiveServer, path: str, lang: str, url: str = "/submit") -> None:
    """Opens a form page and waits until it is ready for this path."""
    page.goto(f"{server.url}{url}?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    if path == "no_wasm":
        assert page.evaluate("typeof WebAssembly") == "undefined"
    ready(page, path)


def ready(page: Page, path: str) -> None:
    """Waits until the form on ``page`` is ready for this path: the browser's encryption loaded, or the
    notice that the server will encrypt (with JavaScript, shown before anything is sent; without, always)."""
    if path == "wasm":
        wait_for_browser_encryption(page)
    elif path == "no_wasm":
        expect(page.locator("#testimony .js-server-path")).to_be_visible(timeout=WAIT_MS)
    else:
        expect(page.locator("#server-path-notice")).to_be_visible()


def wait_for_browser_encryption(page: Page) -> None:
    """submit.js marks the form and hides the server-path notice once it has taken the form over."""
    expect(page.locator("#testimony[data-enhanced=browser]")).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator("#server-path-notice")).to_be_hidden()


def fill_testimony(page: Page, source: Source, path: str) -> None:
    page.fill("#what_happened", source.what_happened)
    page.check("input[name=when_kind][value=approximate]")
    page.fill("#when_year", "2019")
    page.select_option("#when_season", "winter")
    page.fill("#where_facility", "회령 보위부 구류장")
    page.fill("#who-1-name", source.person)
    page.fill("#who-1-position", "계호원")
    if path == "no_js":
        expect(page.locator("#add-person")).to_be_hidden()
    else:
        page.click("#add-person")
        page.fill("#who-4-name", source.extra_person)
    page.check("input[name=violations][value=arbitrary_detention]")
    page.check("input[name=violations][value=forced_labour]")
    for consent in ("consent_documentation", "consent_sanctions", "consent_public", "consent_contact"):
        page.check(f"input[name={consent}][value={'no' if consent == 'consent_public' else 'yes'}]")
    page.set_input_files("#attachments", source.paths())


def send_and_read_receipt(page: Page, path: str) -> str:
    page.click("#testimony button[type=submit]")
    if path == "wasm":
        expect(page.locator("#js-receipt")).to_be_visible(timeout=WAIT_MS)
        expect(page.locator("#testimony")).to_be_hidden()
    else:
        page.wait_for_load_state()
    receipt = page.locator("#receipt-value").inner_text(timeout=WAIT_MS).strip()
    assert RECEIPT.match(receipt), receipt
    return receipt


def files_since(folder: Path, since: float, exclude: list[Path]) -> Iterator[Path]:
    """Regular files under ``folder`` changed at or after ``since``, outside ``exclude``."""
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = [
            d
            for d in dirnames
            if here / d not in exclude and not (here == folder and d.startswith(BROWSER_TEMP_PREFIXES))
        ]
        for name in filenames:
            path = here / name
            try:
                if path.is_file() and not path.is_symlink() and path.stat().st_mtime >= since:
                    yield path
            except OSError:
                continue  # gone meanwhile


def assert_no_plaintext_kept(server: LiveServer, needle: bytes, since: float, client_folder: Path) -> None:
    """No file of the data folder, no database row, no log line and no new temporary file holds ``needle``."""
    found = []
    for path in [*files_since(server.data_dir, 0, []), server.log_path]:
        if needle in path.read_bytes():
            found.append(str(path))
    if needle in server.database_text():
        found.append("a database row")
    for path in files_since(Path(tempfile.gettempdir()), since - 1, [client_folder]):
        try:
            if needle in path.read_bytes():
                found.append(str(path))
        except OSError:
            continue
    assert not found, f"plaintext {needle!r} found in {found}"


def decrypt(server: LiveServer, envelope: Path, output: Path) -> dict[str, bytes]:
    """Opens an envelope with the demo reviewer's identity through ``sori decrypt``; every part by name."""
    subprocess.run(
        [str(SORI), "decrypt", "-i", str(server.demo_identity), "-o", str(output), str(envelope)],
        env={**os.environ, "SORI_PASSPHRASE": server.demo_passphrase},
        check=True,
        capture_output=True,
        timeout=60,
    )
    if output.is_file():
        return {"answers.json": output.read_bytes()}
    return {p.name: p.read_bytes() for p in output.iterdir()}


def new_envelope(server: LiveServer, before: set[Path]) -> Path:
    added = server.envelopes() - before
    assert len(added) == 1, f"expected one new envelope, found {sorted(added)}"
    return added.pop()


def check_answers(answers: dict, source: Source, path: str) -> None:
    assert answers["format"] == "sori-answers/1"
    assert answers["lang"] == source.lang
    assert answers["path"] == ("browser" if path == "wasm" else "server")
    assert set(answers) == {"format", "lang", "path", "fields"}  # the parts describe themselves
    fields = answers["fields"]
    # Line ends may arrive as CRLF on the server paths (multipart form encoding).
    assert fields["what_happened"].replace("\r\n", "\n") == source.what_happened
    assert fields["who-1-name"] == source.person
    assert fields["who-1-position"] == "계호원"
    assert fields["violations"] == ["arbitrary_detention", "forced_labour"]
    assert fields["when_season"] == "winter"
    assert fields["consent_public"] == "no"
    assert "csrf_token" not in fields and "who-2-name" not in fields  # control fields and empty ones left out
    if path != "no_js":
        assert fields["who-4-name"] == source.extra_person


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", PATHS)
def test_submit_then_follow_up(
    browser: Browser, no_wasm_browser: Browser, live_server: LiveServer, tmp_path: Path, path: str, lang: str
) -> None:
    server = live_server
    started = time.time()
    client = tmp_path / "client"
    source = Source.make(client, lang)
    needle = source.token.encode("ascii")
    before = server.envelopes()

    with page_in(open_context(browser, no_wasm_browser, path, lang)) as page:
        capture = Capture(page)
        open_form(page, server, path, lang)
        fill_testimony(page, source, path)
        receipt = send_and_read_receipt(page, path)

        # What went over the wire.
        if path == "wasm":
            assert capture.bodies_with(needle) == []
            assert capture.sent("POST", r"/submit") == []
            # A small envelope goes in one request, a large one in pieces (docs/source-intake.md).
            pieces = capture.sent("POST", r"/api/submissions") + capture.sent("PUT", r"/api/uploads/[^/]+")
            envelope = new_envelope(server, before)
            # The capture saw the whole envelope: its silence about the sentinel is not for want of bytes.
            assert sum(len(p) for p in pieces) == envelope.stat().st_size
        else:
            assert capture.sent("PUT", r"/api/uploads/.*") == capture.sent("POST", r"/api/.*") == []
            # The form itself was posted (Chromium does not report multipart bodies with files, so only the
            # request is seen here; the server side is what the scans below check).
            assert len(capture.sent("POST", r"/submit")) == 1
            envelope = new_envelope(server, before)

        assert_no_plaintext_kept(server, needle, started, client)

        parts = decrypt(server, envelope, client / "opened-1")
        check_answers(json.loads(parts["answers.json"]), source, path)
        check_attachments(parts, source)
        # Back with the receipt: the status, then a follow-up that becomes a second envelope.
        check_status(page, capture, server, path, lang, receipt)
        follow_up = f"FU-{source.token} 추가로 기억난 것"
        (client / "더.txt").write_text(f"follow-up file FF-{source.token}", encoding="utf-8")
        before = server.envelopes()
        ready(page, path)
        page.fill("#what_happened", follow_up)
        page.set_input_files("#attachments", [str(client / "더.txt")])
        page.click("#testimony button[type=submit]")
        if path == "wasm":
            expect(page.locator("#js-receipt")).to_be_visible(timeout=WAIT_MS)
            assert capture.bodies_with(needle) == []
        else:
            page.wait_for_load_state()
            expect(page.locator(".notice.receipt")).to_be_visible()
        second = new_envelope(server, before)
        assert_no_plaintext_kept(server, needle, started, client)
        parts = decrypt(server, second, client / "opened-2")
        answers = json.loads(parts["answers.json"])
        assert answers["fields"]["what_happened"] == follow_up
        assert parts["더.txt"] == f"follow-up file FF-{source.token}".encode("utf-8")

        # The status page now counts two messages.
        check_status(page, capture, server, path, lang, receipt, envelopes=2)


def check_attachments(parts: dict[str, bytes], source: Source) -> None:
    """The files arrive byte for byte (these are of no kind that carries hidden details), and files.json
    tells reviewers so for each of them, in order."""
    report = json.loads(parts["files.json"])
    assert report["format"] == "sori-files/1"
    assert [entry["name"] for entry in report["files"]] == list(source.files)
    assert all(entry["kind"] is None and entry["removed"] == [] for entry in report["files"])
    attachments = {name: data for name, data in parts.items() if name not in ("answers.json", "files.json")}
    assert attachments == source.files


def check_status(
    page: Page, capture: Capture, server: LiveServer, path: str, lang: str, receipt: str, envelopes: int = 1
) -> None:
    """The receipt opens the status page; with WebAssembly the receipt itself is never sent."""
    page.goto(f"{server.url}/status?lang={lang}")
    if path == "wasm":
        # submit.js is ready on the status page once sodium has loaded; typing before that would post the
        # receipt itself.
        expect(page.locator("#receipt-form[data-path=browser]")).to_have_count(1, timeout=WAIT_MS)
    page.fill("#receipt", receipt)
    page.click("#receipt-form button[type=submit]")
    page.wait_for_load_state()
    status = page.locator("p.status strong")
    expect(status).to_be_visible(timeout=WAIT_MS)
    assert status.inner_text().strip() == translated(lang, "Received, waiting to be read")
    expect(page.locator("main")).to_contain_text(str(envelopes))
    if path == "wasm":
        digits = receipt.replace(" ", "").encode("ascii")
        assert capture.bodies_with(digits) == [] and capture.bodies_with(receipt.encode("ascii")) == []


TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"


def translated(lang: str, message: str) -> str:
    """``message`` as the server's catalog gives it in ``lang``; Korean must not fall back to English."""
    text = Translations.load(str(TRANSLATIONS), [lang]).gettext(message)
    if lang == "ko":
        assert text != message, f"no Korean translation of {message!r}"
    return text


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", ["wasm", "no_js"])
def test_wrong_receipt_is_refused_in_the_source_language(
    browser: Browser, no_wasm_browser: Browser, live_server: LiveServer, path: str, lang: str
) -> None:
    with page_in(open_context(browser, no_wasm_browser, path, lang)) as page:
        page.goto(f"{live_server.url}/status?lang={lang}")
        if path == "wasm":
            expect(page.locator("#receipt-form[data-path=browser]")).to_have_count(1, timeout=WAIT_MS)
        page.fill("#receipt", "0000 1111 2222 3333")
        page.click("#receipt-form button[type=submit]")
        page.wait_for_load_state()
        error = page.locator(".notice.error")
        expect(error).to_be_visible(timeout=WAIT_MS)
        assert page.locator("html").get_attribute("lang") == lang
        assert error.inner_text().strip() == translated(
            lang, "This receipt is not known. Check what you typed and try again."
        )
        expect(page.locator("p.status")).to_have_count(0)


@pytest.mark.parametrize("lang", LANGS)
def test_too_large_is_explained_and_keeps_what_was_typed(
    browser: Browser, live_server: LiveServer, tmp_path: Path, lang: str
) -> None:
    """An envelope over the server's limit is refused before anything is sent, in the page's language, and
    the form keeps the text and the files so that the source can remove a file and send again."""
    source = Source.make(tmp_path / "client", lang)
    before = live_server.envelopes()
    with page_in(browser.new_context()) as page:
        capture = Capture(page)
        open_form(page, live_server, "wasm", lang)
        page.evaluate("document.getElementById('testimony').setAttribute('data-max-bytes', '1000000')")
        fill_testimony(page, source, "wasm")
        page.click("#testimony button[type=submit]")
        error = page.locator("#js-error-message")
        expect(error).to_be_visible(timeout=WAIT_MS)
        assert error.inner_text().strip() == translated(
            lang, "The files are too large to send together. Remove some files and press Send again."
        )
        expect(page.locator("#testimony")).to_be_visible()
        assert page.input_value("#what_happened") == source.what_happened
        assert page.evaluate("document.getElementById('attachments').files.length") == 2
        assert capture.sent("POST", r"/api/.*") == [] and live_server.envelopes() == before


PIECE_BYTES = 1024 * 1024


def test_large_envelope_goes_in_pieces_through_dropped_connections(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    """Over Tor connections drop: a piece's answer lost, a piece cut off, the finish's answer lost.
    The script resumes from what the server holds, and shows the receipt once the account is stored."""
    server = live_server
    started = time.time()
    client = tmp_path / "client"
    source = Source.make(client, "en")
    needle = source.token.encode("ascii")
    before = server.envelopes()
    happened: list[str] = []
    puts = 0
    finishes = 0

    def smaller_pieces(route: Route) -> None:
        # 1 MiB pieces instead of 8, so this 3 MB envelope takes four.
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), "piece_bytes": PIECE_BYTES})

    def flaky_piece(route: Route) -> None:
        nonlocal puts
        puts += 1
        if puts == 2:
            route.fetch()  # the server stores the piece, but its answer never arrives
            happened.append("piece answer lost")
            route.abort("connectionreset")
        elif puts == 4:
            happened.append("piece cut off")
            route.abort("connectionreset")
        else:
            route.continue_()

    def flaky_finish(route: Route) -> None:
        nonlocal finishes
        finishes += 1
        if finishes == 1:
            route.fetch()
            happened.append("finish answer lost")
            route.abort("connectionreset")
        else:
            route.continue_()

    with page_in(browser.new_context(locale="en-US")) as page:
        capture = Capture(page)
        page.route(re.compile(r".*/api/uploads(\?.*)?$"), smaller_pieces)
        page.route(re.compile(r".*/api/uploads/[0-9a-f]+(\?.*)?$"), flaky_piece)
        page.route(re.compile(r".*/api/uploads/[0-9a-f]+/finish(\?.*)?$"), flaky_finish)
        open_form(page, server, "wasm", "en")
        # Envelopes up to one piece go in one request; this one must take the upload in pieces.
        page.evaluate("document.getElementById('testimony').setAttribute('data-single-max-bytes', '1')")
        fill_testimony(page, source, "wasm")
        receipt = send_and_read_receipt(page, "wasm")

        assert happened == ["piece answer lost", "piece cut off", "finish answer lost"]
        assert capture.bodies_with(needle) == []
        assert capture.sent("POST", r"/api/submissions") == []
        envelope = new_envelope(server, before)
        assert_no_plaintext_kept(server, needle, started, client)
        parts = decrypt(server, envelope, client / "opened")
        check_answers(json.loads(parts["answers.json"]), source, "wasm")
        check_attachments(parts, source)
        check_status(page, capture, server, "wasm", "en", receipt)


def test_recipients_changed_while_writing(browser: Browser, live_server: LiveServer, tmp_path: Path) -> None:
    """A reviewer is added while the form is open: the server refuses the envelope sealed to the old list,
    and the script fetches the new list, seals again and succeeds. (Runs last: it adds a recipient.)"""
    server = live_server
    client = tmp_path / "client"
    source = Source.make(client, "ko")
    before = server.envelopes()
    with page_in(browser.new_context(locale="ko-KR")) as page:
        capture = Capture(page)
        open_form(page, server, "wasm", "ko")
        fill_testimony(page, source, "wasm")

        env = {
            **os.environ,
            "SORI_DATA_DIR": str(server.data_dir),
            "SORI_DATABASE_URL": server.database_url,
            "SORI_PASSPHRASE": "late reviewer passphrase",
        }
        identity = client / "late.identity"
        subprocess.run([str(SORI), "keygen", "-o", str(identity)], env=env, check=True, capture_output=True)
        public_key = json.loads(identity.read_text(encoding="utf-8"))["public_key"]
        subprocess.run(
            [str(SORI), "recipients", "add", "late-reviewer", public_key],
            env=env,
            check=True,
            capture_output=True,
        )

        send_and_read_receipt(page, "wasm")
        assert len(capture.sent("POST", r"/api/submissions")) == 2  # refused once, then sealed again
        envelope = new_envelope(server, before)
        assert envelope.read_bytes()[9] == 3  # three recipient stanzas: the demo reviewers and the new one
        parts = decrypt(server, envelope, client / "opened")
        check_answers(json.loads(parts["answers.json"]), source, "wasm")
