"""One-time form nonces: every form a source posts can be used once, so that a replay (Back and reload on a
phone someone else picked up, or a re-sent request) neither stores anything again nor shows anything.

Each source form carries a fresh random nonce (``form_nonce``). Posting it spends it: a row in
``spent_nonces`` is inserted in the same transaction as the row the post creates (a submission, an
envelope, a reply), or on its own for a post that creates nothing (a receipt lookup). The nonce's primary
key makes a second spend fail, so "spent" and "stored" commit together or not at all.

Spent nonces are kept only as long as the form's CSRF token could still be accepted (core/security.py):
after that a replay is refused by CSRF protection anyway, and ``sori check --clean-stale`` forgets them, so
the table never links a phone's saved page to a day for longer than needed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.models import SpentNonce

NONCE_BYTES = 16
#: Days a spent nonce is kept: longer than a CSRF token lives (24 hours), with a day to spare for clocks.
KEEP_DAYS = 2


class NonceSpent(Exception):
    """The form was posted before: nothing is stored again and nothing is shown."""


def new() -> str:
    """A fresh nonce for a form, as base64url text without padding."""
    return base64.urlsafe_b64encode(secrets.token_bytes(NONCE_BYTES)).rstrip(b"=").decode("ascii")


def parse(text: object) -> bytes | None:
    """The nonce a form posted, or ``None`` when it is missing or not one of ours."""
    if not isinstance(text, str) or len(text) != 22 or not text.isascii():
        return None
    try:
        nonce = base64.urlsafe_b64decode(text + "==")
    except (binascii.Error, ValueError):
        return None
    return nonce if len(nonce) == NONCE_BYTES else None


def is_spent(session: Session, nonce: bytes) -> bool:
    """Whether ``nonce`` was posted before (checked early, so a replay is refused before any work)."""
    query = select(SpentNonce.digest).where(SpentNonce.digest == _digest(nonce))
    return session.connection().execute(query).first() is not None


def spend(on: Session | Connection, nonce: bytes) -> None:
    """Mark ``nonce`` spent in the transaction of ``on`` (the caller commits it with what the post stores).

    Raises :class:`NonceSpent` when it was spent already; the transaction is then unusable and the caller
    must roll it back."""
    connection = on.connection() if isinstance(on, Session) else on
    try:
        connection.execute(_INSERT, {"digest": _digest(nonce), "spent_on": datetime.now(UTC).date()})
    except IntegrityError as exc:
        raise NonceSpent("this form was posted before") from exc


_INSERT = insert(SpentNonce.__table__)


def forget_old(session: Session, now: datetime | None = None) -> int:
    """Delete nonces spent more than :data:`KEEP_DAYS` days ago; returns how many (the caller commits)."""
    cutoff = (now or datetime.now(UTC)).date() - timedelta(days=KEEP_DAYS)
    result = session.execute(delete(SpentNonce).where(SpentNonce.spent_on < cutoff))
    return int(result.rowcount or 0)


def _digest(nonce: bytes) -> str:
    # A digest rather than the nonce: the column is fixed-width hex whatever encoding forms use.
    return hashlib.sha256(nonce).hexdigest()
