"""The records story in Korean, in Debian's Chromium against a real Sori server (issue 5).

A reviewer with a vetted key opens a verified submission and reads it in the browser, then goes to the
submission's linking page and, through the pages, records its source and consent, a new incident, a new
facility, a new act there, a new perpetrator with his part in the act, and links the submission as a
source of the act and of his part. On his person page the reviewer records his post: a guard in a county
unit of the Ministry of State Security, in the hierarchy ``sori demo`` made (unit → county department →
provincial bureau → ministry, whose minister in office at the act's date is not the one before him). From
the perpetrator's chain of command the reviewer goes up to the minister and opens the minister's chain
view, which lists the act under him. No request carries the testimony's plaintext, and the server keeps
none.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from core import db
from core.models import Submission
from reviewer import enrolment, triage
from reviewer.models import User
from reviewer.records.models import Information, Organization, PersonName, Position
from tests.browser.live_server import LiveServer
from tests.browser.reviewer_session import PASSWORD, Recorder, log_in
from tests.reviewer.reading_helpers import add_submission, give_vetted_key

pytestmark = pytest.mark.browser

WAIT_MS = 60_000
KEY_PASSPHRASE = "열쇠 암호 RECORDS-" + os.urandom(6).hex()
MARK = os.urandom(5).hex()
TESTIMONY = f"2019년 11월 온성 보위부 구류장에서 계호원 박철웅이 밤마다 때렸습니다 {MARK}"
ACT_ID = re.compile(r"/reviewer/records/acts/(\d+)")
PERSON_ID = re.compile(r"/reviewer/records/persons/(\d+)$")


def korean(page: Page) -> None:
    """The page is in Korean."""
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ko", page.url


def submit(page: Page, form: str) -> None:
    """Submit ``form`` (a selector) with its submit button and wait for the page it leads to."""
    with page.expect_navigation(timeout=WAIT_MS):
        page.locator(form).locator("button[type=submit]").click()
    korean(page)


def _setup(server_app: Flask) -> tuple[str, str, str, int, int]:
    """A reviewer with a vetted key, and a submission sealed to it that two reviewers verified; returns the
    reviewer's login, TOTP secret, the submission's id, the demo guard post and the demo minister's id."""
    with server_app.app_context():
        session = db.session()
        reader = enrolment.create_enrolled_user(session, "records.reader", "기록", PASSWORD, reviewer=True)
        second = enrolment.create_enrolled_user(session, "records.second", "둘째", PASSWORD, reviewer=True)
        session.commit()
        reader_id, second_id, secret = reader.id, second.id, reader.totp_secret
    assert secret is not None
    give_vetted_key(server_app, reader_id, passphrase=KEY_PASSPHRASE)
    submission_id, _envelope_id = add_submission(
        server_app,
        {
            "submitter": "survivor",
            "what_happened": TESTIMONY,
            "violations": ["torture_interrogation"],
            "consent_documentation": "yes",
            "consent_sanctions": "yes",
        },
    )
    with server_app.app_context():
        session = db.session()
        submission = session.get(Submission, submission_id)
        reader, second = session.get(User, reader_id), session.get(User, second_id)
        triage.change_state(session, submission, "in_review", reader)
        triage.change_state(session, submission, "verified", reader)
        triage.change_state(session, submission, "verified", second)
        session.commit()
        guard_post = session.scalars(
            select(Position.id)
            .join(Organization)
            .where(Organization.name_ko == "온성군 보위부 구류장 계호대", Position.title_ko == "계호원")
        ).one()
        minister = session.scalars(select(PersonName.person_id).where(PersonName.name == "염길후")).one()
    return "records.reader", secret, submission_id, guard_post, minister


