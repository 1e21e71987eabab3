"""Helpers for the retention tests: two reviewers with vetted keys, submissions stored through the intake
service (their envelopes in rows or in the blob store, a receipt whose lookup key the test keeps), what
reviewers do to them (triage, reading, notes, tags, key grants, links to records), and time moved forward.

    story = Story.make(app)
    stored = story.submit(in_blob=True)
    story.move(stored.submission_id, "in_review", "rejected")
    story.read(stored.submission_id)
    story.later(monkeypatch, days=91)
"""

from __future__ import annotations

import io
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import MetaData, select

from core import audit, db, source_choices, submissions
from core.models import Envelope, Submission
from crypto.envelope import encrypt_parts
from crypto.keys import Identity
from reviewer import triage
from reviewer.models import Tag, User
from reviewer.records import events, information
from reviewer.retention import decisions, policies
from tests.core.store_helpers import Stored, store_submission
from tests.reviewer.helpers import PASSWORD, log_in, make_user
from tests.reviewer.reading_helpers import add_grant, give_vetted_key, seal


@dataclass
class Story:
    """Two vetted reviewers, ``kim`` and ``lee``, and what they do on one application."""

    app: Flask
    identities: dict[str, Identity] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    @classmethod
    def make(cls, app: Flask) -> Story:
        story = cls(app)
        for login in ("kim", "lee"):
            user_id, secret = make_user(app, login, "reviewer", name=f"{login.title()} Reviewer")
            story.ids[login] = user_id
            story.secrets[login] = secret
            story.identities[login] = give_vetted_key(app, user_id)
        return story

    def client(self, login: str) -> FlaskClient:
        """A client logged in as ``login``, reading English."""
        client = self.app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        log_in(client, login, PASSWORD, self.secrets[login])
        return client

    def submit(self, *, in_blob: bool = False, size: int = 1000) -> Stored:
        """A new submission sealed to kim, through the intake service."""
        return store_submission(self.app, self.identities["kim"], in_blob=in_blob, size=size)

    def user(self, login: str) -> User:
        user = db.session().get(User, self.ids[login])
        assert user is not None
        return user

    def move(self, submission_id: str, *states: str, by: str = "kim") -> None:
        """Triage through ``states`` in order, as ``by`` (``verified`` takes kim's proposal and lee's
        confirmation)."""
        with self.app.app_context():
            session = db.session()
            submission = session.get(Submission, submission_id)
            for state in states:
                if state == "verified":
                    triage.change_state(session, submission, state, self.user("kim"))
                    triage.change_state(session, submission, state, self.user("lee"))
                else:
                    triage.change_state(session, submission, state, self.user(by))
            session.commit()

    def duplicate(self, submission_id: str, original_id: str) -> None:
        """Mark the submission (in review) as a duplicate of ``original_id``, as kim."""
        with self.app.app_context():
            session = db.session()
            submission = session.get(Submission, submission_id)
            triage.change_state(session, submission, "duplicate", self.user("kim"), duplicate_of=original_id)
            session.commit()

    def source_chooses(self, submission_id: str, choice: str) -> None:
        """The source withdraws (``withdraw``) or asks for deletion (``delete``) from the status page."""
        with self.app.app_context():
            session = db.session()
            submission = session.get(Submission, submission_id)
            if choice == "withdraw":
                source_choices.withdraw(session, submission)
            else:
                source_choices.request_deletion(session, submission)
            session.commit()

    def decide(self, submission_id: str, decision: str, by: str = "kim", **arguments: str) -> None:
        """A retention decision (reviewer/retention/decisions.py) by ``by``, e.g. ``place_hold``."""
        with self.app.app_context():
            session = db.session()
            submission = session.get(Submission, submission_id)
            getattr(decisions, decision)(session, submission, self.user(by), **arguments)
            session.commit()

    def read(self, submission_id: str, by: str = "kim") -> None:
        """``by`` fetched every envelope of the submission, as the submission page does."""
        with self.app.app_context():
            session = db.session()
            for envelope_id in session.scalars(
                select(Envelope.id).where(Envelope.submission_id == submission_id)
            ):
                audit.record(
                    session,
                    self.user(by),
                    "envelope.fetch",
                    f"envelope:{envelope_id}",
                    submission=submission_id,
                )
            session.commit()

    def note(self, submission_id: str, by: str = "kim") -> bytes:
        """A note sealed to both reviewers, as the submission page stores it; its ciphertext."""
        keys = [identity.public_key for identity in self.identities.values()]
        ciphertext, _file_key = seal(
            [("note.txt", "text/plain", f"note {secrets.token_hex(4)}".encode())], keys
        )
        with self.app.app_context():
            session = db.session()
            triage.add_note(session, session.get(Submission, submission_id), ciphertext, self.user(by))
            session.commit()
        return ciphertext

    def tag(self, submission_id: str, name: str = "회령") -> None:
        with self.app.app_context():
            session = db.session()
            triage.add_tag(session, session.get(Submission, submission_id), name, self.user("kim"))
            session.commit()

    def grant(self, submission_id: str) -> None:
        """A key grant on the submission's first envelope, to lee (as a colleague's browser makes one)."""
        with self.app.app_context():
            envelope_id = db.session().scalar(
                select(Envelope.id).where(Envelope.submission_id == submission_id).limit(1)
            )
        add_grant(self.app, envelope_id, os.urandom(32), self.ids["lee"], self.ids["kim"])

    def act(self) -> int:
        """A new incident with one act; the act's id."""
        with self.app.app_context():
            session = db.session()
            incident = events.create_incident(session, self.user("kim"), title="구류장 조사 2019")
            act = events.create_act(
                session, self.user("kim"), incident, {"violation": "torture_interrogation"}
            )
            session.commit()
            return act.id

    def link(self, submission_id: str, act_id: int) -> None:
        """Cite the submission as a source of the act."""
        with self.app.app_context():
            session = db.session()
            information.link_information(
                session,
                self.user("kim"),
                submission_id,
                "act",
                act_id,
                connection="witness",
                reliability="likely_reliable",
            )
            session.commit()

    def add_envelope(self, submission_id: str, *, in_blob: bool) -> None:
        """A further envelope of the submission (what a source adds), in its row or in the blob store."""
        data = _envelope(self.identities["kim"])
        key_ids = (self.identities["kim"].public_key.key_id,)
        with self.app.app_context():
            session = db.session()
            if in_blob:
                with submissions.blob_store().writing() as pending:
                    pending.file.write(data)
                    submissions.add_envelope(session, submission_id, pending, len(data), key_ids, "server")
            else:
                submissions.add_envelope(session, submission_id, data, len(data), key_ids, "browser")

    @staticmethod
    def later(monkeypatch: pytest.MonkeyPatch, days: int) -> date:
        """Move the retention's clock ``days`` forward; the day it is now."""
        moved = policies.today() + timedelta(days=days)
        monkeypatch.setattr(policies, "today", lambda: moved)
        return moved


