"""Reviewer keys in Debian's Chromium against a real Sori server (reviewer/keys/,
static/js/reviewer-keys.js): a reviewer logs in with a password and a TOTP code, makes a key in the
browser, an admin vets it by its fingerprint, and the reviewer's browser gives a colleague vetted later
access to an older envelope. Every request the browsers send is captured: none carries the key passphrase.
The colleague's identity then opens the granted file key and the envelope, in Python."""

from __future__ import annotations

import io
import json
import os
import re
from urllib.parse import urlsplit

import nacl.bindings
import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from core import audit, db, submissions
from core.models import Envelope
from crypto.envelope import EnvelopeReader, encrypt_parts
from crypto.keys import Identity, PublicKey
from reviewer import enrolment
from reviewer.keys.enrolment import approve, enrol
from reviewer.models import KeyGrant, ReviewerKey, User
from tests.browser.live_server import LiveServer
from tests.browser.reviewer_session import PASSWORD, Recorder, log_in
from tests.intake.source_helpers import SOURCE_KEY

pytestmark = pytest.mark.browser

KEY_PASSPHRASE = "열쇠 암호 KEYPASS-" + os.urandom(6).hex()
TESTIMONY = b'{"what_happened": "GRANTED-' + os.urandom(6).hex().encode() + b'"}'
WAIT_MS = 60_000
FINGERPRINT = re.compile(r"^\d{5}( \d{5}){5}$")


def make_account(app: Flask, login: str, *, admin: bool = False, reviewer: bool = False) -> str:
    """An enrolled account; returns its TOTP secret."""
    with app.app_context():
        user = enrolment.create_enrolled_user(
            db.session(), login, login.title(), PASSWORD, admin=admin, reviewer=reviewer
        )
        assert user.totp_secret is not None
        return user.totp_secret


def logged_in(browser: Browser, server: LiveServer, login: str, secret: str, recorder: Recorder) -> Page:
    """A new Korean browser context, recorded by ``recorder``, with ``login`` logged in."""
    context: BrowserContext = browser.new_context(locale="ko-KR")
    context.on("request", recorder)
    page = context.new_page()
    log_in(page, server, login, secret)
    return page


def test_enrol_vet_and_grant_in_the_browser(
    browser: Browser, live_server: LiveServer, server_app: Flask
) -> None:
    kim_secret = make_account(server_app, "kim", reviewer=True)
    admin_secret = make_account(server_app, "chief", admin=True)
    recorder = Recorder()

    # Kim makes a key in the browser: only the public key and the wrapped identity go to the server.
    kim = logged_in(browser, live_server, "kim", kim_secret, recorder)
    kim.goto(f"{live_server.url}/reviewer/keys?lang=ko")
    expect(kim.locator("#enrol-form")).to_be_visible(timeout=WAIT_MS)
    kim.fill("#key-passphrase", "short")
    expect(kim.locator("#passphrase-strength")).to_contain_text("12")  # too short: says the minimum
    kim.fill("#key-passphrase", KEY_PASSPHRASE)
    expect(kim.locator("#passphrase-strength")).not_to_be_empty()
    kim.fill("#key-passphrase-again", KEY_PASSPHRASE + "x")
    kim.click("#enrol-button")
    expect(kim.locator("#enrol-error")).to_be_visible()
    kim.fill("#key-passphrase-again", KEY_PASSPHRASE)
    kim.click("#enrol-button")
    fingerprint = kim.locator("#enrol-fingerprint")
    expect(fingerprint).to_have_text(FINGERPRINT, timeout=WAIT_MS)
    shown = fingerprint.inner_text()
    with server_app.app_context():
        session = db.session()
        kim_user = session.scalars(select(User).where(User.login == "kim")).one()
        stored = session.scalars(select(ReviewerKey).where(ReviewerKey.user_id == kim_user.id)).one()
        assert stored.recipient_id is None and stored.fingerprint == shown
        kim_identity = Identity.unwrap(stored.wrapped_identity, KEY_PASSPHRASE)

    # The admin reads the same fingerprint on the vetting page and approves it.
    chief = logged_in(browser, live_server, "chief", admin_secret, recorder)
    chief.goto(f"{live_server.url}/reviewer/admin/keys?lang=ko")
    item = chief.locator(f'#pending-keys li[data-key-id="{stored.id}"]')
    expect(item.locator("code.fingerprint")).to_have_text(shown)
    item.locator("button.approve").click()
    expect(chief.locator(f'#vetted-keys li[data-key-id="{stored.id}"]')).to_be_visible()

    # Lee is vetted after an envelope was sealed to Kim alone.
    out = io.BytesIO()
    encrypt_parts(out, [kim_identity.public_key], [("answers.json", "application/json", TESTIMONY)])
    data = out.getvalue()
    lee_identity = Identity.generate()
    make_account(server_app, "lee", reviewer=True)
    with server_app.app_context():
        session = db.session()
        submissions.new_submission(
            session,
            os.urandom(32),
            data,
            len(data),
            (kim_identity.public_key.key_id,),
            "browser",
            source_public_key=SOURCE_KEY,
        )
        session.commit()
        envelope_id = session.scalars(select(Envelope.id).order_by(Envelope.id.desc())).first()
        lee = session.scalars(select(User).where(User.login == "lee")).one()
        chief_user = session.scalars(select(User).where(User.login == "chief")).one()
        lee_key = enrol(session, lee, lee_identity.public_key.text, lee_identity.wrap("lee's own"))
        approve(session, chief_user, lee_key)
        session.commit()

    # Kim's browser gives Lee access: the passphrase unlocks Kim's key in the tab, never on the server.
    kim.goto(f"{live_server.url}/reviewer/keys/grants?lang=ko")
    expect(kim.locator("#unlock-form")).to_be_visible(timeout=WAIT_MS)
    kim.fill("#grant-passphrase", KEY_PASSPHRASE)
    button = kim.locator(f'button.grant[data-public-key="{lee_identity.public_key.text}"]')
    button.click()
    expect(kim.locator("#grant-status")).to_contain_text("1", timeout=WAIT_MS)
    expect(kim.locator("#grant-error")).to_be_hidden()

    recorder.assert_never_sent(KEY_PASSPHRASE)
    # The enrolment request was captured too: it carried the public key and the wrapped identity only.
    [enrolment] = [body for url, body in recorder.requests if urlsplit(url).path == "/reviewer/api/keys"]
    assert set(json.loads(enrolment)) == {"public_key", "identity_file"}

    # Lee's identity opens the granted key, and the key opens the envelope.
    with server_app.app_context():
        session = db.session()
        grant = session.scalars(select(KeyGrant).where(KeyGrant.envelope_id == envelope_id)).one()
        assert grant.granted_by_id == kim_user.id and len(grant.sealed_key) == 80
        file_key = nacl.bindings.crypto_box_seal_open(
            grant.sealed_key, lee_identity.public_key.raw, lee_identity.secret_key
        )
        envelope = session.get(Envelope, envelope_id)
        reader = EnvelopeReader(submissions.open_envelope(envelope), file_key=file_key)
        assert [part.read_all() for part in reader] == [TESTIMONY]
        assert PublicKey.parse(stored.public_key).fingerprint == shown
        actions = [e.action for e in audit.entries(session, limit=1000)]
        for action in ("key.enrol", "key.vet", "key.fetch", "envelope.fetch", "key.grant"):
            assert action in actions, action
        assert audit.verify(session)[1] is None
    kim.context.close()
    chief.context.close()
