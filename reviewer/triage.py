"""Triage as a service: the states a submission moves through, who may move it, assignment, tags and notes.

No Flask here: views in reviewer/inbox/views.py call these functions inside their request's transaction, and
every change is written to the audit trail in that same transaction (the caller commits).

States (DESIGN.md section 4)::

    new → in_review ⇄ needs_follow_up → verified | rejected | duplicate | withdrawn

- ``verified`` needs two different reviewers: the first *proposes* (the state stays, the proposer is kept),
  a second, different reviewer *confirms*. Moving the submission elsewhere drops the proposal.
- ``duplicate`` names the original, another submission that exists.
- ``withdrawn`` records that the source withdrew consent; it is reachable from every other state and blocks
  every export of that source.
- ``verified``, ``rejected``, ``duplicate`` and ``withdrawn`` are final, except that a final state may still
  become ``withdrawn``.
"""

from __future__ import annotations

import io
import json
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core import audit
from core.models import Recipient, Submission
from crypto.errors import CryptoError
from crypto.framing import check_framing
from reviewer.models import Note, SubmissionTag, Tag, Triage, User

STATES = ("new", "in_review", "needs_follow_up", "verified", "rejected", "duplicate", "withdrawn")
FINAL_STATES = frozenset({"verified", "rejected", "duplicate", "withdrawn"})
#: Where each state may go, ``withdrawn`` aside (every state but itself may go there).
_NEXT: dict[str, frozenset[str]] = {
    "new": frozenset({"in_review"}),
    "in_review": frozenset({"needs_follow_up", "verified", "rejected", "duplicate"}),
    "needs_follow_up": frozenset({"in_review", "verified", "rejected", "duplicate"}),
    "verified": frozenset(),
    "rejected": frozenset(),
    "duplicate": frozenset(),
    "withdrawn": frozenset(),
}
TAG_MAX_CHARS = 100
#: A note is a few paragraphs; its envelope stays far below this.
NOTE_MAX_BYTES = 256 * 1024


class TriageError(Exception):
    """A triage change refused; ``code`` is stable (views translate it), the message is for logs and tests."""

    code = "refused"


class TransitionRefused(TriageError):
    """The state machine does not allow this move."""

    code = "transition"

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"a submission cannot go from {current} to {target}")
        self.current = current
        self.target = target


class SameReviewer(TriageError):
    """The reviewer who proposed ``verified`` tried to confirm it: four eyes need a second person."""

    code = "same_reviewer"


class BadOriginal(TriageError):
    """A duplicate must name another submission that exists."""

    code = "bad_original"


class BadAssignee(TriageError):
    """Submissions are assigned only to active reviewers."""

    code = "bad_assignee"


class BadTag(TriageError):
    """A tag name that is empty or too long."""

    code = "bad_tag"


class BadNote(TriageError):
    """A note that is not an envelope, is too large, or is not sealed to exactly the active recipients."""

    code = "bad_note"


class RecipientsChanged(BadNote):
    """The note was sealed to other keys than the active recipients': the page must fetch them again."""

    code = "recipients_changed"


@dataclass(frozen=True)
class Outcome:
    """What a state request did: ``changed`` (from → to), or ``proposed`` (verified awaits a second one)."""

    kind: str
    previous: str
    state: str


def allowed_targets(state: str) -> frozenset[str]:
    """The states a submission in ``state`` may move to (``verified`` counting as proposable)."""
    targets = set(_NEXT[state])
    if state != "withdrawn":
        targets.add("withdrawn")
    return frozenset(targets)


def triage_of(session: Session, submission: Submission) -> Triage:
    """The submission's triage row, made on first use."""
    row = session.get(Triage, submission.id)
    if row is None:
        row = Triage(submission_id=submission.id)
        session.add(row)
    return row


def change_state(
    session: Session,
    submission: Submission,
    target: str,
    actor: User,
    *,
    duplicate_of: str | None = None,
) -> Outcome:
    """Move ``submission`` to ``target`` on behalf of ``actor``.

    ``verified`` is a proposal the first time and a confirmation by a second, different reviewer. Raises
    :class:`TransitionRefused`, :class:`SameReviewer` or :class:`BadOriginal`."""
    current = submission.state
    if target not in STATES or target not in allowed_targets(current):
        raise TransitionRefused(current, target)
    row = triage_of(session, submission)
    if target == "verified":
        if row.verify_proposed_by_id is None:
            row.verify_proposed_by_id = actor.id
            _touch(row)
            audit.record(session, actor, "submission.verify_proposed", _subject(submission), state=current)
            return Outcome("proposed", current, current)
        if row.verify_proposed_by_id == actor.id:
            raise SameReviewer("the reviewer who proposed verified cannot also confirm it")
    if target == "duplicate":
        original = (duplicate_of or "").strip()
        if not original or original == submission.id or session.get(Submission, original) is None:
            raise BadOriginal("a duplicate names another submission that exists")
        row.duplicate_of_id = original
    details: dict[str, str] = {"from": current, "to": target}
    if target == "verified":
        proposer = session.get(User, row.verify_proposed_by_id)
        details["proposed_by"] = proposer.login if proposer is not None else "-"
    if target == "duplicate":
        details["original"] = row.duplicate_of_id or ""
    else:
        row.duplicate_of_id = None
    if target != "verified":
        row.verify_proposed_by_id = None
    submission.state = target
    _touch(row)
    audit.record(session, actor, "submission.state", _subject(submission), **details)
    return Outcome("changed", current, target)


