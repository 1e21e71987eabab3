"""Helpers for the tests of `sori check` and of backups: a store holding submissions with envelopes both
in their rows and in the blob store, sealed to a vetted reviewer, and envelopes made to order."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

from flask import Flask

from core import db, submissions
from core.blobstore import BlobStore
from crypto.envelope import encrypt_parts
from crypto.keys import Identity

#: Plaintext that must never be found in any file Sori writes.
SENTINEL = "SENTINEL-증언-7f3a1c"


def envelope_bytes(identity: Identity, size: int = 1000, text: str = SENTINEL) -> bytes:
    """An envelope sealed to ``identity``: answers holding ``text``, and an attachment of ``size`` bytes."""
    out = io.BytesIO()
    encrypt_parts(
        out,
        [identity.public_key],
        [
            ("answers.json", "application/json", f'{{"what": "{text}"}}'.encode()),
            ("photo.jpg", "image/jpeg", (text.encode() * (size // len(text.encode()) + 1))[:size]),
        ],
    )
    return out.getvalue()


#: A source's public key for submissions stored by tests (its secret key is not needed).
SOURCE_KEY = Identity.generate().public_key.text


@dataclass
class Stored:
    """A submission stored by a test: its receipt's lookup key, id and envelope bytes."""

    receipt_key: bytes
    submission_id: str
    ciphertext: bytes
    in_blob: bool


def store_submission(app: Flask, identity: Identity, *, in_blob: bool, size: int = 1000) -> Stored:
    """Store a new submission through the submissions service, its envelope in its row or in a blob."""
    data = envelope_bytes(identity, size)
    receipt_key = os.urandom(32)
    key_ids = (identity.public_key.key_id,)
    with app.app_context():
        session = db.session()
        if in_blob:
            with submissions.blob_store().writing() as pending:
                pending.file.write(data)
                submissions.new_submission(
                    session, receipt_key, pending, len(data), key_ids, "server", source_public_key=SOURCE_KEY
                )
        else:
            submissions.new_submission(
                session, receipt_key, data, len(data), key_ids, "browser", source_public_key=SOURCE_KEY
            )
        found = submissions.find_by_lookup_key(session, receipt_key)
        assert found is not None
        return Stored(receipt_key, found.id, data, in_blob)


def blob_store(app: Flask) -> BlobStore:
    with app.app_context():
        return submissions.blob_store()
