"""Reviewer keys: enrolment of a key the reviewer's browser generated, its vetting by an admin, and its
revocation, each audited in the caller's transaction (core/audit.py).

The server only ever holds public keys and identity files wrapped under a key passphrase it never sees
(crypto/FORMAT.md section 3). A vetted key becomes a recipient: every new testimony is sealed to it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, recipients
from core.models import Recipient
from crypto import keys as crypto_keys
from crypto.errors import CryptoError
from reviewer.access import vetted_key
from reviewer.models import ReviewerKey, User

#: An identity file is about 400 bytes; anything much larger is not one.
IDENTITY_FILE_MAX = 4096


class KeyRefused(Exception):
    """A refused key operation; ``code`` names the case for the JSON answer and the page."""

    def __init__(self, code: str, status: int = 400, index: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.index = index


def enrol(session: Session, user: User, public_key_text: Any, identity_file: Any) -> ReviewerKey:
    """Store a key the user's browser generated: its public key and its wrapped identity file, not vetted.

    Raises :class:`KeyRefused` (``bad_key``, ``bad_identity``, ``key_mismatch``, ``weak_kdf``,
    ``key_in_use``, ``key_active``)."""
    if not isinstance(public_key_text, str) or len(public_key_text) > 200:
        raise KeyRefused("bad_key")
    if not isinstance(identity_file, str) or len(identity_file) > IDENTITY_FILE_MAX:
        raise KeyRefused("bad_identity")
    try:
        key = crypto_keys.PublicKey.parse(public_key_text)
    except CryptoError as exc:
        raise KeyRefused("bad_key") from exc
    try:
        declared = crypto_keys.read_identity_public_key(identity_file)
    except CryptoError as exc:
        raise KeyRefused("bad_identity") from exc
    if declared.raw != key.raw:
        raise KeyRefused("key_mismatch")
    kdf = json.loads(identity_file)["kdf"]
    # The key passphrase is the only thing between a stolen database and the reviewer's key: the wrapping
    # must cost at least what FORMAT.md writers use.
    if kdf["opslimit"] < crypto_keys.DEFAULT_OPSLIMIT or kdf["memlimit"] < crypto_keys.DEFAULT_MEMLIMIT:
        raise KeyRefused("weak_kdf")
    if vetted_key(user) is not None:
        raise KeyRefused("key_active", 409)
    taken = session.scalar(
        select(ReviewerKey.id).where(ReviewerKey.public_key == key.text)
    ) or session.scalar(select(Recipient.id).where(Recipient.public_key == key.text))
    if taken is not None:
        raise KeyRefused("key_in_use", 409)
    replaced = list(
        session.scalars(
            select(ReviewerKey).where(ReviewerKey.user_id == user.id, ReviewerKey.recipient_id.is_(None))
        )
    )
    for old in replaced:
        session.delete(old)
    session.flush()
    reviewer_key = ReviewerKey(
        user_id=user.id,
        public_key=key.text,
        fingerprint=key.fingerprint,
        wrapped_identity=identity_file,
    )
    session.add(reviewer_key)
    session.flush()
    audit.record(
        session,
        user,
        "key.enrol",
        f"user:{user.login}",
        key_id=key.key_id.hex(),
        fingerprint=key.fingerprint,
        replaced=[old.fingerprint for old in replaced],
    )
    return reviewer_key


def key_state(reviewer_key: ReviewerKey, recipient: Recipient | None) -> str:
    """``pending``, ``vetted`` or ``revoked``."""
    if reviewer_key.recipient_id is None:
        return "pending"
    return "revoked" if recipient is not None and recipient.revoked_at is not None else "vetted"


def approve(session: Session, admin: User, reviewer_key: ReviewerKey) -> Recipient:
    """Vet a pending key: it becomes a recipient of every new testimony. Raises :class:`KeyRefused`
    (``not_pending``, ``key_active``, ``key_in_use``, ``not_reviewer``)."""
    if reviewer_key.recipient_id is not None:
        raise KeyRefused("not_pending", 409)
    owner = session.get(User, reviewer_key.user_id)
    assert owner is not None
    if not owner.is_reviewer or owner.disabled_at is not None:
        raise KeyRefused("not_reviewer", 409)
    if _active_key(session, owner) is not None:
        raise KeyRefused("key_active", 409)
    name = _free_recipient_name(session, owner.login)
    try:
        recipient = recipients.add(session, name, reviewer_key.public_key)
    except recipients.RecipientError as exc:
        raise KeyRefused("key_in_use", 409) from exc
    reviewer_key.recipient_id = recipient.id
    reviewer_key.vetted_by_id = admin.id
    reviewer_key.vetted_at = datetime.now(UTC)
    session.flush()
    _audit(session, admin, "key.vet", owner.login, recipient)
    return recipient


def revoke(session: Session, admin: User, reviewer_key: ReviewerKey) -> Recipient:
    """Stop sealing new testimony to a vetted key; raises :class:`KeyRefused` (``not_vetted``,
    ``already_revoked``)."""
    if reviewer_key.recipient_id is None:
        raise KeyRefused("not_vetted", 409)
    recipient = session.get(Recipient, reviewer_key.recipient_id)
    assert recipient is not None
    try:
        recipients.revoke(session, recipient.name)
    except recipients.AlreadyRevoked as exc:
        raise KeyRefused("already_revoked", 409) from exc
    owner = session.get(User, reviewer_key.user_id)
    _audit(session, admin, "key.revoke", owner.login if owner else str(reviewer_key.user_id), recipient)
    return recipient


def _audit(session: Session, admin: User, action: str, owner: str, recipient: Recipient) -> None:
    """An admin's act on the key of ``owner`` (a login), naming the recipient it is."""
    audit.record(
        session,
        admin,
        action,
        f"user:{owner}",
        recipient=recipient.name,
        key_id=recipient.key_id,
        fingerprint=recipient.fingerprint,
    )


def _active_key(session: Session, user: User) -> ReviewerKey | None:
    return session.scalars(
        select(ReviewerKey)
        .join(Recipient, Recipient.id == ReviewerKey.recipient_id)
        .where(ReviewerKey.user_id == user.id, Recipient.revoked_at.is_(None))
    ).first()


def _free_recipient_name(session: Session, login: str) -> str:
    """``login``, or ``login-2``, ``login-3``… : recipient names stay unique for ever."""
    base = login[: recipients.NAME_MAX - 8]
    taken = set(session.scalars(select(Recipient.name).where(Recipient.name.startswith(base))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
