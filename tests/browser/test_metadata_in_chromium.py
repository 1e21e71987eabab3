"""static/js/metadata.js in Chromium: on every fixture it gives the server's bytes and report, and each
cleaned image still renders, the same size (its orientation applied) and the same pixels as before."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from intake.metadata import clean
from tests.browser.conftest import ROOT
from tests.intake.metadata_fixtures import RENDERED, make_fixtures

pytestmark = pytest.mark.browser

METADATA_SCRIPT = ROOT / "static/js/metadata.js"

#: Cleans the bytes given (base64) in the page and, for an image, draws the original and the cleaned
#: file: their size and their pixels.
CLEAN_AND_DRAW = """async ([data, draw]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const original = new Blob([bytes]);
  const result = await SoriMetadata.clean(original);
  const out = new Uint8Array(await result.blob.arrayBuffer());
  const text = (array) => btoa(Array.from(array, (byte) => String.fromCharCode(byte)).join(''));
  const drawn = async (blob) => {
    const bitmap = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    context.drawImage(bitmap, 0, 0);
    const pixels = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
    return [bitmap.width, bitmap.height, text(pixels)];
  };
  return {
    data: text(out),
    report: [result.kind, result.removed, result.complete, result.reason],
    drawn: draw ? [await drawn(original), await drawn(result.blob)] : null,
  };
}"""


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<html><head></head><body></body></html>")
    page.add_script_tag(path=str(METADATA_SCRIPT))
    yield page
    context.close()


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_fixtures(tmp_path_factory.mktemp("metadata"))


def test_cleans_as_the_server_does_and_the_images_still_render(page: Page, fixtures: dict[str, Path]) -> None:
    for name, path in fixtures.items():
        data = path.read_bytes()
        expected, report = clean(data)
        result = page.evaluate(CLEAN_AND_DRAW, [base64.b64encode(data).decode(), name in RENDERED])
        assert base64.b64decode(result["data"]) == expected, name
        assert result["report"] == [report.kind, list(report.removed), report.complete, report.reason], name
        if name in RENDERED:
            before, after = result["drawn"]
            assert after == before, name
    # The orientations were applied: rotated a quarter turn, the 64 x 48 pictures stand upright.
    for name in ("photo.jpg", "photo.png"):
        drawn = page.evaluate(CLEAN_AND_DRAW, [base64.b64encode(fixtures[name].read_bytes()).decode(), True])
        assert drawn["drawn"][1][:2] == [48, 64], name
