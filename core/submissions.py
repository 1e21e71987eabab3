"""Storing what sources send: submissions, their envelopes, the recipient keys they are sealed to, receipts.

The order of a store is what makes "nothing accepted is lost" hold. A small envelope goes into its row,
and one commit makes both durable. A larger one goes to the blob store (core/blobstore.py): with files, it
is flushed to disk and renamed into place, then the row is committed; in the database, its chunks are
written in the row's own transaction, and one commit makes both durable. Only then may a receipt be shown.
A crash before the commit leaves at most a blob without a row (files), which ``sori check`` reports; never
a row without its envelope, and never a receipt for something not stored.

A submission is the hot path of the whole service (DESIGN.md section 7), so rows are written with two
plain inserts and the recipient check reads key ids only.
"""

from __future__ import annotations

import contextlib
import io
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from flask import current_app
from sqlalchemy import Connection, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import commits, db, form_nonces, green, receipts, recipients
from core.blobs_in_database import DatabaseBlobs
from core.blobs_on_disk import FileBlobs
from core.blobstore import BlobStore, PendingBlob
from core.config import BLOBS_DIR
from core.models import RECEIPT_SCHEME, Envelope, Recipient, Setting, Submission, new_id
from crypto.keys import PublicKey
from crypto.receipts import ReceiptKeys

RECEIPT_SALT_SETTING = "receipt_salt"

Path_ = Literal["browser", "server"]
#: Who wrote an envelope: the source, or a reviewer writing to the source (core/conversation.py).
Kind = Literal["source", "reviewer"]


#: Envelopes up to this size are kept in their row; larger ones in the blob store.
INLINE_MAX = 256 * 1024

#: Where an envelope's bytes are on their way to storage: a blob being written, or the bytes themselves.
Ciphertext = PendingBlob | bytes


class ReceiptInUse(Exception):
    """Another submission already has this receipt: accepting it would link two sources' accounts."""


class RecipientsChanged(Exception):
    """The envelope is not sealed to exactly the reviewers vetted now (a key was added or revoked)."""


def blob_store() -> BlobStore:
    """The current application's blob store (``SORI_BLOB_STORE``), reading from the other backend too while
    blobs move between them (``sori blobs move``)."""
    files = FileBlobs(Path(current_app.config["SORI_DATA_DIR"]) / BLOBS_DIR)
    database = DatabaseBlobs(db.database().engine, files.tmp)
    if current_app.config["SORI_BLOB_STORE"] == "database":
        database.fallback = files
        return database
    files.fallback = database
    return files


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
    """The instance's receipt salt: read once per process and database, since it never changes."""
    url = str(session.get_bind().url)
    if url not in _salts:
        _salts[url] = ensure_receipt_salt(session)
    return _salts[url]


_salts: dict[str, bytes] = {}


def find_by_lookup_key(session: Session, lookup_key: bytes | None) -> Submission | None:
    """The submission a receipt's lookup key opens (crypto/FORMAT.md 6.2), or ``None``."""
    if lookup_key is None:
        return None
    digest = receipts.stored_hash(lookup_key)
    query = select(Submission).where(Submission.receipt_hash == digest, Submission.receipt_scheme == 2)
    return session.scalars(query).one_or_none()


def find_by_receipt(session: Session, keys: ReceiptKeys) -> Submission | None:
    """The submission a receipt opens, when the server derived its keys (no JavaScript): by its lookup key,
    or, for a receipt issued before the lookup key, by its legacy hash, which is then upgraded in place
    (FORMAT.md 6.3; the caller commits)."""
    found = find_by_lookup_key(session, keys.lookup_key)
    if found is not None:
        return found
    query = select(Submission).where(
        Submission.receipt_hash == keys.legacy_hash, Submission.receipt_scheme == 1
    )
    legacy = session.scalars(query).one_or_none()
    if legacy is not None:
        legacy.receipt_hash = receipts.stored_hash(keys.lookup_key)
        legacy.receipt_scheme = 2
        legacy.source_public_key = keys.identity.public_key.text
    return legacy


def has_legacy_receipts(session: Session) -> bool:
    """Whether any receipt issued before the lookup key is still waiting for its source to come back."""
    query = select(Submission.id).where(Submission.receipt_scheme == 1).limit(1)
    return session.execute(query).first() is not None


def learn_source_key(submission: Submission, source_public_key: str | None) -> None:
    """Keep the source's public key, sent by the source's browser, if the submission has none yet (one
    stored before the conversation existed); the caller commits. A key already kept is never replaced."""
    if submission.source_public_key is None and source_public_key is not None:
        submission.source_public_key = PublicKey.parse(source_public_key).text


