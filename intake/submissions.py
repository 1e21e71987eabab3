"""Storing what sources send: submissions, their envelopes, the recipient keys they are sealed to, receipts.

The order of a store is what makes "nothing accepted is lost" hold: the envelope is flushed to disk and
renamed into the blob store, then the row is committed, and only then may a receipt be shown. A crash
before the commit leaves at most an envelope without a row, which ``sori check`` reports; never a row
without its envelope, and never a receipt for something not stored.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Literal

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto.keys import PublicKey
from intake import receipts, recipients
from intake.blobstore import BlobStore, PendingBlob
from intake.config import BLOBS_DIR
from intake.models import Envelope, Setting, Submission

RECEIPT_SALT_SETTING = "receipt_salt"

Path_ = Literal["browser", "server"]


class RecipientsChanged(Exception):
    """The envelope is not sealed to exactly the reviewers vetted now (a key was added or revoked)."""


def blob_store() -> BlobStore:
    """The current application's blob store."""
    return BlobStore(Path(current_app.config["SORI_DATA_DIR"]) / BLOBS_DIR)


def recipient_keys(session: Session) -> list[PublicKey]:
    """The public keys every new envelope must be sealed to."""
    return [PublicKey.parse(r.public_key) for r in recipients.active(session)]


def check_recipients(session: Session, key_ids: tuple[bytes, ...]) -> None:
    """Raise :class:`RecipientsChanged` unless ``key_ids`` are exactly the active recipients' key ids."""
    expected = {key.key_id for key in recipient_keys(session)}
    if set(key_ids) != expected or len(key_ids) != len(expected):
        raise RecipientsChanged("the envelope is not sealed to the current reviewers")


def ensure_receipt_salt(session: Session) -> bytes:
    """The instance's receipt salt, made once (by ``sori init``) and kept in the database for every host."""
    setting = session.get(Setting, RECEIPT_SALT_SETTING)
    if setting is None:
        setting = Setting(name=RECEIPT_SALT_SETTING, value=secrets.token_hex(receipts.SALT_BYTES))
        session.add(setting)
        session.commit()
    return bytes.fromhex(setting.value)


def receipt_salt(session: Session) -> bytes:
    """The instance's receipt salt."""
    return ensure_receipt_salt(session)


def find_by_receipt_key(session: Session, receipt_key: bytes | None) -> Submission | None:
    """The submission this receipt key opens, or ``None``."""
    if receipt_key is None:
        return None
    digest = receipts.stored_hash(receipt_key)
    return session.scalars(select(Submission).where(Submission.receipt_hash == digest)).one_or_none()


def new_submission(
    session: Session,
    receipt_key: bytes,
    pending: PendingBlob,
    size: int,
    key_ids: tuple[bytes, ...],
    path: Path_,
) -> Submission:
    """Store a first envelope as a new submission that ``receipt_key`` opens; durable when this returns."""
    submission = Submission(receipt_hash=receipts.stored_hash(receipt_key))
    _store(session, submission, pending, size, key_ids, path)
    return submission


def add_envelope(
    session: Session,
    submission: Submission,
    pending: PendingBlob,
    size: int,
    key_ids: tuple[bytes, ...],
    path: Path_,
) -> None:
    """Store a further envelope of an existing submission (a source adding to their account)."""
    _store(session, submission, pending, size, key_ids, path)


def _store(
    session: Session,
    submission: Submission,
    pending: PendingBlob,
    size: int,
    key_ids: tuple[bytes, ...],
    path: Path_,
) -> None:
    blob_id = pending.commit()
    try:
        session.add(submission)
        session.add(
            Envelope(
                submission=submission,
                sequence=len(submission.envelopes) + 1,
                blob_id=blob_id,
                ciphertext_size=size,
                recipient_key_ids=json.dumps([k.hex() for k in key_ids]),
                path=path,
            )
        )
        session.commit()
    except BaseException:
        session.rollback()
        # No row will point at it, so it must not stay behind as an orphan.
        pending.store.remove(blob_id)
        raise
