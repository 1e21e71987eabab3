"""A source's phone that someone else picks up later, in Debian's Chromium on each of the three paths
(docs/source-intake.md): after quick exit, Back and reload reveal no receipt and no status and send
nothing again; Send waits until the browser's encryption is settled and never falls back to the server
silently; an empty account is refused before anything is encrypted; only the chosen kind of date shows.

Back is the browser's own history (``page.go_back`` walks the real session history, and ``page.reload``
re-posts a form exactly as a person confirming "send again" would).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Error, Page, Route, expect
from sqlalchemy import create_engine, func, select, table

from tests.browser.live_server import LiveServer
from tests.browser.test_source_paths import (
    WAIT_MS,
    Capture,
    open_context,
    page_in,
    ready,
    translated,
    wait_for_browser_encryption,
)

pytestmark = pytest.mark.browser

PATHS = ["wasm", "no_wasm", "no_js"]
EXIT = "https://www.wikipedia.org/"
DIGITS = re.compile(r"\d{4} \d{4} \d{4} \d{4}")
SENTINEL = "SAFETY-SENTINEL 회령 구류장에서 있었던 일"


def submissions_in(server: LiveServer) -> int:
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(table("submissions"))).scalar_one()
    finally:
        engine.dispose()


def source_context(browser: Browser, no_wasm_browser: Browser, path: str, lang: str = "ko") -> BrowserContext:
    context = open_context(browser, no_wasm_browser, path, lang)
    # The quick-exit page, served here: this machine reaches no other site.
    context.route(EXIT + "**", lambda route: route.fulfill(body="<html><body>weather</body></html>"))
    return context


def write_account(page: Page, text: str = SENTINEL) -> None:
    page.fill("#what_happened", text)


def shown_text(page: Page) -> str:
    """What the tab shows now, whatever it is (Chromium's own error page included)."""
    try:
        return page.locator("body").inner_text(timeout=5000)
    except Error:
        return ""


def back(page: Page) -> None:
    """The Back button: a history entry whose POST is not cached shows Chromium's error page."""
    try:
        page.go_back(wait_until="load", timeout=WAIT_MS)
    except Error as error:
        assert "ERR_CACHE_MISS" in str(error), error


@pytest.mark.parametrize("path", PATHS)
def test_back_and_reload_after_quick_exit_reveal_and_resend_nothing(
    browser: Browser, no_wasm_browser: Browser, live_server: LiveServer, path: str
) -> None:
    server = live_server
    with page_in(source_context(browser, no_wasm_browser, path)) as page:
        page.goto(f"{server.url}/?lang=ko")
        page.goto(f"{server.url}/submit?lang=ko")
        ready(page, path)
        write_account(page)
        before = submissions_in(server)
        page.click("#testimony button[type=submit]")
        receipt = page.locator("#receipt-value")
        expect(receipt).to_have_text(DIGITS, timeout=WAIT_MS)
        assert submissions_in(server) == before + 1

        page.click("#quick-exit")
        page.wait_for_url(EXIT, timeout=WAIT_MS)
        for _ in range(3):  # walk all the way back, reloading each step as a curious person might
            back(page)
            for text in (shown_text(page), page.content()):
                assert not DIGITS.search(text) and SENTINEL not in text, text[:300]
            if page.url.startswith(server.url):
                try:
                    page.reload(wait_until="load", timeout=WAIT_MS)
                except Error as error:  # a reload of Chromium's own error page
                    assert "ERR_" in str(error), error
                text = shown_text(page)
                assert not DIGITS.search(text) and SENTINEL not in text, text[:300]
                assert translated("ko", "Your account has been received") not in text
        assert submissions_in(server) == before + 1


@pytest.mark.parametrize("path", PATHS)
def test_back_after_quick_exit_from_the_status_page_shows_no_status(
    browser: Browser, no_wasm_browser: Browser, live_server: LiveServer, path: str
) -> None:
    server = live_server
    with page_in(source_context(browser, no_wasm_browser, path, "en")) as page:
        page.goto(f"{server.url}/submit?lang=en")
        ready(page, path)
        write_account(page)
        page.click("#testimony button[type=submit]")
        expect(page.locator("#receipt-value")).to_have_text(DIGITS, timeout=WAIT_MS)
        digits = page.locator("#receipt-value").inner_text()
        page.goto(f"{server.url}/status?lang=en")
        if path == "wasm":
            expect(page.locator("#receipt-form[data-path=browser]")).to_have_count(1, timeout=WAIT_MS)
        page.fill("#receipt", digits)
        page.click("#receipt-form button[type=submit]")
        expect(page.locator("p.status")).to_be_visible(timeout=WAIT_MS)
        envelopes_before = len(server.envelopes())

        page.click("#quick-exit")
        page.wait_for_url(EXIT, timeout=WAIT_MS)
        for _ in range(4):
            back(page)
            if page.url.startswith(server.url):
                try:
                    page.reload(wait_until="load", timeout=WAIT_MS)
                except Error as error:
                    assert "ERR_" in str(error), error
            text = shown_text(page)
            assert "Status:" not in text and not DIGITS.search(text) and SENTINEL not in text, text[:300]
            assert not page.locator("input[name=follow_up_key]").count()
        assert len(server.envelopes()) == envelopes_before


def test_send_waits_while_the_crypto_loads_and_never_falls_back_silently(
    browser: Browser, live_server: LiveServer
) -> None:
    """With WebAssembly, a Send pressed while libsodium is still on its way (held back here, as over a slow
    Tor circuit) sends nothing to the server; once it has loaded, the browser encrypts."""
    server = live_server
    held: list[Route] = []
    releasing = False

    def hold(route: Route) -> None:
        if releasing:
            route.continue_()
        else:
            held.append(route)

    with page_in(browser.new_context(locale="en-US")) as page:
        capture = Capture(page)
        page.route(re.compile(r".*/vendor/.*"), hold)
        page.goto(f"{server.url}/submit?lang=en", wait_until="domcontentloaded")
        write_account(page)
        send = page.locator("#testimony button[type=submit]")
        expect(page.locator("#testimony .js-preparing")).to_be_visible()
        expect(send).to_be_disabled()
        send.click(force=True)  # a tap on the greyed button
        page.locator("#what_happened").press("Enter")
        page.wait_for_timeout(1500)
        assert capture.sent("POST", r"/submit") == [] and capture.sent("POST", r"/api/.*") == []
        assert page.url.startswith(f"{server.url}/submit")
        expect(page.locator("#testimony .js-server-path")).to_be_hidden()

        releasing = True
        assert held  # the crypto was really held back, not merely slow
        for route in held:
            route.continue_()
        wait_for_browser_encryption(page)
        expect(page.locator("#testimony .js-preparing")).to_be_hidden()
        send.click()
        expect(page.locator("#receipt-value")).to_have_text(DIGITS, timeout=WAIT_MS)
        assert capture.sent("POST", r"/submit") == []
        assert capture.bodies_with(SENTINEL.encode()) == []
        assert len(capture.sent("POST", r"/api/submissions")) == 1


def test_a_crypto_that_cannot_load_says_the_server_will_encrypt_before_sending(
    browser: Browser, live_server: LiveServer
) -> None:
    with page_in(browser.new_context(locale="ko-KR")) as page:
        page.route(re.compile(r".*/vendor/.*"), lambda route: route.abort("connectionreset"))
        page.goto(f"{live_server.url}/submit?lang=ko")
        notice = page.locator("#testimony .js-server-path")
        expect(notice).to_be_visible(timeout=WAIT_MS)
        assert "서버" in notice.inner_text() and "암호화" in notice.inner_text()
        expect(page.locator("#testimony button[type=submit]")).to_be_enabled()
        expect(page.locator("#testimony .js-preparing")).to_be_hidden()


@pytest.mark.parametrize("path", PATHS)
def test_white_space_is_not_an_account(
    browser: Browser, no_wasm_browser: Browser, live_server: LiveServer, path: str
) -> None:
    server = live_server
    with page_in(source_context(browser, no_wasm_browser, path)) as page:
        capture = Capture(page)
        page.goto(f"{server.url}/submit?lang=ko")
        ready(page, path)
        before = submissions_in(server)
        page.fill("#what_happened", "  \n ")
        page.check("input[name=consent_contact][value=yes]")
        page.click("#testimony button[type=submit]")
        if path == "wasm":
            error = page.locator("#js-error-message")
            expect(error).to_have_text(
                translated("ko", "Write what happened before sending: the box is empty.")
            )
            assert capture.sent("POST", r"/api/.*") == []
        else:
            page.wait_for_load_state()
            expect(page.locator("main")).to_contain_text(
                translated(
                    "ko",
                    "Nothing was written under “What happened?”. Write what happened, then send it. "
                    "The other questions can stay unanswered.",
                )
            )
        assert submissions_in(server) == before


def test_without_javascript_only_the_chosen_dates_show(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(
        java_script_enabled=False, locale="en-US", viewport={"width": 360, "height": 800}
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/submit?lang=en")
        fields = {"exact": "#when_date", "approximate": "#when_year", "range": "#when_from_year"}
        for selector in fields.values():
            expect(page.locator(selector)).to_be_hidden()
        for kind, selector in fields.items():
            page.check(f"input[name=when_kind][value={kind}]")
            expect(page.locator(selector)).to_be_visible()
            for other in set(fields.values()) - {selector}:
                expect(page.locator(other)).to_be_hidden()
        page.check("input[name=when_kind][value=unknown]")
        for selector in fields.values():
            expect(page.locator(selector)).to_be_hidden()
    finally:
        context.close()


def test_every_control_a_source_taps_is_at_least_44_px(browser: Browser, live_server: LiveServer) -> None:
    """At 360 px wide, on every source page: buttons, link buttons, the header's links, text fields, the
    file chooser, and each radio or checkbox through the row (label) that holds it. Links inside a sentence
    are text, not controls (WCAG 2.5.8's inline exception)."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 800})
    measure = """() => {
      const small = [];
      const targets = document.querySelectorAll(
        'button, a.button, header a, input:not([type=hidden]), select, textarea');
      for (const element of targets) {
        const choice = element.type === 'radio' || element.type === 'checkbox';
        const box = choice ? element.closest('label') : element;
        const rect = box.getBoundingClientRect();
        if (rect.width === 0 && rect.height === 0) continue;  // not shown (e.g. another kind of date)
        if (rect.height < 44 || rect.width < 44) {
          small.push(`${element.tagName} ${element.name || element.id || element.textContent.trim()}: ` +
                     `${Math.round(rect.width)}x${Math.round(rect.height)}`);
        }
      }
      return small;
    }"""
    try:
        page = context.new_page()
        for path in ("/", "/submit", "/status", "/readers", "/no-such-page"):
            page.goto(f"{live_server.url}{path}?lang=ko")
            for kind in ("exact", "approximate", "range"):
                if page.locator(f"input[name=when_kind][value={kind}]").count():
                    page.check(f"input[name=when_kind][value={kind}]")
                    assert page.evaluate(measure) == [], (path, kind)
            assert page.evaluate(measure) == [], path
    finally:
        context.close()
