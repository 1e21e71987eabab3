"""axe-core (from npm, never served to anyone) finds no accessibility violation on the source pages and the
main reviewer pages, at a phone's 360 px and a desk's 1280 px, in Korean and English.

axe runs with its default rules (WCAG 2.0 to 2.2 A and AA, and its best practices). It is injected into
pages whose Content-Security-Policy forbids injected scripts, so these contexts bypass the CSP; the pages
are otherwise exactly what a source or a reviewer gets.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.live_server import LiveServer
from tests.browser.reviewer_session import log_in_demo_reviewer

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = [360, 1280]
SOURCE_PAGES = ["/", "/submit", "/status", "/readers", "/no-such-page"]
REVIEWER_PAGES = [
    "/reviewer/",
    "/reviewer/inbox",
    "/reviewer/keys",
    "/reviewer/records/",
    "/reviewer/records/persons",
    "/reviewer/records/incidents",
    "/reviewer/records/facilities",
    "/reviewer/records/organizations",
    "/reviewer/records/search?q=리",
    "/reviewer/dossiers/",
]


def violations(page: Page) -> list[str]:
    """axe's findings on the page as it is now, one line each (rule, impact, where)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in found
    ]


@pytest.fixture(scope="module")
def axe_context(browser: Browser) -> Iterator[BrowserContext]:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run scripts/setup.sh (npm ci installs axe-core)")
    context = browser.new_context(bypass_csp=True)
    yield context
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_source_pages_have_no_violation(
    axe_context: BrowserContext, live_server: LiveServer, lang: str, width: int
) -> None:
    page = axe_context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    try:
        found = {}
        for path in SOURCE_PAGES:
            page.goto(f"{live_server.url}{path}?lang={lang}")
            found[path] = violations(page)
        # The pages a source meets after sending: the receipt, and the expired page of a replay.
        page.goto(f"{live_server.url}/submit?lang={lang}")
        expect(page.locator("#testimony[data-path=browser]")).to_have_count(1, timeout=60_000)
        page.fill("#what_happened", "axe")
        page.click("#testimony button[type=submit]")
        expect(page.locator("#js-receipt")).to_be_visible(timeout=60_000)
        found["receipt"] = violations(page)
        digits = page.locator("#receipt-value").inner_text()
        page.goto(f"{live_server.url}/status?lang={lang}")
        expect(page.locator("#receipt-form[data-path=browser]")).to_have_count(1, timeout=60_000)
        page.fill("#receipt", digits)
        page.click("#receipt-form button[type=submit]")
        expect(page.locator("p.status")).to_be_visible(timeout=60_000)
        found["status"] = violations(page)
        assert {path: lines for path, lines in found.items() if lines} == {}
    finally:
        page.close()


@pytest.fixture(scope="module")
def reviewer_page(axe_context: BrowserContext, live_server: LiveServer) -> Iterator[Page]:
    """A page logged in as ``sori demo``'s first reviewer, once for the module: a TOTP code is good once."""
    page = axe_context.new_page()
    log_in_demo_reviewer(page, live_server)
    yield page
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_login_pages_have_no_violation(
    axe_context: BrowserContext, live_server: LiveServer, width: int
) -> None:
    page = axe_context.browser.new_context(bypass_csp=True).new_page()
    page.set_viewport_size({"width": width, "height": 900})
    try:
        page.goto(f"{live_server.url}/reviewer/login?lang=ko")
        found = {"login": violations(page)}
        page.fill("#login", "nobody")
        page.fill("#password", "wrong password")
        page.click("form.account button[type=submit]")
        page.wait_for_load_state()
        found["login refused"] = violations(page)
        assert {path: lines for path, lines in found.items() if lines} == {}
    finally:
        page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_reviewer_pages_have_no_violation(reviewer_page: Page, live_server: LiveServer, width: int) -> None:
    page = reviewer_page
    page.set_viewport_size({"width": width, "height": 900})
    found = {}
    for path in REVIEWER_PAGES:
        page.goto(f"{live_server.url}{path}")
        found[path] = violations(page)
    page.goto(f"{live_server.url}/reviewer/inbox")
    page.locator("table a[href*='/reviewer/submissions/']").first.click()
    page.wait_for_load_state()
    found["submission"] = violations(page)
    page.goto(f"{live_server.url}/reviewer/records/persons")
    page.locator("main table a[href*='/reviewer/records/persons/']").first.click()
    page.wait_for_load_state()
    found["person"] = violations(page)
    assert {path: lines for path, lines in found.items() if lines} == {}
