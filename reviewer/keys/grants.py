"""Grants: a reviewer vetted after some testimony was sealed gets its file keys from a colleague who can
open it, each file key sealed in the colleague's browser to the newcomer's public key. The server checks
and stores sealed keys it cannot open; each batch is all or nothing and audited once per colleague.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from core import audit
from core.models import Envelope, Recipient
from reviewer.access import vetted_key
from reviewer.keys.enrolment import KeyRefused
from reviewer.models import KeyGrant, ReviewerKey, User

#: The sealed file key: crypto_box_seal of 32 bytes.
SEALED_KEY_BYTES = 80
#: Grants accepted in one request, and envelopes listed in one page of pending work.
GRANT_BATCH = 200
PENDING_LIMIT = 200


def own_recipient(session: Session, user: User) -> Recipient | None:
    """The recipient of the user's vetted, unrevoked key (``None`` without one)."""
    own_key = vetted_key(user)
    return session.get(Recipient, own_key.recipient_id) if own_key is not None else None


def colleagues(session: Session, user: User) -> list[tuple[User, ReviewerKey, Recipient]]:
    """Other reviewers with a vetted, unrevoked key: who can be granted access."""
    query = (
        select(User, ReviewerKey, Recipient)
        .join(ReviewerKey, ReviewerKey.user_id == User.id)
        .join(Recipient, Recipient.id == ReviewerKey.recipient_id)
        .where(
            Recipient.revoked_at.is_(None),
            User.id != user.id,
            User.is_reviewer.is_(True),
            User.disabled_at.is_(None),
        )
        .order_by(User.display_name, User.id)
    )
    return [(u, k, r) for u, k, r in session.execute(query)]


def _sealed_to(key_id: str) -> Any:
    # recipient_key_ids is a JSON list of 16-hex-digit ids: the quoted id is found as a substring.
    return Envelope.recipient_key_ids.like(f'%"{key_id}"%')


def _granted_to(recipient_id: int) -> Any:
    return exists().where(KeyGrant.envelope_id == Envelope.id, KeyGrant.recipient_id == recipient_id)


def openable(own: Recipient) -> Any:
    """The condition on ``Envelope`` that ``own``'s holder can open it: sealed to it, or granted."""
    return or_(_sealed_to(own.key_id), _granted_to(own.id))


def pending_envelopes(
    session: Session, own: Recipient, colleague: Recipient, *, after: int = 0, limit: int = PENDING_LIMIT
) -> list[tuple[int, str]]:
    """Envelopes ``own`` can open and ``colleague`` cannot, as ``(id, via)`` with ``via`` ``stanza`` or
    ``grant``, in ascending id after ``after``."""
    query = (
        select(Envelope.id, _sealed_to(own.key_id))
        .where(
            Envelope.id > after,
            openable(own),
            ~_sealed_to(colleague.key_id),
            ~_granted_to(colleague.id),
        )
        .order_by(Envelope.id)
        .limit(limit)
    )
    return [(envelope_id, "stanza" if sealed else "grant") for envelope_id, sealed in session.execute(query)]


def pending_count(session: Session, own: Recipient, colleague: Recipient) -> int:
    """How many envelopes ``colleague`` still needs from ``own``."""
    query = (
        select(func.count())
        .select_from(Envelope)
        .where(openable(own), ~_sealed_to(colleague.key_id), ~_granted_to(colleague.id))
    )
    return session.scalar(query) or 0


def grant(session: Session, granter: User, items: Any) -> tuple[int, int]:
    """Store sealed file keys for colleagues; all or nothing. Returns (granted, already there).

    Raises :class:`KeyRefused` with the index of the first bad item."""
    own = own_recipient(session, granter)
    if own is None:
        raise KeyRefused("no_vetted_key", 403)
    if not isinstance(items, list) or not 1 <= len(items) <= GRANT_BATCH:
        raise KeyRefused("bad_request")
    granted: dict[int, list[int]] = {}
    already = 0
    targets: dict[int, tuple[Recipient, User]] = {}
    for index, item in enumerate(items):
        envelope_id, recipient_id, sealed = _grant_item(item, index)
        target = targets.get(recipient_id) or vetted_colleague(session, recipient_id, own, index)
        targets[recipient_id] = target
        recipient = target[0]
        envelope = session.get(Envelope, envelope_id)
        if envelope is None:
            raise KeyRefused("unknown_envelope", index=index)
        key_ids = json.loads(envelope.recipient_key_ids)
        if own.key_id not in key_ids and grant_of(session, envelope_id, own.id) is None:
            raise KeyRefused("no_access", index=index)
        if recipient.key_id in key_ids or grant_of(session, envelope_id, recipient.id) is not None:
            already += 1
            continue
        if envelope_id in granted.get(recipient_id, []):
            already += 1
            continue
        session.add(
            KeyGrant(
                envelope_id=envelope_id,
                recipient_id=recipient_id,
                sealed_key=sealed,
                granted_by_id=granter.id,
            )
        )
        granted.setdefault(recipient_id, []).append(envelope_id)
    session.flush()
    for recipient_id, envelope_ids in granted.items():
        recipient, grantee = targets[recipient_id]
        audit.record(
            session,
            granter,
            "key.grant",
            f"user:{grantee.login}",
            recipient=recipient.name,
            envelopes=envelope_ids,
            count=len(envelope_ids),
        )
    return sum(len(ids) for ids in granted.values()), already


def _grant_item(item: Any, index: int) -> tuple[int, int, bytes]:
    if not isinstance(item, dict):
        raise KeyRefused("bad_request", index=index)
    envelope_id, recipient_id, text = (
        item.get("envelope_id"),
        item.get("recipient_id"),
        item.get("sealed_key"),
    )
    if type(envelope_id) is not int or type(recipient_id) is not int or not isinstance(text, str):
        raise KeyRefused("bad_request", index=index)
    sealed = _decode_sealed_key(text)
    if sealed is None or len(sealed) != SEALED_KEY_BYTES:
        raise KeyRefused("bad_sealed_key", index=index)
    return envelope_id, recipient_id, sealed


def vetted_colleague(
    session: Session, recipient_id: int, own: Recipient, index: int
) -> tuple[Recipient, User]:
    """The recipient to grant to, if it is an active, vetted reviewer key."""
    if recipient_id == own.id:
        raise KeyRefused("own_recipient", index=index)
    row = session.execute(
        select(Recipient, User)
        .join(ReviewerKey, ReviewerKey.recipient_id == Recipient.id)
        .join(User, User.id == ReviewerKey.user_id)
        .where(Recipient.id == recipient_id)
    ).first()
    if row is None:
        raise KeyRefused("bad_recipient", index=index)
    recipient, user = row
    if recipient.revoked_at is not None or not user.is_reviewer or user.disabled_at is not None:
        raise KeyRefused("bad_recipient", index=index)
    return recipient, user


def grant_of(session: Session, envelope_id: int, recipient_id: int) -> KeyGrant | None:
    """The file key of an envelope granted to a recipient, if any."""
    return session.scalars(
        select(KeyGrant).where(KeyGrant.envelope_id == envelope_id, KeyGrant.recipient_id == recipient_id)
    ).first()


def _decode_sealed_key(text: str) -> bytes | None:
    """Strict base64url without padding, or ``None``."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if encode_sealed_key(raw) == text else None


def encode_sealed_key(raw: bytes) -> str:
    """A sealed file key as the JSON APIs carry it: base64url without padding."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
