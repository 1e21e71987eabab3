"""Deleting submissions for good, as two reviewers decided or a retention policy requires: the one place
that does it (docs/retention.md, "What deletion does").

In one transaction: every row of the reviewer side that names a submission or its envelopes goes (notes,
triage, tags, key grants, the recorded source and consent, retention decisions; a person's photo taken
from it is unlinked); the records' information links that cited it stay, unlinked, as "source deleted",
so corroboration drops at once; a source whose withdrawn submission is deleted stays withdrawn; then the
core erases the submission itself, its envelopes, its receipt lookup and the source's key
(core/erasure.py). One audit entry per submission names it by id, says why (the policy, or the two
reviewers) and what went: envelopes, bytes, notes, information links, and the acts left with no evidence
(flagged on the retention page, never deleted). After the commit the envelope files are removed; the
callers then truncate SQLite's write-ahead log once (core/erasure.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from core import audit, erasure
from core.models import Envelope, Submission
from reviewer.models import KeyGrant, Note, SubmissionTag, Triage, User
from reviewer.records.models import Act, Information, Involvement, Person, Source, SubmissionSource
from reviewer.retention import evidence
from reviewer.retention.models import SubmissionRetention

#: What the audit entry of a deletion says of why: ``{"policy": "rejected"}``, or the two reviewers.
Reason = Mapping[str, str]


@dataclass(frozen=True)
class Deleted:
    """What one deletion removed."""

    submission_id: str
    envelopes: int
    bytes: int
    notes: int
    information: int
    #: Acts that cited the submission and now have no evidence left.
    acts_without_evidence: tuple[int, ...]


def delete_submissions(
    session: Session, reasons: Mapping[str, Reason], actor: User | None, day: date
) -> list[Deleted]:
    """Delete the submissions that ``reasons`` names (id -> why), on ``actor``'s decision (``None``: a
    policy), commit, then remove their envelope files. Those already deleted (by a run or a reviewer at
    the same moment) are skipped. Either every one of them is deleted or, if this fails or is killed
    before the commit, none."""
    # Before reading what to delete: a concurrent deletion of the same submission then finds it gone.
    audit.lock(session)
    ids = sorted(session.scalars(select(Submission.id).where(Submission.id.in_(list(reasons)))))
    if not ids:
        session.rollback()
        return []
    envelope_ids = list(session.scalars(select(Envelope.id).where(Envelope.submission_id.in_(ids))))
    notes = dict(
        session.execute(
            select(Note.submission_id, func.count())
            .where(Note.submission_id.in_(ids))
            .group_by(Note.submission_id)
        ).all()
    )
    _forget_reviewer_rows(session, ids, envelope_ids, day)
    links = _unlink_information(session, ids, day)
    erased = erasure.erase(session, ids, day)
    bare = evidence.without_evidence(session, {act for _count, acts in links.values() for act in acts})
    done = []
    for submission_id in ids:
        removed = erased[submission_id]
        count, acts = links.get(submission_id, (0, set()))
        done.append(
            Deleted(
                submission_id,
                removed.envelopes,
                removed.bytes,
                notes.get(submission_id, 0),
                count,
                tuple(sorted(bare & acts)),
            )
        )
    audit.record_many(session, actor, [_entry(deleted, reasons[deleted.submission_id]) for deleted in done])
    session.commit()
    erasure.remove_pending(session)
    return done


def _entry(deleted: Deleted, reason: Reason) -> tuple[str, str, dict[str, object]]:
    """The audit entry of one deletion: why, and what went."""
    details = {
        **reason,
        "envelopes": deleted.envelopes,
        "bytes": deleted.bytes,
        "notes": deleted.notes,
        "information": deleted.information,
        "acts_without_evidence": list(deleted.acts_without_evidence),
    }
    return "submission.delete", f"submission:{deleted.submission_id}", details


def _forget_reviewer_rows(session: Session, ids: list[str], envelope_ids: list[int], day: date) -> None:
    """Delete or unlink every row of the reviewer side but the records' information that names the
    submissions or their envelopes."""
    if envelope_ids:
        session.execute(delete(KeyGrant).where(KeyGrant.envelope_id.in_(envelope_ids)))
        session.execute(
            update(Person)
            .where(Person.photo_envelope_id.in_(envelope_ids))
            .values(photo_envelope_id=None, photo_part=None)
        )
    session.execute(delete(Note).where(Note.submission_id.in_(ids)))
    session.execute(delete(SubmissionTag).where(SubmissionTag.submission_id.in_(ids)))
    # A duplicate of a deleted submission stays a duplicate, of nothing left: it counts as itself.
    session.execute(update(Triage).where(Triage.duplicate_of_id.in_(ids)).values(duplicate_of_id=None))
    session.execute(delete(Triage).where(Triage.submission_id.in_(ids)))
    withdrawn = (
        select(SubmissionSource.source_id)
        .join(Submission, Submission.id == SubmissionSource.submission_id)
        .where(SubmissionSource.submission_id.in_(ids), Submission.state == "withdrawn")
    )
    session.execute(
        update(Source).where(Source.id.in_(withdrawn), Source.withdrew_on.is_(None)).values(withdrew_on=day)
    )
    session.execute(delete(SubmissionSource).where(SubmissionSource.submission_id.in_(ids)))
    session.execute(delete(SubmissionRetention).where(SubmissionRetention.submission_id.in_(ids)))


def _unlink_information(session: Session, ids: list[str], day: date) -> dict[str, tuple[int, set[int]]]:
    """Mark the information links citing the submissions as "source deleted"; for each submission, how
    many links it had and the acts behind them (an incident link stands for every act of the incident)."""
    rows = session.execute(
        select(Information.submission_id, Information.act_id, Involvement.act_id, Information.incident_id)
        .outerjoin(Involvement, Involvement.id == Information.involvement_id)
        .where(Information.submission_id.in_(ids))
    ).all()
    incidents = {incident for *_rest, incident in rows if incident is not None}
    acts_in: dict[int, set[int]] = defaultdict(set)
    if incidents:
        query = select(Act.incident_id, Act.id).where(Act.incident_id.in_(incidents))
        for incident_id, act_id in session.execute(query):
            acts_in[incident_id].add(act_id)
    links: dict[str, tuple[int, set[int]]] = {}
    for submission_id, act_id, involvement_act_id, incident_id in rows:
        count, acts = links.get(submission_id, (0, set()))
        if incident_id is not None:
            acts |= acts_in[incident_id]
        else:
            acts.add(act_id if act_id is not None else involvement_act_id)
        links[submission_id] = (count + 1, acts)
    session.execute(
        update(Information)
        .where(Information.submission_id.in_(ids))
        .values(submission_id=None, source_deleted_on=day)
    )
    return links