def new_submission(
    session: Session,
    lookup_key: bytes,
    ciphertext: Ciphertext,
    size: int,
    key_ids: tuple[bytes, ...],
    path: Path_,
    *,
    source_public_key: str | None,
    nonce: bytes | None = None,
) -> None:
    """Store a first envelope as a new submission that the receipt with ``lookup_key`` opens, with the
    source's public key (printable, crypto/FORMAT.md 6.1); durable when this returns.

    ``nonce`` is the posted form's (core/form_nonces.py), spent in the same transaction. Raises
    :class:`ReceiptInUse` if another submission has that receipt, :class:`~core.form_nonces.NonceSpent`
    if the form was posted before; either way nothing is stored."""
    new = _NewSubmission(receipts.stored_hash(lookup_key), source_public_key)
    _store(session, None, new, ciphertext, size, key_ids, path, nonce)


def add_envelope(
    session: Session,
    submission_id: str,
    ciphertext: Ciphertext,
    size: int,
    key_ids: tuple[bytes, ...],
    path: Path_,
    *,
    nonce: bytes | None = None,
    kind: Kind = "source",
) -> None:
    """Store a further envelope of an existing submission: what a source adds (spending the posted form's
    ``nonce`` in the same transaction, see :func:`new_submission`), or a reviewer's message to the source."""
    _store(session, submission_id, None, ciphertext, size, key_ids, path, nonce, kind)


@dataclass(frozen=True)
class _NewSubmission:
    """The row of a submission being stored with its first envelope."""

    receipt_hash: str
    source_public_key: str | None


def open_envelope(envelope: Envelope) -> BinaryIO:
    """The bytes of a stored envelope, wherever they are kept."""
    if envelope.blob_id is not None:
        return blob_store().open(envelope.blob_id)
    assert envelope.ciphertext is not None  # the one_place constraint
    return io.BytesIO(envelope.ciphertext)


def _store(
    session: Session,
    submission_id: str | None,
    new: _NewSubmission | None,
    ciphertext: Ciphertext,
    size: int,
    key_ids: tuple[bytes, ...],
    path: Path_,
    nonce: bytes | None,
    kind: Kind = "source",
) -> None:
    pending = ciphertext if isinstance(ciphertext, PendingBlob) else None
    # A file is made durable before the row that names it, its fsyncs off the event loop (core/green.py),
    # like the commit (core/commits.py); a blob kept in the database is written in the row's transaction,
    # so that one commit makes both durable (and a group of writes run again one by one writes it again).
    file_blob = (
        green.off_loop(lambda: pending.commit(None))
        if pending is not None and not pending.store.in_row_transaction
        else None
    )
    envelope = {
        "ciphertext": None if pending is not None else ciphertext,
        "ciphertext_size": size,
        "recipient_key_ids": json.dumps([k.hex() for k in key_ids]),
        "path": path,
        "kind": kind,
    }

    def write(connection: Connection) -> None:
        # Plain inserts of statements built once: the ORM's unit of work would cost more than the rest.
        blob_id = file_blob or (pending.commit(connection) if pending is not None else None)
        if nonce is not None:
            form_nonces.spend(connection, nonce)
        if new is not None:
            target, sequence = new_id(), 1
            connection.execute(
                _INSERT_SUBMISSION,
                {
                    "id": target,
                    "receipt_hash": new.receipt_hash,
                    "receipt_scheme": RECEIPT_SCHEME,
                    "source_public_key": new.source_public_key,
                },
            )
        else:
            target = submission_id
            sequence = (connection.execute(_LAST_SEQUENCE, {"submission": target}).scalar_one() or 0) + 1
        connection.execute(
            _INSERT_ENVELOPE, {**envelope, "blob_id": blob_id, "submission_id": target, "sequence": sequence}
        )

    try:
        commits.run(session, write)
    except BaseException as exc:
        session.rollback()
        if file_blob is not None and pending is not None:
            # No row will point at it, so it must not stay behind as an orphan.
            pending.store.remove(file_blob)
        if isinstance(exc, IntegrityError) and new is not None:
            raise ReceiptInUse("this receipt belongs to another submission") from exc
        raise
    if file_blob is not None and pending is not None:
        # Only the day, like the row (core/blobstore.py). The envelope is stored whatever happens here.
        with contextlib.suppress(OSError):
            pending.store.coarsen_times(file_blob)


_INSERT_SUBMISSION = insert(Submission.__table__)
_INSERT_ENVELOPE = insert(Envelope.__table__)
_LAST_SEQUENCE = select(func.max(Envelope.sequence)).where(Envelope.submission_id == bindparam("submission"))
