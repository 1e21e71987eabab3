"""Accounts and login: invitations, passwords, TOTP enrolment, the two-step login, throttling, lockout,
sessions and re-authentication, as a reviewer and an admin live them.

One file of about 600 lines because these steps are one flow whose fixtures (invited, enrolled,
locked accounts) every test shares."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core import audit, db
from core.models import AuditEntry
from reviewer import access, accounts, enrolment
from reviewer.auth import LOGIN_REFUSED
from reviewer.models import User
from tests.reviewer.helpers import (
    PASSWORD,
    cheap_hashing,
    csrf_token,
    fresh_code,
    log_in,
    log_out,
    make_user,
    user_by_login,
)

REFUSED = str(LOGIN_REFUSED)


@pytest.fixture(autouse=True)
def _cheap(app: Flask) -> None:
    cheap_hashing(app)


class Clock:
    """A clock the tests move: replaces accounts.now (throttling, invitations, TOTP), audit.now (the
    minutes of tallies) and the access module's time.time (idle sessions, re-authentication)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at = accounts.now()
        monkeypatch.setattr(accounts, "now", lambda: self.at)
        monkeypatch.setattr(audit, "now", lambda: self.at)
        monkeypatch.setattr(access, "time", SimpleNamespace(time=lambda: self.at.timestamp()))

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def _chain_ok(app: Flask) -> list[AuditEntry]:
    with app.app_context():
        session = db.session()
        checked, broken = audit.verify(session)
        assert broken is None, broken
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        assert len(entries) == checked
        session.expunge_all()
        return entries


def _actions(app: Flask) -> list[tuple[str, str, str]]:
    return [(entry.actor, entry.action, entry.subject) for entry in _chain_ok(app)]


def _post(client: FlaskClient, path: str, data: dict[str, str], token_from: str | None = None) -> Any:
    token = csrf_token(client, token_from or path)
    return client.post(path, data={**data, "csrf_token": token})


def _password_step(client: FlaskClient, login: str, password: str) -> Any:
    return _post(client, "/reviewer/login", {"login": login, "password": password})


def _invite(app: Flask, login: str = "lee", **roles: bool) -> str:
    with app.app_context():
        invitation = enrolment.invite(db.session(), None, login, "이 검토자", **(roles or {"reviewer": True}))
        return invitation.token


# --- invitation, enrolment, login -----------------------------------------------------------------------


