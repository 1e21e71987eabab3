"""`sori demo` gives the demo reviewers logins whose keys are their demo identities, a demo admin and a demo
case-team member."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner

from core import db
from reviewer import access, accounts
from reviewer.models import User
from tests.reviewer.helpers import cheap_hashing, log_in


def test_demo_reviewers_can_log_in_and_hold_vetted_keys(app: Flask, runner: FlaskCliRunner) -> None:
    cheap_hashing(app)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    demo = Path(app.config["SORI_DATA_DIR"]) / "demo"
    for login in ("demo-reviewer-a", "demo-reviewer-b", "demo-admin", "demo-case-team"):
        credentials = json.loads((demo / f"{login}.login.json").read_text())
        assert credentials["password"] in result.output and credentials["totp_secret"] in result.output
        with app.app_context():
            user = accounts.find_user(db.session(), login)
            assert isinstance(user, User)
            vetted = access.vetted_key(user)
            assert (vetted is not None) == login.startswith("demo-reviewer")
            assert user.is_case_team == (login == "demo-case-team")
            if vetted is not None:
                assert vetted.wrapped_identity == (demo / f"{login}.identity").read_text()
        client = app.test_client()
        log_in(client, login, credentials["password"], credentials["totp_secret"])
        assert client.get("/reviewer/").status_code == 200
    again = runner.invoke(args=["demo"])
    assert (
        again.exit_code == 0
        and json.loads((demo / "demo-admin.login.json").read_text())["password"] in again.output
    )
