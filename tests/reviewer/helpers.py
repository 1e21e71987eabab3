"""Helpers for reviewer-side tests: accounts made through the service, and the real two-step web login.

    user_id, secret = make_user(app, "kim", "reviewer")
    log_in(client, "kim", PASSWORD, secret)          # password page, then TOTP page
    reauthenticate(client, PASSWORD)                 # for routes with requires(..., fresh=True)

Passwords are hashed with cheap argon2id parameters in tests (:func:`cheap_hashing`, applied by
:func:`make_user`); the real cost stays the application's default.
"""

from __future__ import annotations

import re

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from core import db
from reviewer import accounts, enrolment
from reviewer.models import User

PASSWORD = "correct horse battery staple"
#: argon2id parameters that cost about a millisecond.
CHEAP_HASH_PARAMS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def cheap_hashing(app: Flask) -> None:
    """Make password hashing cheap in ``app`` (tests only)."""
    app.config["SORI_PASSWORD_HASH_PARAMS"] = CHEAP_HASH_PARAMS


def make_user(
    app: Flask, login: str, *roles: str, password: str = PASSWORD, name: str | None = None
) -> tuple[int, str]:
    """An enrolled account (invited, password set, TOTP confirmed) with ``roles`` among ``admin``,
    ``reviewer``, ``case_team``; returns its id and TOTP secret. Audited like real invitations."""
    unknown = set(roles) - {"admin", "reviewer", "case_team"}
    if unknown or not roles:
        raise ValueError(f"give roles among admin, reviewer, case_team, not {roles}")
    cheap_hashing(app)
    with app.app_context():
        user = enrolment.create_enrolled_user(
            db.session(),
            login,
            name or login,
            password,
            admin="admin" in roles,
            reviewer="reviewer" in roles,
            case_team="case_team" in roles,
        )
        assert user.totp_secret is not None
        return user.id, user.totp_secret


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on the page at ``path`` (GET)."""
    page = client.get(path).get_data(as_text=True)
    found = _CSRF.search(page)
    assert found is not None, f"no CSRF token on {path}"
    return found.group(1)


def fresh_code(app: Flask, login: str, secret: str) -> str:
    """A TOTP code the server has not accepted yet for ``login``.

    The server takes a code once, from the steps just before, at and after now. A test that logs one
    person in more often than that allows within 30 seconds (a real person cannot) gets its last used
    step moved back, so that its next code is accepted; tests of the replay rule itself use pyotp
    directly."""
    totp = pyotp.TOTP(secret)
    with app.app_context():
        session = db.session()
        user = accounts.find_user(session, login)
        assert user is not None, f"no account {login}"
        current = totp.timecode(accounts.now())
        first = current - accounts.TOTP_VALID_WINDOW
        last = user.totp_last_step
        step = first if last is None else max(first, last + 1)
        if step > current + accounts.TOTP_VALID_WINDOW:
            user.totp_last_step = current - accounts.TOTP_VALID_WINDOW - 1
            session.commit()
            step = first
        return totp.generate_otp(step)


def log_in(client: FlaskClient, login: str, password: str = PASSWORD, totp_secret: str = "") -> None:
    """Log in through the real pages: login and password, then a TOTP code. Asserts it worked."""
    app = client.application
    token = csrf_token(client, "/reviewer/login")
    first = client.post("/reviewer/login", data={"login": login, "password": password, "csrf_token": token})
    assert first.status_code == 302 and "/reviewer/login/code" in first.headers["Location"], (
        f"password step refused for {login}: {first.status_code}"
    )
    token = csrf_token(client, "/reviewer/login/code")
    code = fresh_code(app, login, totp_secret)
    second = client.post("/reviewer/login/code", data={"code": code, "csrf_token": token})
    assert second.status_code == 302, f"code step refused for {login}: {second.status_code}"


def reauthenticate(client: FlaskClient, password: str = PASSWORD) -> None:
    """Re-enter the password on /reviewer/reauth, so that ``fresh=True`` routes let the session in."""
    token = csrf_token(client, "/reviewer/reauth")
    response = client.post("/reviewer/reauth", data={"password": password, "csrf_token": token})
    assert response.status_code == 302, f"re-authentication refused: {response.status_code}"


def log_out(client: FlaskClient) -> None:
    """Log out through the real (POST) logout."""
    token = csrf_token(client, "/reviewer/")
    client.post("/reviewer/logout", data={"csrf_token": token})


def user_by_login(app: Flask, login: str) -> User:
    """The account ``login``, detached (read its fields, do not change it)."""
    with app.app_context():
        session = db.session()
        user = accounts.find_user(session, login)
        assert user is not None
        session.expunge(user)
        return user
