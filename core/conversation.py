"""The conversation between reviewers and a source, in the envelopes of a submission: what the source sent
(kind ``source``) and what reviewers wrote back (kind ``reviewer``), in order.

A reviewer's message is sealed in the reviewer's browser to the source's key and to every active reviewer
key, so that the source and the reviewer's colleagues can read it; the server checks that it is sealed to
exactly those keys and stores it like any envelope. The source reads it with the receipt (intake/), the
reviewers on the submission's page (reviewer/). Nothing here ever sees a message in plain text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, submissions
from core.audit import Actor
from core.models import Envelope, Recipient, Submission
from crypto.framing import FramingChecker
from crypto.keys import PublicKey

#: The largest message a reviewer may send: a few pages of text, kept in its row.
MESSAGE_MAX_BYTES = 64 * 1024
#: The one part of a reviewer's message envelope (docs/source-intake.md, "The conversation").
MESSAGE_PART = "message.txt"
MESSAGE_TYPE = "text/plain; charset=utf-8"


class ConversationError(Exception):
    """A message refused; ``code`` is stable (pages translate it)."""

    code = "refused"


class NoSourceKey(ConversationError):
    """The submission has no source key yet (stored before the conversation existed, and its source has
    not come back since): nobody can write to the source."""

    code = "no_source_key"


class WrongRecipients(ConversationError):
    """The message is not sealed to exactly the source's key and the active reviewer keys."""

    code = "wrong_recipients"


class BadMessage(ConversationError):
    """The message is not a well-formed envelope, or is too large."""

    code = "bad_message"


@dataclass(frozen=True)
class Entry:
    """One envelope of the conversation as both sides list it: who wrote it, the day, and whether the
    source has not yet seen it."""

    envelope_id: int
    sequence: int
    kind: str
    received_on: date
    new_to_source: bool


def thread(session: Session, submission: Submission) -> list[Entry]:
    """Every envelope of ``submission``, oldest first."""
    rows = session.execute(
        select(Envelope.id, Envelope.sequence, Envelope.kind, Envelope.received_on)
        .where(Envelope.submission_id == submission.id)
        .order_by(Envelope.sequence, Envelope.id)
    ).all()
    return [
        Entry(
            envelope_id=row.id,
            sequence=row.sequence,
            kind=row.kind,
            received_on=row.received_on,
            new_to_source=row.kind == "reviewer" and row.sequence > submission.source_seen,
        )
        for row in rows
    ]


def mark_seen(submission: Submission, entries: list[Entry]) -> None:
    """The source has seen everything listed (the caller commits)."""
    if entries:
        submission.source_seen = max(submission.source_seen, max(entry.sequence for entry in entries))


def waiting_for(entries: list[Entry]) -> str | None:
    """Where the conversation stands for the inbox: ``source`` when a reviewer wrote last (waiting for the
    source), ``reviewer`` when the source answered a reviewer's message, ``None`` before any message."""
    if not any(entry.kind == "reviewer" for entry in entries):
        return None
    return "source" if entries[-1].kind == "reviewer" else "reviewer"


def expected_key_ids(session: Session, submission: Submission) -> set[str]:
    """The hex key ids a message to this submission's source must be sealed to: the source's and every
    active reviewer's. Raises :class:`NoSourceKey`."""
    if submission.source_public_key is None:
        raise NoSourceKey("the source has no key yet")
    reviewers = session.scalars(select(Recipient.key_id).where(Recipient.revoked_at.is_(None)))
    return {*reviewers, PublicKey.parse(submission.source_public_key).key_id.hex()}


def send(session: Session, actor: Actor, submission: Submission, envelope: bytes) -> None:
    """Store a reviewer's message to the source, sealed in the reviewer's browser, and audit it (who, which
    submission; never content); committed when this returns. Raises :class:`ConversationError`."""
    if len(envelope) > MESSAGE_MAX_BYTES:
        raise BadMessage("the message is too large")
    expected = expected_key_ids(session, submission)
    checker = FramingChecker()
    try:
        checker.feed(envelope)
        header = checker.finish()
    except Exception as exc:  # noqa: BLE001  (any framing failure is a refused message)
        raise BadMessage("not a well-formed envelope") from exc
    given = [key_id.hex() for key_id in header.key_ids]
    if set(given) != expected or len(given) != len(expected):
        raise WrongRecipients("the message is not sealed to the source and the current reviewers")
    audit.record(session, actor, "reply.send", f"submission:{submission.id}", bytes=len(envelope))
    submissions.add_envelope(
        session, submission.id, envelope, len(envelope), header.key_ids, path="browser", kind="reviewer"
    )
