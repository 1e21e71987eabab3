"""The pictures of the records pages in Debian's Chromium against a real Sori server with the demo records:
each is drawn (an ``<svg role="img">`` with its title), in Korean and in English; at 360 px the page never
scrolls sideways while a wide picture scrolls inside its own box; axe finds no violation on the pages that
carry them; and a screenshot of each picture in each language is kept for a person to look at, in
``test-artifacts/pictures/`` (git-ignored; CI leaves it in its checkout)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import select

from core import db
from reviewer.records.models import Act, Facility, FacilityName, Organization, PersonName
from tests.browser.live_server import LiveServer
from tests.browser.reviewer_session import log_in_demo_reviewer
from tests.browser.test_accessibility import AXE, violations

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pictures"
NARROW = 360


def _demo_paths(app: Flask) -> dict[str, str]:
    """The demo's pages that carry a picture, by the picture's name."""
    with app.app_context():
        session = db.session()
        chief = session.scalars(select(PersonName.person_id).where(PersonName.name == "리평갑")).one()
        interrogator = session.scalars(select(PersonName.person_id).where(PersonName.name == "김상출")).one()
        ministry = session.scalars(select(Organization.id).where(Organization.name_ko == "국가보위성")).one()
        onsong = session.scalars(
            select(FacilityName.facility_id).where(FacilityName.name == "온성군 보위부 구류장")
        ).one()
        act = session.scalars(
            select(Act.id).where(Act.violation == "torture_interrogation", Act.facility_id == onsong)
        ).one()
        assert session.get(Facility, onsong) is not None
    base = "/reviewer/records"
    return {
        "chain-person": f"{base}/persons/{chief}/chain",
        "chain-organization": f"{base}/organizations/{ministry}/chain",
        "chain-facility": f"{base}/facilities/{onsong}/chain",
        "chain-act": f"{base}/acts/{act}",
        "timeline-person": f"{base}/persons/{interrogator}",
        "timeline-facility": f"{base}/facilities/{onsong}",
        "map-facilities": f"{base}/facilities",
        "map-organization": f"{base}/organizations/{ministry}",
        "counts": f"{base}/",
    }


@pytest.fixture(scope="module")
def reviewer(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """``sori demo``'s first reviewer, logged in once for the module (a TOTP code is good once); the
    context bypasses the CSP only so that axe can be injected."""
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in_demo_reviewer(page, live_server)
    page.close()
    yield context
    context.close()


def _open(context: BrowserContext, url: str, width: int) -> Page:
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(url)
    page.wait_for_load_state()
    return page


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_picture_is_drawn_and_kept_as_a_screenshot(
    reviewer: BrowserContext, live_server: LiveServer, server_app: Flask, lang: str
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    missing = []
    for name, path in _demo_paths(server_app).items():
        page = _open(reviewer, f"{live_server.url}{path}?lang={lang}", 1280)
        try:
            figures = page.locator("figure.picture")
            if figures.count() == 0:
                missing.append(name)
                continue
            for index in range(figures.count()):
                figure = figures.nth(index)
                svg = figure.locator("svg[role=img]")
                assert svg.count() == 1, name
                title = svg.locator("title").text_content()
                assert title, name
                assert svg.get_attribute("aria-labelledby"), name
                suffix = "" if figures.count() == 1 else f"-{index + 1}"
                figure.locator(".picture-box svg").screenshot(
                    path=str(ARTIFACTS / f"{name}{suffix}-{lang}.png")
                )
        finally:
            page.close()
    assert missing == []


def test_pictures_fit_a_narrow_phone_by_scrolling_inside_their_box(
    reviewer: BrowserContext, live_server: LiveServer, server_app: Flask
) -> None:
    too_wide, unscrollable = {}, []
    for name, path in _demo_paths(server_app).items():
        for lang in ("ko", "en"):
            page = _open(reviewer, f"{live_server.url}{path}?lang={lang}", NARROW)
            try:
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > NARROW:
                    too_wide[f"{name} {lang}"] = width
                for box in page.locator(".picture-box").all():
                    sizes = box.evaluate("b => [b.scrollWidth, b.clientWidth, getComputedStyle(b).overflowX]")
                    if sizes[0] > sizes[1] and sizes[2] not in ("auto", "scroll"):
                        unscrollable.append(f"{name} {lang}")
            finally:
                page.close()
    assert too_wide == {}
    assert unscrollable == []


@pytest.mark.parametrize("width", [NARROW, 1280])
def test_pages_with_pictures_have_no_accessibility_violation(
    reviewer: BrowserContext, live_server: LiveServer, server_app: Flask, width: int
) -> None:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run scripts/setup.sh (npm ci installs axe-core)")
    found = {}
    for name, path in _demo_paths(server_app).items():
        for lang in ("ko", "en"):
            page = _open(reviewer, f"{live_server.url}{path}?lang={lang}", width)
            try:
                found[f"{name} {lang}"] = violations(page)
            finally:
                page.close()
    assert {page: lines for page, lines in found.items() if lines} == {}


def test_pictures_read_with_javascript_off(
    browser: Browser, reviewer: BrowserContext, live_server: LiveServer, server_app: Flask
) -> None:
    """The same pages without JavaScript still draw every picture (nothing in them is scripted)."""
    cookies = reviewer.cookies()
    context = browser.new_context(java_script_enabled=False)
    context.add_cookies(cookies)
    try:
        page = context.new_page()
        for name, path in _demo_paths(server_app).items():
            page.goto(f"{live_server.url}{path}?lang=en")
            assert page.locator("figure.picture svg[role=img] text").count() > 0, name
    finally:
        context.close()