def assign(session: Session, submission: Submission, assignee: User | None, actor: User) -> None:
    """Assign ``submission`` to ``assignee`` (``None``: to nobody). Raises :class:`BadAssignee`."""
    if assignee is not None and (not assignee.is_reviewer or assignee.disabled_at is not None):
        raise BadAssignee("submissions are assigned to active reviewers only")
    row = triage_of(session, submission)
    previous = session.get(User, row.assignee_id) if row.assignee_id is not None else None
    row.assignee_id = assignee.id if assignee is not None else None
    _touch(row)
    audit.record(
        session,
        actor,
        "submission.assign",
        _subject(submission),
        **{"from": previous.login if previous else None, "to": assignee.login if assignee else None},
    )


def clean_tag_name(name: str) -> str:
    """A tag name as stored: NFC, single spaces, 1 to :data:`TAG_MAX_CHARS` characters. Raises
    :class:`BadTag`."""
    cleaned = " ".join(unicodedata.normalize("NFC", name or "").split())
    if not cleaned or len(cleaned) > TAG_MAX_CHARS:
        raise BadTag(f"a tag has 1 to {TAG_MAX_CHARS} characters")
    return cleaned


def add_tag(session: Session, submission: Submission, name: str, actor: User) -> Tag:
    """Put the tag ``name`` on ``submission``, creating the tag on first use; adding it twice is harmless."""
    cleaned = clean_tag_name(name)
    tag = session.scalars(select(Tag).where(Tag.name == cleaned)).first()
    if tag is None:
        tag = Tag(name=cleaned)
        session.add(tag)
        session.flush()
    if session.get(SubmissionTag, (submission.id, tag.id)) is None:
        session.add(SubmissionTag(submission_id=submission.id, tag_id=tag.id))
        audit.record(session, actor, "submission.tag", _subject(submission), added=tag.name)
    return tag


def remove_tag(session: Session, submission: Submission, tag_id: int, actor: User) -> None:
    """Take a tag off ``submission`` (nothing happens if it was not on it)."""
    tag = session.get(Tag, tag_id)
    if tag is None or session.get(SubmissionTag, (submission.id, tag.id)) is None:
        return
    session.execute(
        delete(SubmissionTag).where(
            SubmissionTag.submission_id == submission.id, SubmissionTag.tag_id == tag.id
        )
    )
    audit.record(session, actor, "submission.tag", _subject(submission), removed=tag.name)


def add_note(session: Session, submission: Submission, ciphertext: bytes, author: User) -> Note:
    """Store a note sealed in the author's browser: only its envelope, never its text.

    The envelope's framing is checked and it must be sealed to exactly the active recipients, so that every
    vetted reviewer can read it. Raises :class:`BadNote` or :class:`RecipientsChanged`."""
    if not ciphertext or len(ciphertext) > NOTE_MAX_BYTES:
        raise BadNote(f"a note's envelope has 1 to {NOTE_MAX_BYTES} bytes")
    try:
        header, _size = check_framing(io.BytesIO(ciphertext))
    except CryptoError as error:
        raise BadNote(f"a note must be an envelope ({error.code})") from error
    given = [key_id.hex() for key_id in header.key_ids]
    expected = set(session.scalars(select(Recipient.key_id).where(Recipient.revoked_at.is_(None))))
    if set(given) != expected or len(given) != len(expected):
        raise RecipientsChanged("the note is not sealed to the current reviewers")
    note = Note(
        submission_id=submission.id,
        author_id=author.id,
        ciphertext=ciphertext,
        recipient_key_ids=json.dumps(given),
    )
    session.add(note)
    session.flush()
    audit.record(session, author, "note.write", _subject(submission), note=note.id, size=len(ciphertext))
    return note


def _touch(row: Triage) -> None:
    row.updated_at = datetime.now(UTC)


def _subject(submission: Submission) -> str:
    return f"submission:{submission.id}"
