"""What reviewers decide about keeping a submission, as a service (no Flask): deletion with four eyes, legal
holds, and keeping a submission flagged as stale. Every decision is audited in the caller's transaction.

Deletion follows verification (reviewer/triage.py): one reviewer *proposes* it, a second, different one
*confirms*, and the deletion runs at once (reviewer/retention/deletion.py). A proposal can be cancelled by
any reviewer. A legal hold stops every deletion, by policy or by decision, until a reviewer lifts it;
placing one cancels a pending proposal.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from core import audit, erasure
from core.models import Submission
from reviewer.models import User
from reviewer.retention import deletion, policies
from reviewer.retention.models import SubmissionRetention

#: A hold's reason: the case or order it is for, in a sentence.
HOLD_REASON_MAX_CHARS = 500


class RetentionError(Exception):
    """A decision refused; ``code`` is stable (pages translate it), the message is for logs and tests."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def retention_of(session: Session, submission: Submission) -> SubmissionRetention:
    """The submission's retention row, made on first use."""
    row = session.get(SubmissionRetention, submission.id)
    if row is None:
        row = SubmissionRetention(submission_id=submission.id)
        session.add(row)
    return row


def propose_deletion(session: Session, submission: Submission, actor: User) -> None:
    """``actor`` proposes deleting ``submission``; a second reviewer must confirm. Raises
    :class:`RetentionError` (``under_hold``, ``already_proposed``)."""
    row = retention_of(session, submission)
    if row.hold_since is not None:
        raise RetentionError("under_hold", "a submission under a legal hold cannot be deleted")
    if row.delete_proposed_by_id is not None:
        raise RetentionError("already_proposed", "deleting this submission was already proposed")
    row.delete_proposed_by_id = actor.id
    row.delete_proposed_at = _now()
    _touch(row)
    reason = "source_request" if submission.deletion_requested_on is not None else "reviewer"
    audit.record(session, actor, "submission.delete_proposed", _subject(submission), reason=reason)


def confirm_deletion(session: Session, submission: Submission, actor: User) -> deletion.Deleted:
    """A second reviewer confirms the proposed deletion, which runs now (committed, files removed). Raises
    :class:`RetentionError` (``not_proposed``, ``same_reviewer``, ``under_hold``)."""
    row = session.get(SubmissionRetention, submission.id)
    if row is None or row.delete_proposed_by_id is None:
        raise RetentionError("not_proposed", "no deletion is proposed for this submission")
    if row.hold_since is not None:
        raise RetentionError("under_hold", "a submission under a legal hold cannot be deleted")
    if row.delete_proposed_by_id == actor.id:
        raise RetentionError("same_reviewer", "the reviewer who proposed a deletion cannot also confirm it")
    proposer = session.get(User, row.delete_proposed_by_id)
    reason = {"proposed_by": proposer.login if proposer is not None else "-", "confirmed_by": actor.login}
    done = deletion.delete_submissions(session, {submission.id: reason}, actor, policies.today())
    if not done:
        raise RetentionError("gone", "the submission was deleted meanwhile")
    erasure.truncate_log(session)
    return done[0]


def cancel_deletion(session: Session, submission: Submission, actor: User) -> None:
    """Drop the proposal to delete ``submission``. Raises :class:`RetentionError` (``not_proposed``)."""
    row = session.get(SubmissionRetention, submission.id)
    if row is None or row.delete_proposed_by_id is None:
        raise RetentionError("not_proposed", "no deletion is proposed for this submission")
    _drop_proposal(row)
    audit.record(session, actor, "submission.delete_cancelled", _subject(submission))


def place_hold(session: Session, submission: Submission, actor: User, reason: str) -> None:
    """Put ``submission`` under a documented legal hold (what it is for, in ``reason``); a pending deletion
    proposal is dropped. Raises :class:`RetentionError` (``bad_hold``, ``already_held``)."""
    cleaned = " ".join(unicodedata.normalize("NFC", reason or "").split())
    if not cleaned or len(cleaned) > HOLD_REASON_MAX_CHARS:
        raise RetentionError("bad_hold", f"a legal hold says what it is for in 1 to {HOLD_REASON_MAX_CHARS}")
    row = retention_of(session, submission)
    if row.hold_since is not None:
        raise RetentionError("already_held", "this submission is already under a legal hold")
    row.hold_by_id, row.hold_since, row.hold_reason = actor.id, policies.today(), cleaned
    proposed = row.delete_proposed_by_id is not None
    _drop_proposal(row)
    audit.record(session, actor, "submission.hold", _subject(submission), proposal_dropped=proposed)


def lift_hold(session: Session, submission: Submission, actor: User) -> None:
    """End the legal hold on ``submission``. Raises :class:`RetentionError` (``not_held``)."""
    row = session.get(SubmissionRetention, submission.id)
    if row is None or row.hold_since is None:
        raise RetentionError("not_held", "this submission is not under a legal hold")
    since = row.hold_since
    row.hold_by_id, row.hold_since, row.hold_reason = None, None, None
    _touch(row)
    audit.record(session, actor, "submission.hold_lifted", _subject(submission), since=since.isoformat())


def keep(session: Session, submission: Submission, actor: User) -> None:
    """``actor`` decided to keep a submission flagged as stale: it is not flagged again for a review
    period (policies.Policies.review_days)."""
    row = retention_of(session, submission)
    row.kept_by_id, row.kept_on = actor.id, policies.today()
    _touch(row)
    audit.record(session, actor, "submission.keep", _subject(submission))


def _drop_proposal(row: SubmissionRetention) -> None:
    row.delete_proposed_by_id = None
    row.delete_proposed_at = None
    _touch(row)


def _now() -> datetime:
    return datetime.now(UTC)


def _touch(row: SubmissionRetention) -> None:
    row.updated_at = _now()


def _subject(submission: Submission) -> str:
    return f"submission:{submission.id}"
