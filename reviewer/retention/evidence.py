"""Acts left without evidence by deletions: an act whose information links include one marked "source
deleted" and that no verified source supports any more. They are flagged on the retention page for
reviewers to look at, never deleted: the act may still be true, and other sources may come."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from reviewer.records import corroboration
from reviewer.records.models import Act, Information, Involvement


def without_evidence(session: Session, acts: Collection[int]) -> set[int]:
    """The acts among ``acts`` that no verified source supports (reviewer/records/corroboration.py)."""
    support = corroboration.act_support(session, acts)
    return {act for act in acts if act not in support or support[act].sources == 0}


def acts_left_without_evidence(session: Session) -> list[int]:
    """The ids of the acts a deletion left without evidence, in order."""
    deleted = Information.source_deleted_on.is_not(None)
    touched = union(
        select(Information.act_id).where(deleted, Information.act_id.is_not(None)),
        select(Involvement.act_id)
        .join(Information, Information.involvement_id == Involvement.id)
        .where(deleted),
        select(Act.id).join(Information, Information.incident_id == Act.incident_id).where(deleted),
    )
    acts = set(session.scalars(select(touched.subquery().c[0])))
    return sorted(without_evidence(session, acts))
