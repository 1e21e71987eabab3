"""One day's retention job, as ``sori retention run`` does it: finish the file removals of deletions that
were interrupted, delete what the policies say is due, tell what is flagged for reviewers, and forget the
expired deletion notices. With ``dry_run`` it only says what it would do.

Idempotent and safe to interrupt at any moment: submissions are deleted a batch per transaction
(reviewer/retention/deletion.py, core/erasure.py), so a kill leaves each either whole or deleted, and a
run started again carries on where the last one stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from core import erasure, tombstones
from reviewer.retention import deletion
from reviewer.retention.due import Flag, Plan
from reviewer.retention.policies import Policies

#: Submissions deleted per transaction: few enough that a kill loses little work, enough that a large run
#: does not pay a commit per submission.
BATCH = 25

#: What each flag asks of reviewers, as the command prints it.
FLAG_TEXTS = {
    "unread": "due for deletion since {since}, but no reviewer ever read it: decide on its page",
    "undated": "in a final state, but the audit trail does not say since when: decide on its page",
    "never_opened": "still new since it arrived on {since}: read it, then keep or delete it",
    "never_linked": "never linked to records since it arrived on {since}: keep or delete it",
    "deletion_requested": "the source asked on {since} for it to be deleted: two reviewers must decide",
}


@dataclass
class Summary:
    """What a run did (or, dry, would do)."""

    deleted: int = 0
    envelopes: int = 0
    bytes: int = 0
    flagged: int = 0
    notices_forgotten: int = 0
    files_finished: int = 0

    def line(self, dry_run: bool) -> str:
        verb = "would delete" if dry_run else "deleted"
        return (
            f"sori retention run: {verb} {self.deleted} submission(s)"
            + ("" if dry_run else f" ({self.envelopes} envelope(s), {self.bytes} bytes)")
            + f", {self.flagged} flagged for a decision, {self.notices_forgotten} deletion notice(s) "
            f"{'to forget' if dry_run else 'forgotten'}, {self.files_finished} file(s) of interrupted "
            f"deletions {'to remove' if dry_run else 'removed'}."
        )


def finish_pending(session: Session, *, dry_run: bool, emit: Callable[[str], None]) -> int:
    """Remove the files of deletions whose transaction committed before a crash; how many."""
    waiting = erasure.pending(session)
    if waiting and not dry_run:
        erasure.remove_pending(session)
    if waiting:
        emit(
            f"{'WOULD FINISH' if dry_run else 'FINISHED'} removing {waiting} file(s) of interrupted deletions"
        )
    return waiting


def apply(
    session: Session,
    work: Plan,
    policies: Policies,
    today: date,
    *,
    dry_run: bool,
    emit: Callable[[str], None],
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Carry out ``work`` (a :func:`reviewer.retention.due.plan` for ``today``), telling ``emit`` one line
    per submission deleted and per flag, and ``progress`` how many submissions each batch deleted."""
    summary = Summary(deleted=len(work.due) if dry_run else 0)
    for start in range(0, len(work.due), BATCH):
        batch = work.due[start : start + BATCH]
        if dry_run:
            for row in batch:
                emit(f"WOULD DELETE {row.submission_id}: {row.policy} on {row.decided_on}")
        else:
            reasons = {row.submission_id: {"policy": row.policy} for row in batch}
            decided = {row.submission_id: row for row in batch}
            for done in deletion.delete_submissions(session, reasons, None, today):
                row = decided[done.submission_id]
                emit(
                    f"DELETED {done.submission_id}: {row.policy} on {row.decided_on}; "
                    f"{done.envelopes} envelope(s), {done.bytes} bytes, {done.notes} note(s), "
                    f"{done.information} information link(s) marked source deleted"
                )
                summary.deleted += 1
                summary.envelopes += done.envelopes
                summary.bytes += done.bytes
        if progress is not None:
            progress(len(batch))
    if summary.deleted and not dry_run:
        erasure.truncate_log(session)
    for flag in work.flags:
        emit(f"FLAG {flag.submission_id}: {describe(flag)}")
    summary.flagged = len(work.flags)
    summary.notices_forgotten = work.notices_expired
    if work.notices_expired and not dry_run:
        tombstones.forget_before(session, today - timedelta(days=policies.notice_days))
        session.commit()
    return summary


def describe(flag: Flag) -> str:
    """What a flag asks of reviewers, in a line."""
    return FLAG_TEXTS[flag.reason].format(since=flag.since)
