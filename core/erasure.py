"""Erasing submissions for good: the core's rows of each (its envelopes; the submission itself, with its
receipt lookup, the source's public key and consent) deleted in the caller's transaction, a deletion notice
left for its receipt (core/tombstones.py), and its envelope files removed from the blob store once that
transaction has committed. This is the one module that removes the files of stored envelopes; the
reviewer side deletes its own rows first and then calls it (reviewer/retention/deletion.py).

A kill -9 at any moment leaves either the submission whole or its deletion done: the transaction that
deletes an envelope's row also records its blob in ``blob_removals``; files are removed only after the
commit, and each record is dropped only once its file is gone. So a row never lacks its file, and a file
whose row is gone is always listed for removal: :func:`remove_pending` finishes the job whenever it runs
next (``sori retention run`` starts with it).

Nothing is overwritten in place: what is removed is ciphertext, and docs/retention.md says why that is
where the protection lies.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from core import submissions, tombstones
from core.models import BlobRemoval, Envelope, Submission

#: Blob files removed between two commits of :func:`remove_pending`.
REMOVAL_BATCH = 500


@dataclass(frozen=True)
class Erased:
    """What was deleted of one submission: its envelopes and their ciphertext's size in bytes."""

    envelopes: int = 0
    bytes: int = 0


def erase(session: Session, submission_ids: Collection[str], day: date) -> dict[str, Erased]:
    """Delete these submissions and their envelopes in the caller's transaction, recording their blobs for
    removal and leaving a deletion notice dated ``day`` for each receipt; what was deleted of each.

    Rows that point at the submissions or their envelopes from elsewhere (the reviewer side's) must be gone
    first. Submissions that no longer exist are left out. The caller commits, then calls
    :func:`remove_pending`."""
    ids = list(submission_ids)
    if not ids:
        return {}
    receipt_hashes = dict(
        session.execute(select(Submission.id, Submission.receipt_hash).where(Submission.id.in_(ids))).all()
    )
    envelopes = session.execute(
        select(Envelope.submission_id, Envelope.blob_id, Envelope.ciphertext_size).where(
            Envelope.submission_id.in_(list(receipt_hashes))
        )
    ).all()
    counts = {submission_id: [0, 0] for submission_id in receipt_hashes}
    for row in envelopes:
        counts[row.submission_id][0] += 1
        counts[row.submission_id][1] += row.ciphertext_size
    blob_ids = [{"blob_id": row.blob_id} for row in envelopes if row.blob_id is not None]
    if blob_ids:
        session.execute(insert(BlobRemoval), blob_ids)
    session.execute(delete(Envelope).where(Envelope.submission_id.in_(list(receipt_hashes))))
    tombstones.record(session, receipt_hashes.values(), day)
    session.execute(delete(Submission).where(Submission.id.in_(list(receipt_hashes))))
    return {submission_id: Erased(*numbers) for submission_id, numbers in counts.items()}


def remove_pending(session: Session, progress: Callable[[int], None] | None = None) -> int:
    """Remove every blob file recorded for removal, committing after each batch; how many. ``progress`` is
    told how many were removed after each batch."""
    store = submissions.blob_store()
    removed = 0
    while True:
        query = select(BlobRemoval.blob_id).order_by(BlobRemoval.blob_id).limit(REMOVAL_BATCH)
        batch = list(session.scalars(query))
        if not batch:
            return removed
        for blob_id in batch:
            store.remove(blob_id)
        session.execute(delete(BlobRemoval).where(BlobRemoval.blob_id.in_(batch)))
        session.commit()
        removed += len(batch)
        if progress is not None:
            progress(len(batch))


def truncate_log(session: Session) -> None:
    """On SQLite, copy the write-ahead log into the database and truncate it, so that the old copies of
    deleted rows it still holds go with it (Debian's SQLite zeroes what a deletion frees in the database
    itself: it is built with secure_delete on). If a reader holds an older snapshot, the log stays as it
    is until the next deletion or run. PostgreSQL reclaims dead rows by its own vacuum."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        session.commit()


def pending(session: Session) -> int:
    """How many blob files wait for removal (from a deletion interrupted after its commit)."""
    return session.scalar(select(func.count()).select_from(BlobRemoval)) or 0
