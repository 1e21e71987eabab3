"""Source pages rendered once and reused (intake/responses.py shared_page) stay as fresh and as private as
pages rendered on each request: reviewers' keys are read on every request, each visitor gets their own
token and nonces in the page's bytes, and the session cookie keeps Flask's format and follows the key."""

from __future__ import annotations

import re

import pytest
from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

from core import db, recipients
from tests.intake.source_helpers import vet_reviewer


@pytest.mark.parametrize("path", ["/submit?lang=ko", "/submit?lang=en"])
def test_a_reviewer_added_or_revoked_shows_on_the_very_next_form(app: Flask, path: str) -> None:
    first = vet_reviewer(app, "first")
    client = app.test_client()
    assert first.public_key.text in client.get(path).get_data(as_text=True)
    second = vet_reviewer(app, "second")
    page = client.get(path).get_data(as_text=True)
    assert first.public_key.text in page and second.public_key.text in page
    with app.app_context():
        recipients.revoke(db.session(), "first")
        db.session().commit()
    page = client.get(path).get_data(as_text=True)
    assert first.public_key.text not in page and second.public_key.text in page


def test_a_shared_form_page_is_whole_utf8_html_with_every_mark_filled(app: Flask) -> None:
    vet_reviewer(app)
    response = app.test_client().get("/submit?lang=ko")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data().decode("utf-8")  # Korean text, encoded once and reused
    assert "\x00" not in page
    assert re.search(r'name="csrf_token" value="[^"]{20,}"', page)
    nonces = re.findall(r'name="form_nonce" value="([^"]+)"', page)
    assert nonces and len(set(nonces)) == len(nonces)
    assert 'lang="ko"' in page


def test_the_session_cookie_keeps_flasks_format(app: Flask) -> None:
    vet_reviewer(app)
    client = app.test_client()
    client.get("/submit?lang=en")
    cookie = client.get_cookie("session")
    assert cookie is not None
    stock = SecureCookieSessionInterface().get_signing_serializer(app)
    assert stock is not None and "csrf_token" in stock.loads(cookie.value)


def test_a_new_secret_key_is_used_at_once_and_old_sessions_are_refused(app: Flask) -> None:
    vet_reviewer(app)
    client = app.test_client()
    client.get("/submit?lang=en")
    old_key = app.secret_key
    app.secret_key = "a different key"
    interface = app.session_interface
    assert isinstance(interface, SecureCookieSessionInterface)
    with app.test_request_context(headers={"Cookie": f"session={client.get_cookie('session').value}"}):
        assert not interface.open_session(app, request)  # signed with the old key: an empty session
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    with app.test_request_context(headers={"Cookie": f"session={client.get_cookie('session').value}"}):
        assert "csrf_token" in interface.open_session(app, request)
