"""Information: a submission as a source of an incident, an act or an involvement, with the source's
connection to the events and its reliability, as a service, no Flask; and how pages show such a link.

A withdrawn submission cannot be linked; only a verified one (or a duplicate of one) is evidence, any other
is a lead. Every link, change and removal is audited in the caller's transaction; refusals are
:class:`reviewer.records.events.RecordError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.models import Submission
from reviewer.models import Triage, User
from reviewer.records import vocab
from reviewer.records.events import RecordError, assign, record_id
from reviewer.records.models import Act, Incident, Information, Involvement
from reviewer.records.sources import refs_of


def _information_fields(connection: str | None, reliability: str | None) -> dict[str, str]:
    if connection not in vocab.CONNECTIONS:
        raise RecordError("connection")
    if reliability not in vocab.RELIABILITIES:
        raise RecordError("reliability")
    return {"connection": connection, "reliability": reliability}


_TARGETS = {
    "incident": (Incident, "incident_id"),
    "act": (Act, "act_id"),
    "involvement": (Involvement, "involvement_id"),
}


def link_information(
    session: Session,
    actor: User,
    submission_id: str,
    target_kind: str,
    target_id: int | str | None,
    *,
    connection: str | None,
    reliability: str | None,
) -> Information:
    """Record that the submission is a source for one incident, act or involvement (``target_kind``);
    audited as ``record.create``. A withdrawn submission is refused; any other may be linked (only a
    verified one counts as evidence). Raises :class:`RecordError`."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise RecordError("submission")
    if submission.state == "withdrawn":
        raise RecordError("withdrawn")
    if target_kind not in _TARGETS:
        raise RecordError("target")
    model, column = _TARGETS[target_kind]
    chosen = record_id(target_id)
    target = session.get(model, chosen) if chosen is not None else None
    if target is None:
        raise RecordError("target")
    fields = _information_fields(connection, reliability)
    already = select(Information.id).where(
        Information.submission_id == submission.id, getattr(Information, column) == target.id
    )
    if session.scalar(already.limit(1)) is not None:
        raise RecordError("already_linked")
    information = Information(
        submission_id=submission.id, created_by_id=actor.id, **{column: target.id}, **fields
    )
    session.add(information)
    session.flush()
    audit.record(
        session,
        actor,
        "record.create",
        f"information:{information.id}",
        submission=submission.id,
        target=f"{target_kind}:{target.id}",
        fields=["connection", "reliability"],
    )
    return information


def update_information(
    session: Session,
    actor: User,
    information: Information,
    *,
    connection: str | None,
    reliability: str | None,
) -> list[str]:
    """Change an information link's connection and reliability; returns (and audits) what changed."""
    changed = assign(information, _information_fields(connection, reliability))
    if changed:
        audit.record(session, actor, "record.update", f"information:{information.id}", fields=changed)
    return changed


def remove_information(session: Session, actor: User, information: Information) -> None:
    """Remove an information link; audited as ``record.delete``."""
    audit.record(
        session,
        actor,
        "record.delete",
        f"information:{information.id}",
        submission=information.submission_id,
        target=information_target(information),
    )
    session.delete(information)
    session.flush()


def information_target(information: Information) -> str:
    """``incident:3``, ``act:7`` or ``involvement:2``."""
    for kind, (_model, column) in _TARGETS.items():
        value = getattr(information, column)
        if value is not None:
            return f"{kind}:{value}"
    raise AssertionError("information without a target")  # the table's check constraint forbids it


@dataclass(frozen=True)
class InformationView:
    """An information link as pages show it: ``standing`` is ``evidence`` (a verified submission, or a
    duplicate of one), ``lead`` (any other state), ``withdrawn``, or ``source_deleted`` (the submission was
    deleted: ``submission_id`` and ``state`` are ``None``)."""

    information: Information
    submission_id: str | None
    state: str | None
    standing: str
    source_ref: str | None


def information_views(session: Session, rows: list[Information]) -> list[InformationView]:
    """Each information link with its submission's state, standing and source reference."""
    if not rows:
        return []
    ids = {row.submission_id for row in rows if row.submission_id is not None}
    states = dict(
        session.execute(select(Submission.id, Submission.state).where(Submission.id.in_(ids))).all()
    )
    originals = dict(
        session.execute(
            select(Triage.submission_id, Triage.duplicate_of_id).where(
                Triage.submission_id.in_(ids), Triage.duplicate_of_id.is_not(None)
            )
        ).all()
    )
    original_states = (
        dict(
            session.execute(
                select(Submission.id, Submission.state).where(Submission.id.in_(set(originals.values())))
            ).all()
        )
        if originals
        else {}
    )
    refs = refs_of(session, ids | set(originals.values()))
    views = []
    for row in rows:
        if row.submission_id is None:
            views.append(InformationView(row, None, None, "source_deleted", None))
            continue
        state = states[row.submission_id]
        original = originals.get(row.submission_id) if state == "duplicate" else None
        effective = original_states.get(original, state) if original else state
        standing = (
            "withdrawn"
            if "withdrawn" in (state, effective)
            else ("evidence" if effective == "verified" else "lead")
        )
        ref = refs.get(row.submission_id) or (refs.get(original) if original else None)
        views.append(InformationView(row, row.submission_id, state, standing, ref))
    return views


def information_on(session: Session, **target: Any) -> list[Information]:
    """The information links on one target: ``incident_id=``, ``act_id=`` or ``involvement_id=`` (a
    collection of ids for ``involvement_ids=``), oldest first."""
    query = select(Information).order_by(Information.id)
    if "involvement_ids" in target:
        ids = list(target["involvement_ids"])
        if not ids:
            return []
        query = query.where(Information.involvement_id.in_(ids))
    else:
        ((column, value),) = target.items()
        query = query.where(getattr(Information, column) == value)
    return list(session.scalars(query))


def information_of_submission(session: Session, submission_id: str) -> list[Information]:
    """Every information link of a submission, oldest first."""
    return list(
        session.scalars(
            select(Information).where(Information.submission_id == submission_id).order_by(Information.id)
        )
    )
