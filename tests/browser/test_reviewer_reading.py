"""Reading a testimony in Debian's Chromium against a real Sori server (reviewer/inbox/,
static/js/reviewer-read.js).

A reviewer logs in with a password and a TOTP code (pyotp), finds the submission in the inbox, opens it,
types the key passphrase once, and reads the answers as text: a testimony carrying ``<script>`` and
``<img onerror>`` stays inert, Korean and English text come out as written, and the attachment downloads
byte for byte. The reviewer then writes a note, sealed in the browser, and reads it back. Every request the
browser sends is captured: none carries the key passphrase, the testimony or the note; nothing is left in
localStorage, sessionStorage or cookies; the database holds no plaintext.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from core import audit, db
from core.models import AuditEntry
from crypto.keys import Identity
from reviewer import enrolment
from reviewer.models import User
from tests.browser.live_server import LiveServer
from tests.browser.reviewer_session import PASSWORD, Recorder, log_in
from tests.reviewer.reading_helpers import add_grant, add_submission, give_vetted_key

pytestmark = pytest.mark.browser

KEY_PASSPHRASE = "열쇠 암호 READPASS-" + os.urandom(6).hex()
MARK = os.urandom(5).hex()
KOREAN = f"보위부 구류장에서 매일 밤 취조를 받았다 {MARK}"
HOSTILE = f'<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> and then {MARK}-EN'
NOTE = f"확인 필요: 같은 시설 {MARK}-NOTE"
ATTACHMENT = os.urandom(300_000)  # five 64 KiB chunks and a bit
WAIT_MS = 60_000


def _unlock(page: Page) -> None:
    expect(page.locator("#passphrase-form")).to_be_visible(timeout=WAIT_MS)
    page.fill("#key-passphrase", KEY_PASSPHRASE)
    page.press("#key-passphrase", "Enter")


def test_a_reviewer_reads_a_testimony_and_its_attachment_in_the_browser(
    browser: Browser, live_server: LiveServer, server_app: Flask, tmp_path: Path
) -> None:
    with server_app.app_context():
        user = enrolment.create_enrolled_user(db.session(), "reader", "읽는 사람", PASSWORD, reviewer=True)
        user_id, secret = user.id, user.totp_secret
    assert secret is not None
    give_vetted_key(server_app, user_id, passphrase=KEY_PASSPHRASE)
    submission_id, _envelope_id = add_submission(
        server_app,
        {
            "submitter": "witness",
            "what_happened": KOREAN + "\n\n" + HOSTILE,
            "violations": ["torture_interrogation", "forced_labour"],
            "who-1-name": f"김 {MARK}",
            "consent_sanctions": "yes",
        },
        attachments=[("사진 1.jpg", "image/jpeg", ATTACHMENT)],
        in_blob_store=True,
    )

    recorder = Recorder()
    context: BrowserContext = browser.new_context(locale="ko-KR", accept_downloads=True)
    context.on("request", recorder)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        log_in(page, live_server, "reader", secret)

        # The inbox lists the submission; its page has a reader ready.
        page.goto(f"{live_server.url}/reviewer/inbox?lang=ko")
        page.click(f'tr[data-submission-id="{submission_id}"] a')
        expect(page.locator("#reader")).to_have_attribute("data-ready", "true", timeout=WAIT_MS)
        expect(page.locator("#reader-unavailable")).to_be_hidden()

        # A wrong passphrase is said so; the right one opens the key, once for the page.
        page.click("#envelope-1 .read-button")
        expect(page.locator("#passphrase-form")).to_be_visible(timeout=WAIT_MS)
        page.fill("#key-passphrase", "not my passphrase")
        page.press("#key-passphrase", "Enter")
        expect(page.locator("#reader-error")).to_be_visible(timeout=WAIT_MS)
        _unlock(page)
        article = page.locator("#envelope-1")
        expect(article).to_have_attribute("data-read", "done", timeout=WAIT_MS)
        expect(page.locator("#passphrase-form")).to_be_hidden()

        # The answers, as text: labels translated, codes named, hostile markup shown literally.
        answers = article.locator(".answers")
        expect(answers).to_have_attribute("lang", "ko")
        text = answers.inner_text()
        assert KOREAN in text and HOSTILE in text
        assert "<script>" in text and "onerror" in text
        assert answers.locator("script, img").count() == 0
        assert page.evaluate("() => window.__pwned") is None
        assert "강제 노동" in text  # the violation code, named in Korean
        assert f"김 {MARK}" in text

        # The attachment, byte for byte, with the metadata warning beside it.
        expect(page.locator("#metadata-warning")).to_be_visible()
        link = article.locator("a.attachment")
        expect(link).to_have_count(1)
        assert link.get_attribute("download") == "사진 1.jpg"
        with page.expect_download() as download_info:
            link.click()
        saved = tmp_path / "download.bin"
        download_info.value.save_as(saved)
        assert saved.read_bytes() == ATTACHMENT

        # A note, sealed in the browser; read back after the page reloads (asks for the passphrase again).
        page.fill("#note-text", NOTE)
        with page.expect_navigation(timeout=WAIT_MS):
            page.click("#note-send")
        expect(page.locator("#reader")).to_have_attribute("data-ready", "true", timeout=WAIT_MS)
        page.click("#notes-read")
        _unlock(page)
        expect(page.locator(".note .note-text").first).to_have_text(NOTE, timeout=WAIT_MS)

        # Nothing kept in the browser's storage.
        stored = page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]")
        assert stored[0] == 0 and stored[1] == 0 and KEY_PASSPHRASE not in stored[2]
        assert not errors, errors
    finally:
        context.close()

    for secret_text in (KEY_PASSPHRASE, KOREAN, HOSTILE, NOTE, MARK):
        recorder.assert_never_sent(secret_text)
    assert not any(ATTACHMENT[1000:1064] in body for _url, body in recorder.requests)
    # The server stored and logged ciphertext only, and audited the fetches and the note.
    assert MARK.encode() not in live_server.database_text()
    assert MARK not in live_server.log_path.read_text(encoding="utf-8", errors="replace")
    with server_app.app_context():
        session = db.session()
        actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "reader")))
        assert {"envelope.fetch", "note.write", "note.fetch", "key.fetch"} <= actions
        assert audit.verify(session)[1] is None
        assert session.scalars(select(User).where(User.login == "reader")).one().is_reviewer


def test_an_envelope_sealed_before_the_key_was_vetted_opens_with_a_grant(
    browser: Browser, live_server: LiveServer, server_app: Flask
) -> None:
    """The envelope has no stanza for the reviewer: the page asks the grant API for the file key a
    colleague sealed to them; without a grant it says so and shows nothing."""
    with server_app.app_context():
        session = db.session()
        user = enrolment.create_enrolled_user(session, "late", "늦게 온 사람", PASSWORD, reviewer=True)
        granter = enrolment.create_enrolled_user(session, "early", "Early", PASSWORD, reviewer=True)
        user_id, granter_id, secret = user.id, granter.id, user.totp_secret
    assert secret is not None
    give_vetted_key(server_app, user_id, passphrase=KEY_PASSPHRASE)
    colleague = Identity.generate().public_key  # the only reviewer when these were sealed
    file_keys: list[bytes] = []
    granted_text = f"GRANTED {MARK} 허가"
    granted, granted_envelope = add_submission(
        server_app, {"what_happened": granted_text}, keys=[colleague], file_keys=file_keys
    )
    add_grant(server_app, granted_envelope, file_keys[0], user_id, granter_id)
    ungranted, _ = add_submission(server_app, {"what_happened": f"UNGRANTED {MARK}"}, keys=[colleague])

    recorder = Recorder()
    context: BrowserContext = browser.new_context(locale="en-GB")
    context.on("request", recorder)
    page = context.new_page()
    try:
        log_in(page, live_server, "late", secret)
        page.goto(f"{live_server.url}/reviewer/submissions/{granted}?lang=en")
        expect(page.locator("#reader")).to_have_attribute("data-ready", "true", timeout=WAIT_MS)
        page.click("#envelope-1 .read-button")
        _unlock(page)
        expect(page.locator("#envelope-1")).to_have_attribute("data-read", "done", timeout=WAIT_MS)
        assert granted_text in page.locator("#envelope-1 .answers").inner_text()
        assert any("/grant" in url for url, _body in recorder.requests)

        page.goto(f"{live_server.url}/reviewer/submissions/{ungranted}?lang=en")
        expect(page.locator("#reader")).to_have_attribute("data-ready", "true", timeout=WAIT_MS)
        page.click("#envelope-1 .read-button")
        _unlock(page)
        expect(page.locator("#envelope-1")).to_have_attribute("data-read", "failed", timeout=WAIT_MS)
        expect(page.locator("#reader-error")).to_contain_text("no colleague has granted you access")
        assert page.locator("#envelope-1 .answers").inner_text() == ""
    finally:
        context.close()
    recorder.assert_never_sent(KEY_PASSPHRASE)
    recorder.assert_never_sent(granted_text)
