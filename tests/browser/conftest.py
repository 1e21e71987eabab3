"""Fixtures for tests that drive Debian's Chromium through Playwright: one browser per session, a page
with libsodium.js and crypto/js/sori-envelope.js loaded, as a reviewer's or a source's browser has, and a
live Sori server with an application on its database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright

from core import db
from sori import create_app
from tests.browser.live_server import LiveServer, run_live_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# We run as root in a closed network: no sandbox, no GPU, and nothing that phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The libsodium.js that pages load, as scripts/setup.sh builds it.
SODIUM_SCRIPTS = [ROOT / "node_modules/.sori/libsodium.js"]
ENVELOPE_SCRIPT = ROOT / "crypto/js/sori-envelope.js"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """A launched Chromium, shared by the whole session and closed at its end."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def sori_page(browser: Browser) -> Iterator[Page]:
    """A blank page with libsodium.js and sori-envelope.js loaded; ``window.sori`` is the library
    bound to the ready libsodium, ``window.sodium`` libsodium itself."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<html><head></head><body></body></html>")
    for script in [*SODIUM_SCRIPTS, ENVELOPE_SCRIPT]:
        page.add_script_tag(path=str(script))
    page.evaluate("async () => { await sodium.ready; window.sori = SoriEnvelope.create(sodium); }")
    yield page
    context.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One Sori server for the tests of a module, with the demo reviewers vetted."""
    with run_live_server(tmp_path_factory.mktemp("live-server")) as server:
        yield server


@pytest.fixture(scope="module")
def server_app(live_server: LiveServer) -> Iterator[Flask]:
    """An application on the live server's database, to set up accounts and read what the pages stored."""
    app = create_app({"SORI_DATA_DIR": live_server.data_dir, "SORI_DATABASE_URL": live_server.database_url})
    yield app
    db.database(app).engine.dispose()


@pytest.fixture(scope="module")
def no_wasm_browser(browser: Browser) -> Iterator[Browser]:
    """Chromium with WebAssembly switched off, as Tor Browser's "Safer" level does (it turns off the JIT too).

    ``--js-flags=--noexpose_wasm`` no longer hides WebAssembly in Chromium 156; V8's ``--jitless`` does, and
    the tests check that it did."""
    launched = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--js-flags=--jitless"]
    )
    yield launched
    launched.close()
