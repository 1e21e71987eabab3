"""Helpers for the inbox and reading tests: a vetted reviewer key made in Python, and submissions whose
envelopes are sealed to the current recipients, stored in their row or in the blob store.

    identity = give_vetted_key(app, user_id)          # a ReviewerKey + Recipient, vetted
    submission_id, envelope_id = add_submission(app, {"what_happened": "…"})
"""

from __future__ import annotations

import io
import json
import secrets
from datetime import UTC, date, datetime

import nacl.bindings
from flask import Flask
from sqlalchemy import select

from core import db, recipients, submissions
from core.models import Envelope, Recipient, Submission
from crypto.envelope import encrypt_parts
from crypto.keys import Identity, PublicKey
from reviewer.models import KeyGrant, ReviewerKey

KEY_PASSPHRASE = "바다 산 강 나무 하늘"
#: Cheap argon2id for identity files made in tests (FORMAT.md allows any bounded parameters).
CHEAP_KDF = {"opslimit": 1, "memlimit": 8192}


def give_vetted_key(
    app: Flask, user_id: int, *, passphrase: str = KEY_PASSPHRASE, cheap: bool = True
) -> Identity:
    """A new identity for ``user_id``, stored wrapped as a ReviewerKey and vetted (an active recipient)."""
    identity = Identity.generate()
    public = identity.public_key
    wrapped = identity.wrap(passphrase, **(CHEAP_KDF if cheap else {}))
    with app.app_context():
        session = db.session()
        recipient = recipients.add(session, f"reviewer-{user_id}-{secrets.token_hex(3)}", public.text)
        session.add(
            ReviewerKey(
                user_id=user_id,
                public_key=public.text,
                fingerprint=public.fingerprint,
                wrapped_identity=wrapped,
                recipient_id=recipient.id,
                vetted_by_id=user_id,
                vetted_at=datetime.now(UTC),
            )
        )
        session.commit()
    return identity


def revoke_all_keys_of(app: Flask, user_id: int) -> None:
    """Revoke every recipient of ``user_id``'s keys."""
    with app.app_context():
        session = db.session()
        for key in session.scalars(select(ReviewerKey).where(ReviewerKey.user_id == user_id)):
            if key.recipient_id is not None:
                recipient = session.get(Recipient, key.recipient_id)
                assert recipient is not None
                recipient.revoked_at = datetime.now(UTC)
        session.commit()


def answers_document(fields: dict, lang: str = "ko", path: str = "browser") -> bytes:
    return json.dumps(
        {"format": "sori-answers/1", "lang": lang, "path": path, "fields": fields}, ensure_ascii=False
    ).encode("utf-8")


def seal(parts: list[tuple[str, str, bytes]], keys: list[PublicKey]) -> tuple[bytes, bytes]:
    """An envelope of ``parts`` sealed to ``keys``, and its file key (to grant it later)."""
    out = io.BytesIO()
    writer = encrypt_parts(out, keys, [(name, type_, io.BytesIO(data)) for name, type_, data in parts])
    return out.getvalue(), writer.file_key


def add_grant(app: Flask, envelope_id: int, file_key: bytes, user_id: int, granter_id: int) -> None:
    """The envelope's file key sealed to ``user_id``'s vetted key, as a colleague's browser would."""
    with app.app_context():
        session = db.session()
        key = session.scalars(select(ReviewerKey).where(ReviewerKey.user_id == user_id)).first()
        assert key is not None and key.recipient_id is not None
        public = PublicKey.parse(key.public_key)
        session.add(
            KeyGrant(
                envelope_id=envelope_id,
                recipient_id=key.recipient_id,
                sealed_key=nacl.bindings.crypto_box_seal(file_key, public.raw),
                granted_by_id=granter_id,
            )
        )
        session.commit()


def add_submission(
    app: Flask,
    fields: dict | None = None,
    *,
    attachments: list[tuple[str, str, bytes]] = (),
    path: str = "browser",
    received_on: date | None = None,
    in_blob_store: bool = False,
    keys: list[PublicKey] | None = None,
    file_keys: list[bytes] | None = None,
) -> tuple[str, int]:
    """A submission with one envelope sealed to the active recipients (or ``keys``); its file key is
    appended to ``file_keys`` when given."""
    with app.app_context():
        session = db.session()
        if keys is None:
            keys = submissions.recipient_keys(session) or [Identity.generate().public_key]
        parts = [("answers.json", "application/json", answers_document(fields or {"what_happened": "…"}))]
        ciphertext, file_key = seal([*parts, *attachments], keys)
        if file_keys is not None:
            file_keys.append(file_key)
        submission = Submission(receipt_hash=secrets.token_hex(32), state="new")
        if received_on is not None:
            submission.received_on = received_on
        session.add(submission)
        session.flush()
        envelope = Envelope(
            submission_id=submission.id,
            sequence=1,
            ciphertext_size=len(ciphertext),
            recipient_key_ids=json.dumps([k.key_id.hex() for k in keys]),
            path=path,
        )
        if in_blob_store:
            store = submissions.blob_store().within(session.connection())  # in the row's transaction
            envelope.blob_id, _size = store.put(io.BytesIO(ciphertext))
        else:
            envelope.ciphertext = ciphertext
        session.add(envelope)
        session.commit()
        return submission.id, envelope.id
