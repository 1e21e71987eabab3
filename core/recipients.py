"""The recipients service: adding, listing and revoking the public keys new testimony is sealed to.

Used by ``sori recipients add|list|revoke`` and by the application. Functions change the session and flush,
so that a broken rule surfaces here; the caller commits. Names and keys stay unique for ever, revoked or
not, so that a name in an old record always means the same person and key.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from core.models import Recipient
from crypto.errors import CryptoError
from crypto.keys import PublicKey

NAME_MAX = 200


class RecipientError(Exception):
    """Root of the recipients service's errors; ``code`` names the case for callers and translations."""

    code = "recipient_error"


class BadName(RecipientError):
    """The name is empty or too long."""

    code = "bad_name"


class BadKey(RecipientError):
    """The text is not a printable Sori public key (``sori-pk1-...``)."""

    code = "bad_key"


class DuplicateName(RecipientError):
    """A recipient of that name exists already (perhaps revoked)."""

    code = "duplicate_name"


class DuplicateKey(RecipientError):
    """That public key belongs to a recipient already (perhaps revoked); ``name`` says whose."""

    code = "duplicate_key"

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name


class UnknownRecipient(RecipientError):
    """No recipient has that name."""

    code = "unknown_recipient"


class AlreadyRevoked(RecipientError):
    """The recipient was revoked before; the first revocation's time stands."""

    code = "already_revoked"


def add(session: Session, name: str, public_key_text: str) -> Recipient:
    """Register ``public_key_text`` under ``name``; raises :class:`BadName`, :class:`BadKey`,
    :class:`DuplicateName` or :class:`DuplicateKey`."""
    name = _clean_name(name)
    try:
        key = PublicKey.parse(public_key_text)
    except CryptoError as exc:
        raise BadKey(f"not a Sori public key: {exc}") from exc
    # Checked first for a clear message; the unique constraints still hold if two admins race.
    if _by_name(session, name) is not None:
        raise DuplicateName(f"a recipient named {name!r} exists already")
    holder = session.scalars(select(Recipient).where(Recipient.public_key == key.text)).one_or_none()
    if holder is not None:
        raise DuplicateKey(f"this key belongs to {holder.name!r} already", holder.name)
    recipient = Recipient(
        name=name, public_key=key.text, key_id=key.key_id.hex(), fingerprint=key.fingerprint
    )
    session.add(recipient)
    session.flush()
    return recipient


def list_all(session: Session) -> list[Recipient]:
    """Every recipient, revoked ones included, oldest first."""
    return list(session.scalars(select(Recipient).order_by(Recipient.added_at, Recipient.id)))


def active(session: Session) -> list[Recipient]:
    """The recipients a new submission is sealed to: all those not revoked, oldest first."""
    query = select(Recipient).where(Recipient.revoked_at.is_(None)).order_by(Recipient.added_at, Recipient.id)
    return list(session.scalars(query))


def active_texts(on: Session | Connection) -> tuple[str, ...]:
    """The printable public keys of :func:`active`, read without loading the rows, on ``on``'s connection
    (no autoflush: callers that change recipients flush, as :func:`add` and :func:`revoke` do).

    Every form page reads them afresh, so the query is plain SQL, the same in every dialect: it skips the
    ORM's and the expression language's per-query work."""
    connection = on.connection() if isinstance(on, Session) else on
    return tuple(row[0] for row in connection.exec_driver_sql(_ACTIVE_TEXTS))


_ACTIVE_TEXTS = (
    "SELECT public_key FROM recipients WHERE revoked_at IS NULL ORDER BY added_at, id"  # as active() orders
)


def revoke(session: Session, name: str) -> Recipient:
    """Stop sealing new submissions to ``name``'s key; raises :class:`UnknownRecipient` or
    :class:`AlreadyRevoked`. What was sealed to the key before stays readable with it."""
    recipient = _by_name(session, _clean_name(name))
    if recipient is None:
        raise UnknownRecipient(f"no recipient is named {name!r}")
    if recipient.revoked_at is not None:
        raise AlreadyRevoked(f"{recipient.name!r} was revoked already")
    recipient.revoked_at = datetime.now(UTC)
    session.flush()
    return recipient


def _clean_name(name: str) -> str:
    # NFC: the same Korean name typed on macOS (decomposed) and elsewhere must be one name.
    name = unicodedata.normalize("NFC", name).strip()
    if not name or len(name) > NAME_MAX:
        raise BadName(f"a recipient's name has 1 to {NAME_MAX} characters")
    return name


def _by_name(session: Session, name: str) -> Recipient | None:
    return session.scalars(select(Recipient).where(Recipient.name == name)).one_or_none()