def test_a_testimony_is_linked_to_new_records_and_reaches_the_minister_in_korean(
    browser: Browser, live_server: LiveServer, server_app: Flask
) -> None:
    login, secret, submission_id, guard_post, minister_id = _setup(server_app)
    recorder = Recorder()
    context = browser.new_context(locale="ko-KR")
    context.on("request", recorder)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        log_in(page, live_server, login, secret)

        # The verified submission, read in the browser.
        page.goto(f"{live_server.url}/reviewer/inbox")
        korean(page)
        page.click(f'tr[data-submission-id="{submission_id}"] a')
        korean(page)
        expect(page.locator("#submission-state")).to_have_attribute("data-state", "verified")
        expect(page.locator("#reader")).to_have_attribute("data-ready", "true", timeout=WAIT_MS)
        page.click("#envelope-1 .read-button")
        expect(page.locator("#passphrase-form")).to_be_visible()
        page.fill("#key-passphrase", KEY_PASSPHRASE)
        page.press("#key-passphrase", "Enter")
        expect(page.locator("#envelope-1")).to_have_attribute("data-read", "done", timeout=WAIT_MS)
        expect(page.locator("#envelope-1 .answers")).to_contain_text(MARK)

        # The linking page: its reminder, then the source and the consent the testimony gave.
        with page.expect_navigation():
            page.click("#records-link")
        korean(page)
        expect(page.locator("#identity-reminder")).to_be_visible()
        page.check("#step-source input[name=source][value=new]")
        # The page filled in the consent the reviewer's browser just read in the testimony.
        expect(page.locator("#consent-prefilled")).to_be_visible()
        expect(page.locator("#step-source input[name=consent_documentation]")).to_be_checked()
        expect(page.locator("#step-source input[name=consent_sanctions]")).to_be_checked()
        expect(page.locator("#step-source input[name=consent_public]")).not_to_be_checked()
        submit(page, "#step-source form")
        expect(page.locator("#source-ref")).to_have_text(re.compile(r"^W-\d{4}$"))

        # A new incident.
        page.fill("#incident-title", "온성 구류장 야간 구타 (2019년 11월)")
        page.fill("#incident-summary", "예심 기간 밤마다 구타. 피해자는 V-1로만 적는다.")
        submit(page, "#step-incident form.record-form")
        expect(page.locator("#chosen-incident")).to_have_text("온성 구류장 야간 구타 (2019년 11월)")

        # A new facility, then a new act there.
        page.click("#step-act details summary")
        page.fill("#step-act details input[name=hangul]", "온성 보위부 제2구류장")
        page.fill("#step-act details input[name=romanized]", "Onsong Powibu Kuryujang 2")
        page.select_option("#step-act details select[name=kind]", "kuryujang")
        page.select_option("#step-act details select[name=agency]", "mss")
        submit(page, "#step-act details form")
        act_form = "#step-act form.record-form:has(#act-violation)"
        facility = page.locator(f"{act_form} select[name=facility_id]")
        expect(facility.locator("option:checked")).to_contain_text("온성 보위부 제2구류장")
        page.select_option("#act-violation", "torture_interrogation")
        page.fill(f"{act_form} input[name=date_start]", "2019-11")
        page.fill(f"{act_form} input[name=victims]", "V-1")
        submit(page, act_form)
        chosen_act = page.locator("#chosen-act")
        expect(chosen_act).to_have_count(1)
        act_match = ACT_ID.search(chosen_act.get_attribute("href") or "")
        assert act_match, chosen_act.get_attribute("href")
        act_id = int(act_match.group(1))

        # A new perpetrator and his part in the act.
        involvement_form = "#step-involvement form.involvement-form"
        page.check(f"{involvement_form} input[name=person_id][value=new]")
        page.fill(f"{involvement_form} input[name=hangul]", "박철웅")
        page.fill(f"{involvement_form} input[name=romanized]", "Pak Chol Ung")
        page.select_option(f"{involvement_form} select[name=degree]", "carried_out")
        page.select_option(f"{involvement_form} select[name=confidence]", "high")
        submit(page, involvement_form)
        expect(page.locator("#step-involvement .involvement-choices")).to_contain_text("박철웅")

        # The submission as a source of his part (chosen first), then of the act.
        information_form = "#step-information form.information-form"
        expect(page.locator(f"{information_form} input[name=target][value^='involvement:']")).to_be_checked()
        page.select_option(f"{information_form} select[name=connection]", "victim")
        page.select_option(f"{information_form} select[name=reliability]", "likely_reliable")
        submit(page, information_form)
        page.check(f"{information_form} input[name=target][value='act:{act_id}']")
        page.select_option(f"{information_form} select[name=connection]", "victim")
        page.select_option(f"{information_form} select[name=reliability]", "likely_reliable")
        submit(page, information_form)
        expect(page.locator("#step-information li.information-link")).to_have_count(2)

        # From the act to the perpetrator, who is given his post: a guard of the Onsong county unit.
        with page.expect_navigation():
            chosen_act.click()
        korean(page)
        with page.expect_navigation():
            page.locator("li.involvement a", has_text="박철웅").first.click()
        korean(page)
        person_match = PERSON_ID.search(urlsplit(page.url).path)
        assert person_match, page.url
        perpetrator_id = int(person_match.group(1))
        page.select_option("#posts select[name=position_id]", str(guard_post))
        page.fill("#posts input[name=start]", "2018")
        submit(page, "#posts form.record-form")
        expect(page.locator("#posts tr.post-row")).to_have_count(1)

        # Up his chain of command to the top: the minister in office in 2019, not the one before him.
        with page.expect_navigation():
            page.click("nav.analysis-links a[href$='/chain']")
        korean(page)
        above = page.locator("section.chain-post ol.chain-above")
        expect(above).to_contain_text("온성군 보위부")
        expect(above).to_contain_text("함경북도 보위국")
        expect(above).to_contain_text("국가보위성")
        expect(above).to_contain_text("염길후")
        expect(above).not_to_contain_text("도경삼")
        with page.expect_navigation():
            above.locator(f"a[href$='/persons/{minister_id}']").first.click()
        korean(page)
        with page.expect_navigation():
            page.click("nav.analysis-links a[href$='/chain']")
        korean(page)
        assert urlsplit(page.url).path.endswith(f"/persons/{minister_id}/chain"), page.url
        under_minister = page.locator(f'tr.subordinate[data-person-id="{perpetrator_id}"]')
        expect(under_minister).to_contain_text("박철웅")
        expect(under_minister.locator(f'li[data-act-id="{act_id}"]')).to_have_count(1)
        assert not errors, errors
    finally:
        context.close()

    # The testimony stayed in the browser; the records hold what the reviewer typed, and the links.
    recorder.assert_never_sent(MARK)
    recorder.assert_never_sent(TESTIMONY)
    assert MARK.encode() not in live_server.database_text()
    assert MARK not in live_server.log_path.read_text(encoding="utf-8", errors="replace")
    with server_app.app_context():
        links = db.session().scalars(select(Information).where(Information.submission_id == submission_id))
        assert {(row.act_id is not None, row.involvement_id is not None) for row in links} == {
            (True, False),
            (False, True),
        }