def test_invitation_password_enrolment_then_two_step_login(app: Flask, client: FlaskClient) -> None:
    token = _invite(app)
    page = client.get(f"/reviewer/invite/{token}?lang=en")
    assert page.status_code == 200 and "Set up your account" in page.get_data(as_text=True)
    short = _post(client, f"/reviewer/invite/{token}", {"password": "short", "password_again": "short"})
    assert short.status_code == 400 and "at least 12 characters" in short.get_data(as_text=True)
    mismatch = _post(
        client, f"/reviewer/invite/{token}", {"password": PASSWORD, "password_again": PASSWORD + "x"}
    )
    assert mismatch.status_code == 400
    accepted = _post(client, f"/reviewer/invite/{token}", {"password": PASSWORD, "password_again": PASSWORD})
    assert accepted.status_code == 302 and accepted.headers["Location"].startswith("/reviewer/totp/enrol")

    # Nothing opens before TOTP is enrolled.
    assert client.get("/reviewer/").status_code == 302
    assert client.get("/reviewer/login/code").headers["Location"].startswith("/reviewer/totp/enrol")

    enrol = client.get("/reviewer/totp/enrol")
    body = enrol.get_data(as_text=True)
    assert enrol.status_code == 200 and enrol.headers["Cache-Control"] == "no-store"
    svg = re.search(r"<svg.*?</svg>", body, re.S)
    assert (
        svg is not None
        and "style=" not in svg.group(0)
        and "http" not in svg.group(0).replace("http://www.w3.org", "")
    )
    assert "data:" not in body and "<img" not in body
    secret = user_by_login(app, "lee").totp_secret
    assert secret is not None and " ".join(re.findall(".{1,4}", secret)) in body

    wrong = _post(
        client,
        "/reviewer/totp/enrol",
        {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"},
    )
    assert wrong.status_code == 400
    code = pyotp.TOTP(secret).now()
    done = _post(client, "/reviewer/totp/enrol", {"code": code})
    assert done.status_code == 302 and done.headers["Location"] == "/reviewer/"
    assert client.get("/reviewer/").status_code == 200

    # The link is used up.
    assert client.get(f"/reviewer/invite/{token}").status_code == 404

    log_out(client)
    assert client.get("/reviewer/").status_code == 302
    log_in(client, "lee", PASSWORD, secret)
    home = client.get("/reviewer/?lang=en").get_data(as_text=True)
    assert "Welcome, 이 검토자" in home and "/reviewer/admin/users" not in home

    assert _actions(app) == [
        ("-", "user.invite", "user:lee"),
        ("lee", "user.accept", "user:lee"),
        ("lee", "user.totp_enrol", "user:lee"),
        ("lee", "login", "user:lee"),
        ("lee", "logout", "user:lee"),
        ("lee", "login", "user:lee"),
    ]


def test_password_hash_is_argon2id_with_its_parameters_in_it(app: Flask) -> None:
    app.config.pop("SORI_PASSWORD_HASH_PARAMS")
    with app.app_context():
        real = accounts.password_hasher()
        assert (real.time_cost, real.memory_cost, real.parallelism) == (3, 65536, 1)
    cheap_hashing(app)
    make_user(app, "kim", "reviewer")
    stored = user_by_login(app, "kim").password_hash
    assert stored is not None and stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert PASSWORD not in stored


def test_login_rehashes_a_password_stored_with_older_parameters(app: Flask, client: FlaskClient) -> None:
    _, secret = make_user(app, "kim", "reviewer")
    app.config["SORI_PASSWORD_HASH_PARAMS"] = {"time_cost": 2, "memory_cost": 16, "parallelism": 1}
    log_in(client, "kim", PASSWORD, secret)
    assert user_by_login(app, "kim").password_hash.startswith("$argon2id$v=19$m=16,t=2,p=1$")  # type: ignore[union-attr]


def test_invitation_expires_after_seven_days_and_is_single_use(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    token = _invite(app)
    clock.advance(days=7, seconds=1)
    assert client.get(f"/reviewer/invite/{token}").status_code == 404
    refused = _post(
        client,
        f"/reviewer/invite/{token}",
        {"password": PASSWORD, "password_again": PASSWORD},
        "/reviewer/login",
    )
    assert refused.status_code == 404
    assert user_by_login(app, "lee").password_hash is None

    again = _invite(app)  # inviting again someone who never accepted gives a new link
    assert client.get(f"/reviewer/invite/{again}").status_code == 200
    with app.app_context():
        enrolment.accept_invitation(db.session(), again, PASSWORD)
        with pytest.raises(accounts.AccountError, match="invalid_invitation"):
            enrolment.accept_invitation(db.session(), again, PASSWORD)
        with pytest.raises(accounts.AccountError, match="exists"):
            enrolment.invite(db.session(), None, "LEE ", "Lee", reviewer=True)
    assert client.get("/reviewer/invite/not-a-token").status_code == 404


def test_wrong_password_wrong_code_and_replayed_code_are_refused(app: Flask, client: FlaskClient) -> None:
    _, secret = make_user(app, "kim", "reviewer")
    wrong = _password_step(client, "kim", "not the password at all")
    assert wrong.status_code == 401 and REFUSED in wrong.get_data(as_text=True)

    assert _password_step(client, "kim", PASSWORD).status_code == 302
    bad_code = _post(client, "/reviewer/login/code", {"code": "12345"})
    assert bad_code.status_code == 401
    code = fresh_code(app, "kim", secret)
    assert _post(client, "/reviewer/login/code", {"code": code}).status_code == 302
    log_out(client)

    assert _password_step(client, "kim", PASSWORD).status_code == 302
    replay = _post(client, "/reviewer/login/code", {"code": code})
    assert replay.status_code == 401 and client.get("/reviewer/").status_code == 302
    assert user_by_login(app, "kim").failed_logins == 1  # the login between reset the count

    entries = [e for e in _chain_ok(app) if e.action == "login.failed"]
    reasons = [json.loads(e.details)["reason"] for e in entries]
    assert reasons == ["password", "code", "code"]
    for entry in _chain_ok(app):
        assert PASSWORD not in entry.details and "127.0.0.1" not in entry.details
        assert "not the password" not in entry.details


def test_unknown_login_gets_the_same_answer_and_costs_a_hash(
    app: Flask, client: FlaskClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(app, "kim", "reviewer")
    verified: list[str] = []
    original = accounts.PasswordHasher.verify

    def counting(self: Any, hash: str, password: str) -> bool:
        verified.append(hash)
        return original(self, hash, password)

    monkeypatch.setattr(accounts.PasswordHasher, "verify", counting)
    known = _password_step(client, "kim", "wrong password here")
    unknown = _password_step(client, "nobody@example.org", "wrong password here")
    assert known.status_code == unknown.status_code == 401
    strip = lambda r: re.sub(r'name="csrf_token" value="[^"]+"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(known) == strip(unknown)
    assert len(verified) == 2
    # The wrong password is an entry at once; the unknown login is counted for its minute.
    assert [(e.action, e.subject) for e in _chain_ok(app)][-1] == ("login.failed", "user:kim")
    clock.advance(minutes=1)
    with app.app_context():
        assert audit.close_tallies(db.session()) == 1
        db.session().commit()
    refused = _chain_ok(app)[-1]
    assert (refused.action, refused.subject) == ("login.refused", "user:?")
    assert json.loads(refused.details)["count"] == 1 and json.loads(refused.details)["reason"] == "unknown"
    assert all("nobody" not in e.details for e in _chain_ok(app))


def test_a_flood_of_refused_logins_adds_one_entry_per_account_and_minute(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    make_user(app, "kim", "reviewer")
    for i in range(4):  # the fourth failure starts a delay
        _password_step(client, "kim", f"wrong password {i}")
    before = len(_chain_ok(app))
    for i in range(30):
        assert _password_step(client, f"nobody{i}", "wrong password here").status_code == 401
        assert _password_step(client, "kim", "wrong password again").status_code == 401  # throttled
    assert len(_chain_ok(app)) == before
    clock.advance(minutes=1)
    make_user(app, "lee", "reviewer")  # any entry writes the tallies of minutes that are over first
    counted = {
        e.subject: json.loads(e.details) for e in _chain_ok(app)[before:] if e.action == "login.refused"
    }
    assert counted["user:?"]["count"] == 30 and counted["user:?"]["reason"] == "unknown"
    assert counted["user:kim"]["count"] == 30 and counted["user:kim"]["reason"] == "throttled"


# --- throttling and lockout -----------------------------------------------------------------------------


def test_failures_throttle_with_growing_delays_that_end_by_themselves(
    app: Flask, client: FlaskClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, admin_secret = make_user(app, "admin", "admin")
    _, secret = make_user(app, "kim", "reviewer")
    checked: list[str] = []
    real_verify = accounts._verify_hash
    monkeypatch.setattr(
        accounts, "_verify_hash", lambda user, pw: checked.append(pw) or real_verify(user, pw)
    )
    delays = []
    for failure in range(1, 13):
        assert _password_step(client, "kim", "wrong password " + str(failure)).status_code == 401
        user = user_by_login(app, "kim")
        assert user.failed_logins == failure and user.locked_at is None
        delays.append((user.throttled_until - clock.at).total_seconds() if user.throttled_until else 0)
        if delays[-1]:
            # Refused during the delay without looking at the password, and not counted.
            clock.at = user.throttled_until - timedelta(seconds=1)  # type: ignore[operator]
            assert _password_step(client, "kim", PASSWORD).status_code == 401
            assert PASSWORD not in checked and user_by_login(app, "kim").failed_logins == failure
            clock.advance(seconds=1)
    assert delays == [0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    assert accounts.throttle_delay(30) == timedelta(hours=1)

    # The delay ends by itself: the right password and code log in and reset the count.
    log_in(client, "kim", PASSWORD, secret)
    assert client.get("/reviewer/").status_code == 200
    assert user_by_login(app, "kim").failed_logins == 0
    log_out(client)

    # An admin can still lift a delay at once.
    for failure in range(4):
        _password_step(client, "kim", "wrong password " + str(failure))
    assert user_by_login(app, "kim").throttled_until is not None
    admin = app.test_client()
    log_in(admin, "admin", PASSWORD, admin_secret)
    assert "paused after failed logins" in admin.get("/reviewer/admin/users?lang=en").get_data(as_text=True)
    kim_id = user_by_login(app, "kim").id
    unlocked = _post(admin, f"/reviewer/admin/users/{kim_id}/unlock", {}, "/reviewer/admin/users")
    assert unlocked.status_code == 302
    user = user_by_login(app, "kim")
    assert user.failed_logins == 0 and user.throttled_until is None
    actions = [a for _, a, _ in _actions(app)]
    assert actions.count("login.failed") == 12 + 4 and "user.unlock" in actions


def test_a_throttled_account_keeps_its_open_sessions(app: Flask, clock: Clock) -> None:
    _, secret = make_user(app, "kim", "reviewer")
    reviewer = app.test_client()
    log_in(reviewer, "kim", PASSWORD, secret)
    attacker = app.test_client()
    for i in range(12):
        _password_step(attacker, "kim", f"a guess {i}")
        clock.advance(seconds=30)
    assert user_by_login(app, "kim").throttled_until is not None
    assert reviewer.get("/reviewer/").status_code == 200


def test_wrong_codes_count_and_a_right_password_does_not_reset_the_count(
    app: Flask, client: FlaskClient
) -> None:
    _, secret = make_user(app, "kim", "reviewer")
    for _ in range(5):
        with app.app_context():
            user = accounts.find_user(db.session(), "kim")
            user.throttled_until = None  # skip the wait; the count is what matters here
            db.session().commit()
        assert _password_step(client, "kim", PASSWORD).status_code == 302
        assert _post(client, "/reviewer/login/code", {"code": "000000"}).status_code == 401
    assert user_by_login(app, "kim").failed_logins == 5
    with app.app_context():
        user = accounts.find_user(db.session(), "kim")
        user.throttled_until = None
        db.session().commit()
    log_in(client, "kim", PASSWORD, secret)
    assert user_by_login(app, "kim").failed_logins == 0


# --- sessions and re-authentication ---------------------------------------------------------------------


def test_sessions_end_after_thirty_idle_minutes(app: Flask, client: FlaskClient, clock: Clock) -> None:
    _, secret = make_user(app, "kim", "reviewer")
    log_in(client, "kim", PASSWORD, secret)
    clock.advance(minutes=29)
    assert client.get("/reviewer/").status_code == 200
    clock.advance(minutes=29)  # activity keeps it alive
    assert client.get("/reviewer/").status_code == 200
    clock.advance(minutes=31)
    gone = client.get("/reviewer/")
    assert gone.status_code == 302 and gone.headers["Location"].startswith("/reviewer/login")


def test_admin_changes_need_a_fresh_check_and_come_back_to_the_page(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    _, secret = make_user(app, "admin", "admin")
    log_in(client, "admin", PASSWORD, secret)
    invite = {"login": "park", "display_name": "박", "reviewer": "on"}
    made = _post(client, "/reviewer/admin/users", invite)
    assert made.status_code == 201  # just logged in: fresh
    link = re.search(r"http://127\.0\.0\.1:5000/reviewer/invite/([\w-]+)", made.get_data(as_text=True))
    assert link is not None

    clock.advance(minutes=6)
    stale = _post(
        client, "/reviewer/admin/users", {**invite, "login": "choi", "return_to": "/reviewer/admin/users"}
    )
    assert stale.status_code == 302
    assert stale.headers["Location"] == "/reviewer/reauth?next=/reviewer/admin/users"
    assert _user_missing(app, "choi")

    wrong = _post(
        client, "/reviewer/reauth", {"password": "not my password!", "next": "/reviewer/admin/users"}
    )
    assert wrong.status_code == 401
    back = _post(client, "/reviewer/reauth", {"password": PASSWORD, "next": "/reviewer/admin/users"})
    assert back.status_code == 302 and back.headers["Location"] == "/reviewer/admin/users"
    assert _post(client, "/reviewer/admin/users", {**invite, "login": "choi"}).status_code == 201

    clock.advance(minutes=6)
    code = fresh_code(app, "admin", secret)
    by_code = _post(client, "/reviewer/reauth", {"code": code, "next": "/reviewer/admin/users"})
    assert by_code.status_code == 302
    assert _post(client, "/reviewer/admin/users", {**invite, "login": "jung"}).status_code == 201
    replay = _post(client, "/reviewer/reauth", {"code": code})
    assert replay.status_code == 401

    actions = [a for _, a, _ in _actions(app)]
    assert actions.count("user.invite") == 4 and actions.count("reauth") == 2


def _user_missing(app: Flask, login: str) -> bool:
    with app.app_context():
        return accounts.find_user(db.session(), login) is None


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/\tevil",
        "reviewer/",
    ],
)
def test_next_never_leaves_the_site(app: Flask, client: FlaskClient, target: str) -> None:
    _, secret = make_user(app, "kim", "reviewer")
    log_in(client, "kim", PASSWORD, secret)
    response = _post(client, "/reviewer/reauth", {"password": PASSWORD, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/reviewer/"


def test_login_returns_to_the_page_asked_for(app: Flask, client: FlaskClient) -> None:
    _, secret = make_user(app, "admin", "admin")
    asked = client.get("/reviewer/admin/users")
    assert asked.status_code == 302
    assert asked.headers["Location"].startswith("/reviewer/login?next=/reviewer/admin/users")
    first = _post(
        client, "/reviewer/login", {"login": "admin", "password": PASSWORD, "next": "/reviewer/admin/users?"}
    )
    assert first.status_code == 302
    second = client.post(
        first.headers["Location"],
        data={
            "code": fresh_code(app, "admin", secret),
            "next": "/reviewer/admin/users?",
            "csrf_token": csrf_token(client, first.headers["Location"]),
        },
    )
    assert second.headers["Location"] == "/reviewer/admin/users"


# --- who reaches what -----------------------------------------------------------------------------------

PUBLIC = {"reviewer_auth.login", "reviewer_auth.login_code", "reviewer_auth.accept_invitation",
          "reviewer_auth.enrol_totp", "reviewer_auth.logout"}  # fmt: skip


def _my_routes(app: Flask) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("reviewer_auth.", "reviewer_users.")) or rule.endpoint in PUBLIC:
            continue
        path = rule.rule.replace("<int:user_id>", "1")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, path))
    return routes


def test_no_page_of_mine_opens_anonymously_or_before_the_code(app: Flask, client: FlaskClient) -> None:
    make_user(app, "admin", "admin")
    routes = _my_routes(app)
    assert {e for e, _, _ in routes} >= {
        "reviewer_auth.home",
        "reviewer_auth.reauth",
        "reviewer_users.admin_users",
        "reviewer_users.admin_invite",
        "reviewer_users.admin_unlock",
        "reviewer_users.admin_disable",
    }
    app.config["WTF_CSRF_ENABLED"] = False  # so that POSTs reach the access check

    def refused_everywhere(stage: str) -> None:
        for endpoint, method, path in routes:
            response = client.open(
                path, method=method, data={"login": "x", "display_name": "x", "admin": "on"}
            )
            assert response.status_code == 302, (stage, endpoint, method)
            assert response.headers["Location"].startswith("/reviewer/login"), (stage, endpoint, method)

    refused_everywhere("anonymous")
    assert _password_step(client, "admin", PASSWORD).status_code == 302  # password only, no code yet
    refused_everywhere("password only")
    assert _user_missing(app, "x")
    # The public pages send a half-logged-in person nowhere but the code.
    assert client.get("/reviewer/totp/enrol").headers["Location"].startswith("/reviewer/login/code")


def test_admin_pages_refuse_reviewers(app: Flask, client: FlaskClient) -> None:
    _, secret = make_user(app, "kim", "reviewer", "case_team")
    log_in(client, "kim", PASSWORD, secret)
    assert client.get("/reviewer/admin/users").status_code == 403
    assert (
        _post(
            client, "/reviewer/admin/users", {"login": "x", "display_name": "x"}, "/reviewer/reauth"
        ).status_code
        == 403
    )


def test_posts_without_a_csrf_token_are_refused(app: Flask, client: FlaskClient) -> None:
    _, secret = make_user(app, "admin", "admin")
    assert client.post("/reviewer/login", data={"login": "admin", "password": PASSWORD}).status_code == 400
    log_in(client, "admin", PASSWORD, secret)
    for path in (
        "/reviewer/logout",
        "/reviewer/reauth",
        "/reviewer/admin/users",
        "/reviewer/admin/users/1/unlock",
    ):
        assert client.post(path, data={"password": PASSWORD}).status_code == 400, path
    assert client.get("/reviewer/").status_code == 200  # still logged in
    assert client.get("/reviewer/logout").status_code == 405


# --- administration -------------------------------------------------------------------------------------


def test_disabling_ends_sessions_and_logins(app: Flask, client: FlaskClient) -> None:
    admin_id, admin_secret = make_user(app, "admin", "admin")
    kim_id, secret = make_user(app, "kim", "reviewer")
    log_in(client, "kim", PASSWORD, secret)
    admin = app.test_client()
    log_in(admin, "admin", PASSWORD, admin_secret)
    page = admin.get("/reviewer/admin/users").get_data(as_text=True)
    assert f"/reviewer/admin/users/{kim_id}/disable" in page
    assert f"/reviewer/admin/users/{admin_id}/disable" not in page
    assert (
        _post(admin, f"/reviewer/admin/users/{admin_id}/disable", {}, "/reviewer/admin/users").status_code
        == 400
    )
    assert (
        _post(admin, f"/reviewer/admin/users/{kim_id}/disable", {}, "/reviewer/admin/users").status_code
        == 302
    )
    assert client.get("/reviewer/").status_code == 302
    assert _password_step(client, "kim", PASSWORD).status_code == 401
    assert ("admin", "user.disable", "user:kim") in _actions(app)


def test_web_invitation_uses_the_base_url_and_needs_a_role(app: Flask, client: FlaskClient) -> None:
    app.config["SORI_BASE_URL"] = "https://sori.example.org/"
    _, secret = make_user(app, "admin", "admin")
    log_in(client, "admin", PASSWORD, secret)
    none = _post(client, "/reviewer/admin/users", {"login": "x@example.org", "display_name": "X"})
    assert none.status_code == 400 and _user_missing(app, "x@example.org")
    made = _post(
        client, "/reviewer/admin/users", {"login": "X@Example.org", "display_name": "X", "case_team": "on"}
    )
    assert "https://sori.example.org/reviewer/invite/" in made.get_data(as_text=True)
    assert made.headers["Cache-Control"] == "no-store"
    user = user_by_login(app, "x@example.org")
    assert accounts.roles_of(user) == ["case_team"] and user.invite_hash and len(user.invite_hash) == 64


def test_pages_render_in_korean_and_english(app: Flask, client: FlaskClient) -> None:
    # The Korean catalog is filled in by the translator; the page goes through Babel in both languages.
    for lang in ("ko", "en"):
        body = client.get(f"/reviewer/login?lang={lang}").get_data(as_text=True)
        assert f'<html lang="{lang}">' in body and 'name="password"' in body
    assert "Reviewer login" in client.get("/reviewer/login?lang=en").get_data(as_text=True)


def test_users_have_roles_as_flags(app: Flask) -> None:
    make_user(app, "all", "admin", "reviewer", "case_team")
    user = user_by_login(app, "all")
    assert isinstance(user, User) and accounts.roles_of(user) == ["admin", "reviewer", "case_team"]
    assert accounts.state_of(user) == "active"
    assert isinstance(user.totp_confirmed_at, datetime)


def test_racing_checks_of_one_account_get_one_guess_at_a_time(app: Flask) -> None:
    make_user(app, "kim", "reviewer")
    with app.app_context():
        engine = db.database().engine
        from sqlalchemy.orm import Session

        with Session(engine) as first, Session(engine) as second:
            mine = first.scalars(select(User).where(User.login == "kim")).one()
            theirs = second.scalars(select(User).where(User.login == "kim")).one()
            assert accounts._begin_attempt(first, mine) is not None
            # The second request read the account before the first counted its attempt: it gets none.
            assert accounts._begin_attempt(second, theirs) is None
    assert user_by_login(app, "kim").failed_logins == 1
