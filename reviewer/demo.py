"""Demo logins for ``sori demo``: the demo reviewers get accounts whose keys are their demo identities, a
demo admin vets and operates, and a demo case-team member builds dossiers. Passwords and TOTP secrets are
printed and kept under ``<data>/demo/``: demo only, never for real testimony."""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from core import db
from core.demo import DemoReviewer
from core.models import Recipient
from crypto.keys import read_identity_public_key
from reviewer import accounts, enrolment
from reviewer.models import ReviewerKey, User
from reviewer.records.demo import add_demo_records

DEMO_ADMIN = "demo-admin"
DEMO_CASE_TEAM = "demo-case-team"


def add_demo(demo_dir: Path, reviewers: list[DemoReviewer]) -> dict[str, list[str]]:
    """Give each demo reviewer a login with its demo identity as a vetted key, make a demo admin, and add
    fictional records citing the demo accounts; returns the lines ``sori demo`` prints for each."""
    session = db.session()
    lines: dict[str, list[str]] = {}
    for reviewer in reviewers:
        user, credentials = _account(demo_dir, reviewer.name, reviewer=True)
        identity_text = reviewer.identity_path.read_text(encoding="utf-8")
        public_key = read_identity_public_key(identity_text)
        recipient = session.scalars(select(Recipient).where(Recipient.public_key == public_key.text)).one()
        if (
            session.scalars(select(ReviewerKey).where(ReviewerKey.public_key == public_key.text)).first()
            is None
        ):
            session.add(
                ReviewerKey(
                    user_id=user.id,
                    public_key=public_key.text,
                    fingerprint=public_key.fingerprint,
                    wrapped_identity=identity_text,
                    recipient_id=recipient.id,
                    vetted_at=datetime.now(UTC),
                )
            )
            session.commit()
        lines[reviewer.name] = _login_lines(reviewer.name, credentials)
    _, credentials = _account(demo_dir, DEMO_ADMIN, admin=True)
    lines[DEMO_ADMIN] = [
        "an admin: invites people and vets keys, reads no testimony",
        *_login_lines(DEMO_ADMIN, credentials),
    ]
    _, credentials = _account(demo_dir, DEMO_CASE_TEAM, case_team=True)
    lines[DEMO_CASE_TEAM] = [
        "case team: reads records and exports dossiers, never testimony",
        *_login_lines(DEMO_CASE_TEAM, credentials),
    ]
    add_demo_records(session, demo_dir, reviewers)
    return lines


def _account(
    demo_dir: Path, login: str, *, admin: bool = False, reviewer: bool = False, case_team: bool = False
) -> tuple[User, dict]:
    """The demo account ``login``, made on the first run; its password and TOTP secret."""
    session = db.session()
    path = demo_dir / f"{login}.login.json"
    user = accounts.find_user(session, login)
    if user is None:
        password = "demo-" + secrets.token_urlsafe(12)
        user = enrolment.create_enrolled_user(
            session, login, login, password, admin=admin, reviewer=reviewer, case_team=case_team
        )
        session.commit()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump({"login": login, "password": password, "totp_secret": user.totp_secret}, file)
    return user, json.loads(path.read_text(encoding="utf-8"))


def _login_lines(login: str, credentials: dict) -> list[str]:
    return [
        f"login:         {login}   password: {credentials['password']}",
        f"TOTP secret:   {credentials['totp_secret']}   (add it to an authenticator app, or: "
        f".venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{credentials['totp_secret']}').now())\")",
        f"log in at:     {str(current_app.config.get('SORI_BASE_URL') or 'http://127.0.0.1:5000').rstrip('/')}"
        "/reviewer/login",
    ]
