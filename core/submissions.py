"""Storing what sources send: submissions, their envelopes, the recipient keys they are sealed to, receipts.

The order of a store is what makes "nothing accepted is lost" hold. A small envelope goes into its row,
and one commit makes both durable. A larger one is flushed to disk and renamed into the blob store, then
the row is committed. Only then may a receipt be shown. A crash before the commit leaves at most a blob
without a row, which ``sori check`` reports; never a row without its envelope, and never a receipt for
something not stored.

A submission is the hot path of the whole service (DESIGN.md section 7), so rows are written with two
plain inserts and the recipient check reads key ids only.
"""

from __future__ import annotations

import contextlib
import io
import json
import secrets
from pathlib import Path
from typing import BinaryIO, Literal

from flask import current_app
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import receipts, recipients
from core.blobstore import BlobStore, PendingBlob
from core.config import BLOBS_DIR
from core.models import Envelope, Recipient, Setting, Submission, new_id
from crypto.keys import PublicKey

RECEIPT_SALT_SETTING = "receipt_salt"

Path_ = Literal["browser", "server"]


#: Envelopes up to this size are kept in their row; larger ones in the blob store.
INLINE_MAX = 256 * 1024

#: Where an envelope's bytes are on their way to storage: a blob being written, or the bytes themselves.
Ciphertext = PendingBlob | bytes


class ReceiptInUse(Exception):
    """Another submission already has this receipt: accepting it would link two sources' accounts."""


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
    query = select(Recipient.key_id).where(Recipient.revoked_at.is_(None))
    # On the connection, not through the ORM: this runs for every submission.
    expected = set(session.connection().execute(query).scalars())
    given = [key_id.hex() for key_id in key_ids]
    if set(given) != expected or len(given) != len(expected):
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
    ciphertext: Ciphertext,
    size: int,
    key_ids: tuple[bytes, ...],
    path: Path_,
) -> None:
    """Store a first envelope as a new submission that ``receipt_key`` opens; durable when this returns.

    Raises :class:`ReceiptInUse` if another submission has that receipt (and stores nothing)."""
    _store(session, None, receipts.stored_hash(receipt_key), ciphertext, size, key_ids, path)


def add_envelope(
    session: Session,
    submission_id: str,
    ciphertext: Ciphertext,
    size: int,
    key_ids: tuple[bytes, ...],
    path: Path_,
) -> None:
    """Store a further envelope of an existing submission (a source adding to their account)."""
    _store(session, submission_id, None, ciphertext, size, key_ids, path)


def open_envelope(envelope: Envelope) -> BinaryIO:
    """The bytes of a stored envelope, wherever they are kept."""
    if envelope.blob_id is not None:
        return blob_store().open(envelope.blob_id)
    assert envelope.ciphertext is not None  # the one_place constraint
    return io.BytesIO(envelope.ciphertext)


def _store(
    session: Session,
    submission_id: str | None,
    receipt_hash: str | None,
    ciphertext: Ciphertext,
    size: int,
    key_ids: tuple[bytes, ...],
    path: Path_,
) -> None:
    blob_id = ciphertext.commit() if isinstance(ciphertext, PendingBlob) else None
    try:
        # Plain inserts on the session's connection: the ORM's unit of work would cost more than the rest.
        connection = session.connection()
        if submission_id is None:
            submission_id = new_id()
            connection.execute(
                insert(Submission.__table__).values(id=submission_id, receipt_hash=receipt_hash)
            )
            sequence = 1
        else:
            count = select(func.count()).select_from(Envelope).where(Envelope.submission_id == submission_id)
            sequence = connection.execute(count).scalar_one() + 1
        connection.execute(
            insert(Envelope.__table__).values(
                submission_id=submission_id,
                sequence=sequence,
                blob_id=blob_id,
                ciphertext=None if blob_id else ciphertext,
                ciphertext_size=size,
                recipient_key_ids=json.dumps([k.hex() for k in key_ids]),
                path=path,
            )
        )
        session.commit()
    except BaseException as exc:
        session.rollback()
        if blob_id is not None:
            # No row will point at it, so it must not stay behind as an orphan.
            ciphertext.store.remove(blob_id)  # type: ignore[union-attr]
        if isinstance(exc, IntegrityError) and receipt_hash is not None:
            raise ReceiptInUse("this receipt belongs to another submission") from exc
        raise
    if blob_id is not None:
        # Only the day, like the row (core/blobstore.py). The envelope is stored whatever happens here.
        with contextlib.suppress(OSError):
            ciphertext.store.coarsen_times(blob_id)  # type: ignore[union-attr]
