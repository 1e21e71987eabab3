"""The conversation with a source, in Korean, in Debian's Chromium, on each of the three source paths
(docs/source-intake.md): the source sends an account; reviewer A asks a question on the submission's page;
the source reads it with the receipt and answers; reviewer B reads the whole thread; the source withdraws;
a dossier built before relies on the testimony and one built afterwards leaves it out.

Throughout: on the browser path no request carries the question, the answer or the account in the clear,
and the source's secret key never reaches the server; on every path no file, row, log line or temporary
file does; and ``sori decrypt`` with reviewer B's identity file opens every message offline.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from core import db, receipts, submissions
from core.models import Envelope, Submission
from reviewer import enrolment, triage
from reviewer.exports.dossier import build
from reviewer.models import ReviewerKey, User
from reviewer.records.information import link_information
from reviewer.records.models import Act, Involvement
from reviewer.records.sources import record_source
from tests.browser.live_server import SORI, LiveServer
from tests.browser.reviewer_session import PASSWORD, Recorder, log_in
from tests.browser.test_source_paths import WAIT_MS, assert_no_plaintext_kept, open_context, translated
from tests.reviewer.reading_helpers import give_vetted_key

pytestmark = pytest.mark.browser

PATHS = ["wasm", "no_wasm", "no_js"]
KEY_PASSPHRASE = "검토자 열쇠 암호 " + os.urandom(4).hex()
DIGITS = re.compile(r"\d{4} \d{4} \d{4} \d{4}")


def _reviewer(server_app: Flask, login: str) -> tuple[str, Path]:
    """A reviewer with a vetted key: their TOTP secret, and their identity file (for sori decrypt)."""
    with server_app.app_context():
        user = enrolment.create_enrolled_user(db.session(), login, login, PASSWORD, reviewer=True)
        user_id, secret = user.id, user.totp_secret
    identity = give_vetted_key(server_app, user_id, passphrase=KEY_PASSPHRASE)
    with server_app.app_context():
        wrapped = (
            db.session()
            .scalars(select(ReviewerKey.wrapped_identity).where(ReviewerKey.user_id == user_id))
            .one()
        )
    path = Path(server_app.config["SORI_DATA_DIR"]).parent / f"{login}.identity"
    path.write_text(wrapped, encoding="utf-8")
    assert identity is not None and secret is not None
    return secret, path


def _reviewer_page(browser: Browser, server: LiveServer, login: str, secret: str, recorder: Recorder) -> Page:
    context: BrowserContext = browser.new_context(locale="ko-KR")
    context.on("request", recorder)
    page = context.new_page()
    log_in(page, server, login, secret)
    return page


def _read_all(page: Page, server: LiveServer, submission_id: str) -> str:
    """Reviewer B opens every envelope of the submission with their key; the page's text afterwards."""
    page.goto(f"{server.url}/reviewer/submissions/{submission_id}?lang=ko")
    expect(page.locator("#reader")).to_have_attribute("data-ready", "true", timeout=WAIT_MS)
    articles = page.locator("article.envelope")
    for i in range(articles.count()):
        article = articles.nth(i)
        article.locator(".read-button").click()
        if i == 0:
            expect(page.locator("#passphrase-form")).to_be_visible(timeout=WAIT_MS)
            page.fill("#key-passphrase", KEY_PASSPHRASE)
            page.press("#key-passphrase", "Enter")
        expect(article).to_have_attribute("data-read", "done", timeout=WAIT_MS)
    return page.locator("#reader").inner_text()


def _status(page: Page, server: LiveServer, path: str, digits: str) -> None:
    page.goto(f"{server.url}/status?lang=ko")
    if path == "wasm":
        expect(page.locator("#receipt-form[data-path=browser]")).to_have_count(1, timeout=WAIT_MS)
    elif path == "no_wasm":
        expect(page.locator("#receipt-form .js-server-path")).to_be_visible(timeout=WAIT_MS)
    page.fill("#receipt", digits)
    page.click("#receipt-form button[type=submit]")
    expect(page.locator("p.status")).to_be_visible(timeout=WAIT_MS)


def _dossier_digests(server_app: Flask, person_id: int) -> set[str]:
    with server_app.app_context():
        dossier = build(db.session(), "person", person_id, "sanctions", actor_login="story-a")
        return {document.sha256 for document in dossier.documents}


