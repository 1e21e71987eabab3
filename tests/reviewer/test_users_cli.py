"""`sori users`: invite (the first admin too), list, unlock and disable, each audited."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from core import audit, db
from reviewer import accounts
from tests.reviewer.helpers import PASSWORD, cheap_hashing, csrf_token, log_in, make_user, user_by_login


def test_the_first_admin_is_invited_from_the_command_line(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient
) -> None:
    cheap_hashing(app)
    app.config["SORI_BASE_URL"] = "https://sori.example.org"
    result = runner.invoke(args=["users", "invite", "Admin@Example.org", "--name", "관리자", "--admin"])
    assert result.exit_code == 0, result.output
    link = re.search(r"https://sori\.example\.org/reviewer/invite/(\S+)", result.output)
    assert link is not None and "admin@example.org (admin)" in result.output
    page = client.get(f"/reviewer/invite/{link.group(1)}")
    assert page.status_code == 200
    token = csrf_token(client, f"/reviewer/invite/{link.group(1)}")
    accepted = client.post(
        f"/reviewer/invite/{link.group(1)}",
        data={"password": PASSWORD, "password_again": PASSWORD, "csrf_token": token},
    )
    assert accepted.status_code == 302
    listed = runner.invoke(args=["users", "list"]).output
    assert "admin@example.org\t관리자\tadmin\tno-totp\ttotp_pending" in listed


def test_default_base_url_and_refusals(runner: FlaskCliRunner) -> None:
    made = runner.invoke(args=["users", "invite", "kim", "--name", "Kim", "--reviewer", "--case-team"])
    assert made.exit_code == 0 and "http://127.0.0.1:5000/reviewer/invite/" in made.output
    assert "(reviewer, case_team)" in made.output
    no_role = runner.invoke(args=["users", "invite", "lee", "--name", "Lee"])
    assert no_role.exit_code == 1 and "at least one role" in no_role.output
    no_name = runner.invoke(args=["users", "invite", "lee", "--admin"])
    assert no_name.exit_code == 2
    assert runner.invoke(args=["users", "unlock", "nobody"]).exit_code == 1
    assert runner.invoke(args=["users", "disable", "nobody"]).exit_code == 1


def test_unlock_and_disable(app: Flask, runner: FlaskCliRunner, client: FlaskClient) -> None:
    _, secret = make_user(app, "kim", "reviewer")
    with app.app_context():
        user = accounts.find_user(db.session(), "kim")
        user.failed_logins, user.locked_at = 10, accounts.now()
        db.session().commit()
    assert "locked" in runner.invoke(args=["users", "list"]).output
    unlocked = runner.invoke(args=["users", "unlock", "kim"])
    assert unlocked.exit_code == 0 and "kim is unlocked" in unlocked.output
    assert user_by_login(app, "kim").failed_logins == 0
    log_in(client, "kim", PASSWORD, secret)
    disabled = runner.invoke(args=["users", "disable", "kim"])
    assert disabled.exit_code == 0
    assert client.get("/reviewer/").status_code == 302
    assert "disabled" in runner.invoke(args=["users", "list"]).output
    with app.app_context():
        checked, broken = audit.verify(db.session())
        actions = [entry.action for entry in audit.entries(db.session())]
    assert broken is None and checked == len(actions)
    assert actions[:3] == ["user.disable", "login", "user.unlock"]
