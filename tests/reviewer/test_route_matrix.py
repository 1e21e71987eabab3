"""Every reviewer-side route, found in the URL map (so a new route cannot slip through), refuses whoever
it is not for: anonymous visitors, half-logged-in sessions (password without TOTP), and wrong roles."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.reviewer.helpers import PASSWORD, csrf_token, log_in, make_user

#: Pages that exist to get someone logged in: open to everyone (they check what they need themselves).
PUBLIC = {
    "reviewer_auth.login",
    "reviewer_auth.login_code",
    "reviewer_auth.accept_invitation",
    "reviewer_auth.enrol_totp",
    "reviewer_auth.reauth",
    "reviewer_auth.logout",
}
#: Routes that give testimony ciphertext or a reviewer's wrapped key: reviewers only.
READING = re.compile(
    r"reviewer_(inbox|keys)\.(envelope_fetch|envelope_export|envelope_grant|fetch_my_key|identity_file|note_fetch)$"
)
# Not 404: the access rule runs before a view could find that "1" or "x" does not exist.
REFUSED = {302, 401, 403}


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/reviewer") or rule.endpoint in PUBLIC:
            continue
        url = re.sub(r"<int:[^>]+>", "1", rule.rule)
        url = re.sub(r"<[^>]+>", "x", url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, url))
    return sorted(routes)


def _request(client: FlaskClient, method: str, url: str, token: str):
    # A valid CSRF token, so that what refuses is the access rule and not the CSRF check.
    headers = {"X-CSRFToken": token}
    if method == "GET":
        return client.get(url, headers=headers)
    return client.open(url, method=method, data={"csrf_token": token}, headers=headers)


def _refused(response) -> bool:
    if response.status_code == 302:
        return (
            "/reviewer/login" in response.headers["Location"]
            or "/reviewer/reauth" in response.headers["Location"]
        )
    return response.status_code in REFUSED


def test_the_map_has_the_routes_this_test_expects(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _, _ in _routes(app)}
    assert {"reviewer_inbox.inbox", "reviewer_keys.fetch_my_key", "reviewer_audit.trail"} <= endpoints
    assert len(endpoints) >= 20


@pytest.mark.parametrize("who", ["anonymous", "password only"])
def test_no_reviewer_route_lets_in_anyone_not_fully_logged_in(
    app: Flask, client: FlaskClient, who: str
) -> None:
    if who == "password only":
        make_user(app, "halfway", "admin", "reviewer")
        token = csrf_token(client, "/reviewer/login")
        client.post("/reviewer/login", data={"login": "halfway", "password": PASSWORD, "csrf_token": token})
    token = csrf_token(client, "/reviewer/login")
    let_in = [
        (endpoint, method, url)
        for endpoint, method, url in _routes(app)
        if not _refused(_request(client, method, url, token))
    ]
    assert let_in == []


def test_an_admin_who_is_not_a_reviewer_reads_nothing(app: Flask, client: FlaskClient) -> None:
    _, secret = make_user(app, "admin-only", "admin")
    log_in(client, "admin-only", PASSWORD, secret)
    token = csrf_token(client, "/reviewer/")
    let_in = [
        (endpoint, method, url)
        for endpoint, method, url in _routes(app)
        if READING.search(endpoint) or endpoint.startswith("reviewer_inbox.")
        if not _refused(_request(client, method, url, token))
    ]
    assert let_in == []


def test_a_case_team_member_neither_reads_testimony_nor_administers(app: Flask, client: FlaskClient) -> None:
    _, secret = make_user(app, "case", "case_team")
    log_in(client, "case", PASSWORD, secret)
    token = csrf_token(client, "/reviewer/")
    let_in = [
        (endpoint, method, url)
        for endpoint, method, url in _routes(app)
        if READING.search(endpoint) or "/admin/" in url
        if not _refused(_request(client, method, url, token))
    ]
    assert let_in == []


def test_logging_out_also_ends_a_stolen_copy_of_the_session(app: Flask) -> None:
    _, secret = make_user(app, "kim", "reviewer")
    browser, thief = app.test_client(), app.test_client()
    log_in(browser, "kim", PASSWORD, secret)
    cookie = browser.get_cookie("session")
    thief.set_cookie("session", cookie.value)
    assert thief.get("/reviewer/").status_code == 200
    browser.post("/reviewer/logout", data={"csrf_token": csrf_token(browser, "/reviewer/")})
    assert thief.get("/reviewer/").status_code == 302


def test_a_locked_account_loses_its_open_sessions(app: Flask) -> None:
    from datetime import UTC, datetime

    from core import db
    from reviewer.models import User

    user_id, secret = make_user(app, "lee", "reviewer")
    client = app.test_client()
    log_in(client, "lee", PASSWORD, secret)
    with app.app_context():
        db.session().get(User, user_id).locked_at = datetime.now(UTC)
        db.session().commit()
    assert client.get("/reviewer/").status_code == 302
