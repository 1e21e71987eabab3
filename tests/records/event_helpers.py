"""Helpers for the records tests: logged-in reviewers and case-team members, submissions in a given triage
state, posting a records form with its CSRF token, a refused form's page, submissions linked as sources of
an act or an involvement, and a record merged into another."""

from __future__ import annotations

import secrets

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import db
from core.models import AuditEntry, Submission
from reviewer.models import Triage, User
from reviewer.records.models import Information
from tests.reviewer.helpers import PASSWORD, csrf_token, log_in, make_user

RECORDS = "/reviewer/records"


def reviewer(app: Flask, login: str = "kim") -> FlaskClient:
    """A client logged in as a reviewer, reading English."""
    _, secret = make_user(app, login, "reviewer")
    return _logged_in(app, login, secret)


def case_team(app: Flask, login: str = "case") -> FlaskClient:
    """A client logged in as a case-team member (reads records, edits nothing)."""
    _, secret = make_user(app, login, "case_team")
    return _logged_in(app, login, secret)


def _logged_in(app: Flask, login: str, secret: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in(client, login, PASSWORD, secret)
    return client


def submission(app: Flask, state: str = "in_review", duplicate_of: str | None = None) -> str:
    """A submission (without envelopes: these pages never read them) in ``state``; returns its id."""
    with app.app_context():
        session = db.session()
        row = Submission(receipt_hash=secrets.token_hex(32), state=state)
        session.add(row)
        session.flush()
        if duplicate_of is not None:
            session.add(Triage(submission_id=row.id, duplicate_of_id=duplicate_of))
        session.commit()
        return row.id


def set_state(app: Flask, submission_id: str, state: str) -> None:
    with app.app_context():
        db.session().get(Submission, submission_id).state = state
        db.session().commit()


def post(client: FlaskClient, path: str, data: dict | None = None, follow: bool = False):
    """POST ``data`` with a CSRF token to ``RECORDS + path``."""
    token = csrf_token(client, "/reviewer/")
    return client.post(RECORDS + path, data={**(data or {}), "csrf_token": token}, follow_redirects=follow)


def created_id(response) -> int:
    """The id at the end of a redirect to a record's page."""
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def audit_actions(app: Flask, subject_prefix: str = "") -> list[tuple[str, str, str]]:
    """(action, subject, details) of the audit entries whose subject starts with ``subject_prefix``."""
    with app.app_context():
        rows = db.session().execute(
            select(AuditEntry.action, AuditEntry.subject, AuditEntry.details)
            .where(AuditEntry.subject.startswith(subject_prefix))
            .order_by(AuditEntry.seq)
        )
        return [tuple(row) for row in rows]


def refused(response) -> str:
    """The page of a records form refused with HTTP 400, nothing saved."""
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page
    return page


def link_sources(
    session: Session, login: str, submission_ids: list[str], reliability: str, **target: int
) -> None:
    """Link each submission, as a victim's account, to the act or involvement ``target`` (``act_id=`` or
    ``involvement_id=``), recorded by ``login``."""
    user = session.scalar(select(User).where(User.login == login))
    for submission_id in submission_ids:
        session.add(
            Information(
                submission_id=submission_id,
                connection="victim",
                reliability=reliability,
                created_by_id=user.id,
                **target,
            )
        )


def merge(app: Flask, model: type, merged: int, kept: int) -> None:
    """Mark the ``model`` record ``merged`` as merged into ``kept``."""
    with app.app_context():
        db.session().get(model, merged).merged_into_id = kept
        db.session().commit()