@pytest.mark.parametrize("path", PATHS)
def test_a_conversation_from_account_to_withdrawal(
    browser: Browser,
    no_wasm_browser: Browser,
    live_server: LiveServer,
    server_app: Flask,
    tmp_path: Path,
    path: str,
) -> None:
    server = live_server
    started = time.time()
    mark = os.urandom(4).hex()
    account = f"ACCOUNT-{mark} 회령 구류장에서 두 달 동안 조사를 받았습니다."
    question = f"QUESTION-{mark} 대략 언제였는지 말씀해 주실 수 있습니까?"
    answer = f"ANSWER-{mark} 2019년 겨울이었습니다."
    a_secret, _ = _reviewer(server_app, f"story-a-{path}")
    b_secret, b_identity = _reviewer(server_app, f"story-b-{path}")
    source_requests = Recorder()
    reviewer_requests = Recorder()

    # The source sends an account.
    source: BrowserContext = open_context(browser, no_wasm_browser, path, "ko")
    source.on("request", source_requests)
    page = source.new_page()
    page.goto(f"{server.url}/submit?lang=ko")
    if path == "wasm":
        expect(page.locator("#testimony[data-path=browser]")).to_have_count(1, timeout=WAIT_MS)
    page.fill("#what_happened", account)
    page.click("#testimony button[type=submit]")
    expect(page.locator("#receipt-value")).to_have_text(DIGITS, timeout=WAIT_MS)
    digits = page.locator("#receipt-value").inner_text().replace(" ", "")
    with server_app.app_context():
        keys = receipts.derive(digits, submissions.receipt_salt(db.session()))
        submission_id = submissions.find_by_lookup_key(db.session(), keys.lookup_key).id

    # Reviewer A asks a question, sealed in their browser.
    reviewer_a = _reviewer_page(browser, server, f"story-a-{path}", a_secret, reviewer_requests)
    reviewer_a.goto(f"{server.url}/reviewer/submissions/{submission_id}?lang=ko")
    expect(reviewer_a.locator("#reader")).to_have_attribute("data-ready", "true", timeout=WAIT_MS)
    reviewer_a.fill("#message-text", question)
    reviewer_a.click("#message-composer .composer-send")
    expect(reviewer_a.locator("article.envelope")).to_have_count(2, timeout=WAIT_MS)
    expect(reviewer_a.locator("#conversation-state")).to_have_text(translated("ko", "Waiting for the source"))

    # The source reads it with the receipt, and answers.
    _status(page, server, path, digits)
    expect(page.locator("ol.conversation .from-reviewer .message-text")).to_have_text(
        question, timeout=WAIT_MS
    )
    expect(page.locator("p.notice.new")).to_be_visible()
    if path == "wasm":
        expect(page.locator("#testimony[data-path=browser]")).to_have_count(1, timeout=WAIT_MS)
    page.fill("#what_happened", answer)
    page.click("#testimony button[type=submit]")
    if path == "wasm":
        expect(page.locator("#js-receipt")).to_be_visible(timeout=WAIT_MS)
    else:
        expect(page.locator(".notice.receipt")).to_be_visible(timeout=WAIT_MS)

    # Reviewer B reads the whole thread: the account, the question, the answer.
    reviewer_b = _reviewer_page(browser, server, f"story-b-{path}", b_secret, reviewer_requests)
    thread = _read_all(reviewer_b, server, submission_id)
    assert account in thread and question in thread and answer in thread
    expect(reviewer_b.locator("#conversation-state")).to_have_text(translated("ko", "The source answered"))

    # Records: verified by both, its source consented to sanctions, linked to a demo act with a perpetrator.
    with server_app.app_context():
        session = db.session()
        users = {u.login: u for u in session.scalars(select(User).where(User.login.like(f"story-%-{path}")))}
        submission = session.get(Submission, submission_id)
        triage.change_state(session, submission, "in_review", users[f"story-a-{path}"])
        triage.change_state(session, submission, "verified", users[f"story-a-{path}"])
        triage.change_state(session, submission, "verified", users[f"story-b-{path}"])
        record_source(
            session, users[f"story-a-{path}"], submission, ref=None, consents={"consent_sanctions": True}
        )
        involvement = session.scalars(select(Involvement).join(Act, Act.id == Involvement.act_id)).first()
        link_information(
            session,
            users[f"story-a-{path}"],
            submission_id,
            "act",
            involvement.act_id,
            connection="victim",
            reliability="highly_reliable",
        )
        session.commit()
        envelope_digests = {
            hashlib.sha256(submissions.open_envelope(e).read()).hexdigest()
            for e in session.scalars(select(Envelope).where(Envelope.submission_id == submission_id))
        }
        person_id = involvement.person_id
    assert _dossier_digests(server_app, person_id) & envelope_digests, (
        "the dossier did not rely on the account"
    )

    # The source withdraws, confirmed on a second page.
    _status(page, server, path, digits)
    page.click("form.choice:has(input[value=withdraw]) button")
    expect(page.locator("h1")).to_have_text(translated("ko", "Confirm your choice"))
    page.click("form.testimony button[type=submit]")
    expect(page.locator("main")).to_contain_text(
        translated("ko", "Your account is withdrawn. No report includes it from now on.")
    )
    assert not _dossier_digests(server_app, person_id) & envelope_digests

    # What crossed the wire, and what stayed.
    secret_key = keys.identity.secret_key
    for needle in (account, question, answer):
        if path == "wasm":
            source_requests.assert_never_sent(needle)
        reviewer_requests.assert_never_sent(question)
        assert_no_plaintext_kept(server, needle.encode(), started, tmp_path)
    for url, body in [*source_requests.requests, *reviewer_requests.requests]:
        assert secret_key not in body and secret_key.hex() not in url
        if path == "wasm":
            assert digits.encode() not in body and keys.secret not in body

    # sori decrypt opens every message offline with reviewer B's identity file.
    out = tmp_path / "envelopes"
    env = {**os.environ, "SORI_DATA_DIR": str(server.data_dir), "SORI_DATABASE_URL": server.database_url}
    subprocess.run(
        [str(SORI), "envelopes", "export", "-o", str(out), "--submission", submission_id],
        env=env,
        check=True,
        capture_output=True,
    )
    opened = []
    for index, envelope in enumerate(sorted(out.iterdir())):
        target = tmp_path / f"opened-{index}"
        subprocess.run(
            [str(SORI), "decrypt", "-i", str(b_identity), "-o", str(target), str(envelope)],
            env={**os.environ, "SORI_PASSPHRASE": KEY_PASSPHRASE},
            check=True,
            capture_output=True,
            timeout=60,
        )
        files = [target] if target.is_file() else sorted(target.iterdir())
        opened.append(b"".join(f.read_bytes() for f in files).decode("utf-8", "replace"))
    assert len(opened) == 3 and question in "".join(opened) and answer in "".join(opened)
    assert json.loads(opened[0])["fields"]["what_happened"].replace("\r\n", "\n") == account
    source.close()
    reviewer_a.context.close()
    reviewer_b.context.close()
