"""Reviewer pages on a phone 360 px wide, in Debian's Chromium against a real Sori server: the page itself
never scrolls sideways, in Korean or in English; a table wider than the screen scrolls inside its own box,
and a filter with long choices shrinks to the screen."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Browser
from sqlalchemy import select

from core import db
from core.models import Submission
from reviewer import enrolment, triage
from reviewer.records.models import PersonName
from tests.browser.live_server import LiveServer
from tests.browser.reviewer_session import PASSWORD, log_in
from tests.reviewer.reading_helpers import give_vetted_key

pytestmark = pytest.mark.browser

WIDTH = 360


def test_reviewer_lists_and_a_person_page_fit_a_narrow_phone(
    browser: Browser, live_server: LiveServer, server_app: Flask
) -> None:
    with server_app.app_context():
        session = db.session()
        user = enrolment.create_enrolled_user(session, "narrow.reader", "좁은 화면", PASSWORD, reviewer=True)
        # What makes inbox rows wide: an assignee and tags written without spaces.
        for submission in session.scalars(select(Submission)):
            triage.assign(session, submission, user, user)
            triage.add_tag(session, submission, "회령-노동단련대-2017", user)
        session.commit()
        user_id, secret = user.id, user.totp_secret
        # A demo official: ``sori demo`` made the records that the lists show.
        person_id = session.scalars(select(PersonName.person_id).where(PersonName.name == "염길후")).one()
    assert secret is not None
    give_vetted_key(server_app, user_id)
    context = browser.new_context(locale="ko-KR", viewport={"width": WIDTH, "height": 740})
    page = context.new_page()
    too_wide = {}
    try:
        log_in(page, live_server, "narrow.reader", secret)
        for path in (
            "/reviewer/inbox",
            "/reviewer/records/incidents",
            "/reviewer/records/persons",
            f"/reviewer/records/persons/{person_id}",
        ):
            for lang in ("ko", "en"):
                page.goto(f"{live_server.url}{path}?lang={lang}")
                page.wait_for_load_state()
                assert page.locator("table").count() > 0, path
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > WIDTH:
                    too_wide[f"{path}?lang={lang}"] = width
        # A page of settings and decisions rather than lists: the retention policies (read-only to reviewers).
        for path in ("/reviewer/retention",):
            for lang in ("ko", "en"):
                response = page.goto(f"{live_server.url}{path}?lang={lang}")
                assert response is not None and response.status == 200, path
                page.wait_for_load_state()
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > WIDTH:
                    too_wide[f"{path}?lang={lang}"] = width
    finally:
        context.close()
    assert too_wide == {}