def _envelope(identity: Identity) -> bytes:
    out = io.BytesIO()
    encrypt_parts(out, [identity.public_key], [("answers.json", "application/json", b'{"more": true}')])
    return out.getvalue()


def set_policies(app: Flask, **days: int) -> None:
    """Save retention policies directly (the admin page is tested on its own)."""
    with app.app_context():
        session = db.session()
        chosen = policies.Policies(**{**policies.load(session).as_dict(), **days})
        actor = session.scalars(select(User).limit(1)).first()
        policies.save(session, actor, chosen)
        session.commit()


def every_row(app: Flask) -> str:
    """Every row of every table, as text, binary columns in hex: what a seized database holds (its content,
    not its free pages)."""
    with app.app_context():
        engine = db.database().engine
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return "\n".join(
                repr(tuple(_text(value) for value in row))
                for table in metadata.sorted_tables
                for row in connection.execute(select(table))
            )


def _text(value: object) -> object:
    # Binary columns as hex, so that a search for ciphertext finds it however the driver returns it.
    return bytes(value).hex() if isinstance(value, bytes | memoryview) else value


def exists(app: Flask, submission_id: str) -> bool:
    with app.app_context():
        return db.session().get(Submission, submission_id) is not None


def tags(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session().scalars(select(Tag.name)))


def receipt_hash(app: Flask, submission_id: str) -> str:
    with app.app_context():
        found = db.session().get(Submission, submission_id)
        assert found is not None
        return found.receipt_hash


def envelope_rows(app: Flask, submission_id: str) -> list[tuple[int, str | None, bytes | None]]:
    with app.app_context():
        query = select(Envelope.id, Envelope.blob_id, Envelope.ciphertext).where(
            Envelope.submission_id == submission_id
        )
        return [tuple(row) for row in db.session().execute(query)]


def audit_details(app: Flask, action: str) -> list[tuple[str, str, dict]]:
    """(actor, subject, details) of every audit entry of ``action``, oldest first."""
    from core.models import AuditEntry

    with app.app_context():
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        return [(e.actor, e.subject, json.loads(e.details)) for e in db.session().scalars(query)]
