"""What the retention policies ask for on a given day: the submissions due for deletion, and those flagged
for reviewers to decide (docs/retention.md, "Policies").

- Rejected and duplicate submissions are due ``rejected_days`` after the decision, withdrawn ones
  ``withdrawn_days`` after the withdrawal; the day comes from the audit trail (the last change of state).
- Never due: a submission under a legal hold; one that no reviewer ever read (no envelope of it fetched or
  exported), which is flagged ``unread`` instead (so a testimony nobody looked at, say one withdrawn while
  still new, is never deleted without a decision); one whose decision is not in the audit trail
  (``undated``).
- Flagged, never deleted: submissions still ``new`` (``never_opened``) or never linked to records
  (``never_linked``) ``review_days`` after they arrived, unless a reviewer decided to keep them within that
  period, or deletion is proposed or held; and every deletion a source asked for (``deletion_requested``),
  until two reviewers decide.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from core import tombstones
from core.models import AuditEntry, Envelope, Submission
from reviewer.records.models import Information
from reviewer.retention.models import SubmissionRetention
from reviewer.retention.policies import Policies

T = TypeVar("T")

#: Ids per query when looking up many submissions.
BATCH = 500
#: The audit entries that set a submission's state (core/source_choices.py, reviewer/triage.py).
_STATE_ACTIONS = ("submission.state", "source.withdraw")
#: The audit entries that show a reviewer read an envelope (reviewer/inbox/views.py).
_READ_ACTIONS = ("envelope.fetch", "envelope.export")


@dataclass(frozen=True)
class Due:
    """A submission a policy deletes: the policy (its state) and the day of the decision."""

    submission_id: str
    policy: str
    decided_on: date


@dataclass(frozen=True)
class Flag:
    """A submission for reviewers to decide about: why, and since when."""

    submission_id: str
    reason: str
    since: date


@dataclass
class Plan:
    """Everything a retention run would do on one day."""

    due: list[Due] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    #: Deletion notices older than the notice period.
    notices_expired: int = 0


def plan(session: Session, policies: Policies, today: date) -> Plan:
    """What the policies ask for on ``today``. Reads only."""
    result = Plan()
    periods = _periods(policies)
    if periods:
        _plan_deletions(session, periods, today, result)
    due_ids = {row.submission_id for row in result.due}
    if policies.review_days:
        result.flags.extend(_stale(session, set(periods), today - timedelta(days=policies.review_days)))
    requested = select(Submission.id, Submission.deletion_requested_on).where(
        Submission.deletion_requested_on.is_not(None)
    )
    result.flags.extend(
        Flag(submission_id, "deletion_requested", day)
        for submission_id, day in session.execute(requested.order_by(Submission.deletion_requested_on))
        if submission_id not in due_ids
    )
    if policies.notice_days:
        expired_before = today - timedelta(days=policies.notice_days)
        result.notices_expired = tombstones.count_before(session, expired_before)
    return result


def _periods(policies: Policies) -> dict[str, int]:
    """State -> days after the decision, for the deletion policies in force."""
    periods = {
        "rejected": policies.rejected_days,
        "duplicate": policies.rejected_days,
        "withdrawn": policies.withdrawn_days,
    }
    return {state: days for state, days in periods.items() if days > 0}


def _held() -> Select[tuple[str]]:
    return select(SubmissionRetention.submission_id).where(SubmissionRetention.hold_since.is_not(None))


def _plan_deletions(session: Session, periods: dict[str, int], today: date, result: Plan) -> None:
    # A decision comes after the submission arrived: what arrived within the shortest period is not due.
    latest = today - timedelta(days=min(periods.values()))
    candidates = session.execute(
        select(Submission.id, Submission.state)
        .where(
            Submission.state.in_(list(periods)),
            Submission.received_on <= latest,
            Submission.id.not_in(_held()),
        )
        .order_by(Submission.id)
    ).all()
    for batch in _batches(candidates):
        decided = _decision_days(session, [submission_id for submission_id, _state in batch])
        due = []
        for submission_id, state in batch:
            day = decided.get(submission_id)
            if day is None:
                result.flags.append(Flag(submission_id, "undated", today))
            elif day <= today - timedelta(days=periods[state]):
                due.append(Due(submission_id, state, day))
        read = _read(session, [row.submission_id for row in due])
        for row in due:
            if row.submission_id in read:
                result.due.append(row)
            else:
                result.flags.append(Flag(row.submission_id, "unread", row.decided_on))


def _decision_days(session: Session, ids: list[str]) -> dict[str, date]:
    """The day of each submission's last change of state, from the audit trail."""
    subjects = {f"submission:{submission_id}": submission_id for submission_id in ids}
    query = (
        select(AuditEntry.subject, func.max(AuditEntry.at))
        .where(AuditEntry.action.in_(_STATE_ACTIONS), AuditEntry.subject.in_(list(subjects)))
        .group_by(AuditEntry.subject)
    )
    return {subjects[subject]: at.date() for subject, at in session.execute(query)}


def _read(session: Session, ids: list[str]) -> set[str]:
    """The submissions among ``ids`` of which a reviewer fetched or exported an envelope."""
    if not ids:
        return set()
    envelopes = session.execute(
        select(Envelope.id, Envelope.submission_id).where(Envelope.submission_id.in_(ids))
    ).all()
    subjects = {f"envelope:{envelope_id}": submission_id for envelope_id, submission_id in envelopes}
    read: set[str] = set()
    for batch in _batches(list(subjects)):
        query = select(AuditEntry.subject).where(
            AuditEntry.action.in_(_READ_ACTIONS), AuditEntry.subject.in_(batch)
        )
        read.update(subjects[subject] for subject in session.scalars(query.distinct()))
    return read


def _stale(session: Session, deleted_states: set[str], arrived_by: date) -> Iterator[Flag]:
    """Submissions that arrived by ``arrived_by`` and are still new or never linked to records, that no
    policy deletes and no reviewer decided about since."""
    linked = select(Information.submission_id).where(Information.submission_id.is_not(None))
    decided = select(SubmissionRetention.submission_id).where(
        or_(
            SubmissionRetention.hold_since.is_not(None),
            SubmissionRetention.delete_proposed_by_id.is_not(None),
            SubmissionRetention.kept_on > arrived_by,
        )
    )
    query = (
        select(Submission.id, Submission.state, Submission.received_on)
        .where(
            Submission.received_on <= arrived_by,
            Submission.state.not_in(list(deleted_states)),
            Submission.id.not_in(decided),
            or_(Submission.state == "new", Submission.id.not_in(linked)),
        )
        .order_by(Submission.received_on, Submission.id)
    )
    for submission_id, state, received_on in session.execute(query):
        yield Flag(submission_id, "never_opened" if state == "new" else "never_linked", received_on)


def _batches(rows: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]
