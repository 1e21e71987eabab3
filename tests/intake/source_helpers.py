"""Helpers for tests of the source side: a vetted reviewer key, CSRF tokens, and reading what was stored."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from core import db, form_nonces, recipients, submissions
from core.models import Envelope, Submission
from crypto.envelope import decrypt_all
from crypto.keys import Identity

#: The public key a source's browser sends with a new receipt (crypto/FORMAT.md 6.1); tests that do not
#: read what reviewers write back need no secret key for it.
SOURCE_KEY = Identity.generate().public_key.text


def vet_reviewer(app: Flask, name: str = "reviewer") -> Identity:
    """A new reviewer identity registered as a recipient."""
    identity = Identity.generate()
    with app.app_context():
        recipients.add(db.session(), name, identity.public_key.text)
        db.session().commit()
    return identity


def csrf_token(client: FlaskClient, path: str = "/submit") -> str:
    """The CSRF token of a form page (the client keeps the session cookie it belongs to)."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no CSRF token"
    return match.group(1)


def controls(client: FlaskClient, path: str = "/submit") -> dict[str, str]:
    """The control fields a source form posts first: its CSRF token and a fresh one-time nonce."""
    return {"csrf_token": csrf_token(client, path), "form_nonce": form_nonces.new()}


def stored(app: Flask) -> list[tuple[Submission, list[Envelope]]]:
    """Every submission with its envelopes, oldest first."""
    with app.app_context():
        rows = db.session().query(Submission).all()
        return [(s, list(s.envelopes)) for s in rows]


def open_envelope(app: Flask, envelope: Envelope, identity: Identity) -> dict[str, bytes]:
    """The parts of a stored envelope by name, decrypted."""
    with app.app_context():
        stored_envelope = db.session().get(Envelope, envelope.id)
        with submissions.open_envelope(stored_envelope) as file:
            return {info.name: data for info, data in decrypt_all(file, identity)}


def answers_of(parts: dict[str, bytes]) -> dict:
    """The answers document of an opened envelope."""
    return json.loads(parts["answers.json"])


def files_under(folder: Path) -> dict[Path, bytes]:
    """Every file below ``folder`` with its bytes."""
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
