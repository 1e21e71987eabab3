"""Corroboration: how many independent sources support an act, a person's involvement in an act, or a
facility's practice (a violation type at that facility).

Counting rules (DESIGN.md section 4, issue 5):

- Only a **verified** submission is evidence; any other linked submission is a *lead*, shown apart.
- A submission marked as a **duplicate** counts as its original (and only if the original is verified).
- Submissions that reviewers attributed to one pseudonymous **source** (``submission_sources``) count once;
  a submission with no source recorded counts as a source of its own.
- A withdrawn submission is neither evidence nor a lead.
- An act is supported by information linked to the act itself, to any involvement in it, or to its whole
  incident; an involvement only by information linked to that involvement.

Everything is computed in SQL, grouped, so that a page of many acts costs one query.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from core.models import Submission
from reviewer.models import Triage
from reviewer.records.id_lists import id_table
from reviewer.records.models import Act, Information, Involvement, SubmissionSource


@dataclass(frozen=True)
class Support:
    """Independent sources that are evidence, and those that are only leads."""

    sources: int = 0
    leads: int = 0


def _effective() -> tuple[Select, ColumnElement, ColumnElement, ColumnElement]:
    """Information joined to the submission it stands for (a duplicate's original) and that submission's
    source key; returns the select, a column "is evidence", the source-key column and the original's id."""
    linked = aliased(Submission)
    original = aliased(Submission)
    effective_id = case(
        (and_(linked.state == "duplicate", Triage.duplicate_of_id.is_not(None)), Triage.duplicate_of_id),
        else_=linked.id,
    )
    source = aliased(SubmissionSource)
    key = func.coalesce(literal("s") + cast(source.source_id, String), literal("u") + original.id)
    query = (
        select(Information)
        .join(linked, linked.id == Information.submission_id)
        .outerjoin(Triage, Triage.submission_id == linked.id)
        .join(original, original.id == effective_id)
        .outerjoin(source, source.submission_id == original.id)
        .where(linked.state != "withdrawn", original.state != "withdrawn")
    )
    return query, original.state == "verified", key, original.id


def act_support(session: Session, act_ids: Collection[int]) -> dict[int, Support]:
    """The support of each act in ``act_ids`` (acts without any linked submission are left out)."""
    if not act_ids:
        return {}
    return _grouped(session, _act_rows_for(list(act_ids)))


def involvement_support(session: Session, involvement_ids: Collection[int]) -> dict[int, Support]:
    """The support of each involvement in ``involvement_ids``."""
    if not involvement_ids:
        return {}
    base, evidence, key, _original = _effective()
    rows = base.with_only_columns(
        Information.involvement_id.label("target"), evidence.label("evidence"), key.label("key")
    ).where(Information.involvement_id.in_(list(involvement_ids)))
    return _grouped(session, rows)


def facility_practices(session: Session, facility_id: int) -> dict[str, Support]:
    """For each violation type recorded at the facility: the independent sources of all its acts there."""
    acts = select(Act.id).where(Act.facility_id == facility_id)
    base = _act_rows_for(acts.scalar_subquery())
    sub = base.subquery()
    joined = select(Act.violation.label("target"), sub.c.evidence, sub.c.key).join(
        sub, sub.c.target == Act.id
    )
    result = _grouped(session, joined)
    return {str(violation): support for violation, support in result.items()}


@dataclass(frozen=True)
class Evidence:
    """One verified submission behind an act (a duplicate stands as its original), for exports that must
    filter by consent before counting: the source key (``s<source id>``, or ``u<submission id>`` when no
    source is recorded), the submission and how the information was rated."""

    act_id: int
    key: str
    submission_id: str
    connection: str
    reliability: str


def act_evidence(session: Session, act_ids: Collection[int]) -> list[Evidence]:
    """Every piece of evidence (not leads) behind the acts in ``act_ids``, by the rules above."""
    if not act_ids:
        return []
    sub = _act_rows_for(list(act_ids)).subquery()
    query = select(sub.c.target, sub.c.key, sub.c.submission, sub.c.connection, sub.c.reliability).where(
        sub.c.evidence
    )
    return [Evidence(*row) for row in session.execute(query)]


def acts_with_at_least(minimum: int) -> Select:
    """A select of the ids of acts supported by at least ``minimum`` independent sources (for filters)."""
    rows = _act_rows_for(select(Act.id).scalar_subquery()).subquery()
    evidence = func.count(func.distinct(case((rows.c.evidence, rows.c.key))))
    return select(rows.c.target).group_by(rows.c.target).having(evidence >= minimum)


def _act_rows_for(act_ids) -> Select:  # noqa: ANN001  (a list or a scalar subquery of act ids)
    """(target act id, is evidence, source key, submission, connection, reliability) for information on the
    acts, their involvements and their incidents."""
    base, evidence, key, original_id = _effective()
    details = (
        evidence.label("evidence"),
        key.label("key"),
        original_id.label("submission"),
        Information.connection,
        Information.reliability,
    )
    on_act = base.with_only_columns(Information.act_id.label("target"), *details)
    on_act = on_act.where(Information.act_id.in_(act_ids))
    on_involvement = (
        base.with_only_columns(Involvement.act_id.label("target"), *details)
        .join(Involvement, Involvement.id == Information.involvement_id)
        .where(Involvement.act_id.in_(act_ids))
    )
    on_incident = (
        base.with_only_columns(Act.id.label("target"), *details)
        .join(Act, Act.incident_id == Information.incident_id)
        .where(Act.id.in_(act_ids))
    )
    return union_all(on_act, on_involvement, on_incident)  # type: ignore[return-value]


def _grouped(session: Session, rows) -> dict:  # noqa: ANN001  (a select or a compound select)
    sub = rows.subquery()
    evidence = func.count(func.distinct(case((sub.c.evidence, sub.c.key))))
    leads = func.count(func.distinct(case((~sub.c.evidence, sub.c.key))))
    query = select(sub.c.target, evidence, leads).group_by(sub.c.target)
    return {
        target: Support(int(n_sources), int(n_leads)) for target, n_sources, n_leads in session.execute(query)
    }


def evidence_keys(session: Session, act_ids: Collection[int]) -> dict[int, set[str]]:
    """The independent sources that are evidence for each act (source keys as in :class:`Evidence`), by act
    id; acts without evidence are absent. The ids travel as one parameter (reviewer/records/id_lists.py),
    so that a minister's thousands of acts cost one query, not thousands of bound values."""
    if not act_ids:
        return {}
    sub = _act_rows_for(id_table(session, act_ids)).subquery()
    query = select(sub.c.target, sub.c.key).where(sub.c.evidence).distinct()
    found: dict[int, set[str]] = {}
    for act_id, key in session.execute(query):
        found.setdefault(act_id, set()).add(key)
    return found


def source_levels(session: Session, total: int, top: int = 3) -> list[int]:
    """How many of the ``total`` acts have 0, 1, ... ``top`` or more independent sources that are evidence,
    counted in SQL: one row per level."""
    rows = _act_rows_for(select(Act.id).scalar_subquery()).subquery()
    per_act = (
        select(func.count(func.distinct(case((rows.c.evidence, rows.c.key)))).label("sources"))
        .group_by(rows.c.target)
        .subquery()
    )
    level = case((per_act.c.sources >= top, top), else_=per_act.c.sources)
    counted = {
        int(value): int(n) for value, n in session.execute(select(level, func.count()).group_by(level))
    }
    levels = [counted.get(value, 0) for value in range(top + 1)]
    levels[0] += total - sum(levels)
    return levels
