"""Deletion notices: what a source who comes back with the receipt of a deleted testimony learns, namely
that it was deleted and on which day, and nothing else (docs/retention.md, "What the source is told").

Deleting a submission removes its receipt lookup: the row that held the receipt's hash is gone. What stays
is a *notice*: a digest of that hash, made with a label of its own so that it can never be mistaken for a
lookup, and the day. Whoever holds the receipt can still learn that a testimony was deleted, as the source
can; nobody learns more, and the notice itself expires (the retention policies say when).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from core.models import DeletedReceipt

#: Keeps a notice's digest apart from the receipt hash it is made from.
_LABEL = b"sori-deleted-receipt-v1\x00"


def digest(receipt_hash: str) -> str:
    """The notice's digest of a receipt hash as a submission row kept it (either receipt scheme)."""
    return hashlib.sha256(_LABEL + receipt_hash.encode("ascii")).hexdigest()


def record(session: Session, receipt_hashes: Iterable[str], day: date) -> None:
    """Leave a notice for each receipt hash, in the caller's transaction."""
    rows = [{"digest": digest(receipt_hash), "deleted_on": day} for receipt_hash in receipt_hashes]
    if rows:
        session.execute(insert(DeletedReceipt), rows)


def deleted_on(session: Session, receipt_hashes: Iterable[str | None]) -> date | None:
    """The day a testimony whose receipt has one of these hashes was deleted, or ``None``. A returning
    source's receipt gives up to two hashes: of its lookup key, and (when the server derived the keys) the
    hash of receipts issued before the lookup key existed."""
    digests = [digest(receipt_hash) for receipt_hash in receipt_hashes if receipt_hash]
    if not digests:
        return None
    query = select(DeletedReceipt.deleted_on).where(DeletedReceipt.digest.in_(digests))
    return session.scalars(query).first()


def forget_before(session: Session, day: date) -> int:
    """Drop the notices of deletions made before ``day`` (the caller commits); how many."""
    return session.execute(delete(DeletedReceipt).where(DeletedReceipt.deleted_on < day)).rowcount


def count_before(session: Session, day: date) -> int:
    """How many notices :func:`forget_before` would drop."""
    query = select(func.count()).select_from(DeletedReceipt).where(DeletedReceipt.deleted_on < day)
    return session.scalar(query) or 0
