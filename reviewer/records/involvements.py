"""Involvement: who had a part in an act (carried out, ordered, planned, present, failed to prevent, superior
who failed to act) and how confident the reviewers are, as a service, no Flask. This is how a guard's act
is linked to the officials above him (reviewer/records/chain.py).

Every link, change and removal is audited in the caller's transaction with the names of the fields set,
never their content; refusals are :class:`reviewer.records.events.RecordError`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core import audit
from reviewer.models import User
from reviewer.records import vocab
from reviewer.records.events import RecordError, assign, record_id
from reviewer.records.forms import text
from reviewer.records.models import Act, Information, Involvement, Person


def _involvement_fields(
    degree: str | None, confidence: str | None, exculpatory: str | None
) -> dict[str, Any]:
    if degree not in vocab.DEGREES:
        raise RecordError("degree")
    if confidence not in vocab.CONFIDENCES:
        raise RecordError("confidence")
    return {"degree": degree, "confidence": confidence, "exculpatory": text(exculpatory)}


def _duplicate(session: Session, act_id: int, person_id: int, degree: str, other_than: int | None) -> bool:
    query = select(Involvement.id).where(
        Involvement.act_id == act_id, Involvement.person_id == person_id, Involvement.degree == degree
    )
    if other_than is not None:
        query = query.where(Involvement.id != other_than)
    return session.scalar(query.limit(1)) is not None


def add_involvement(
    session: Session,
    actor: User,
    act: Act,
    person_id: int | str | None,
    *,
    degree: str | None,
    confidence: str | None,
    exculpatory: str | None = None,
) -> Involvement:
    """Link a person to ``act`` with a degree and a confidence; audited as ``record.create``."""
    chosen = record_id(person_id)
    person = session.get(Person, chosen) if chosen is not None else None
    if person is None or person.merged_into_id is not None:
        raise RecordError("person")
    fields = _involvement_fields(degree, confidence, exculpatory)
    if _duplicate(session, act.id, person.id, fields["degree"], None):
        raise RecordError("duplicate_involvement")
    involvement = Involvement(act_id=act.id, person_id=person.id, **fields)
    session.add(involvement)
    session.flush()
    audit.record(
        session,
        actor,
        "record.create",
        f"involvement:{involvement.id}",
        act=act.id,
        person=person.id,
        fields=sorted(name for name, value in fields.items() if value is not None),
    )
    return involvement


def update_involvement(
    session: Session,
    actor: User,
    involvement: Involvement,
    *,
    degree: str | None,
    confidence: str | None,
    exculpatory: str | None,
) -> list[str]:
    """Change an involvement's degree, confidence and exculpatory note; returns (and audits) what changed."""
    fields = _involvement_fields(degree, confidence, exculpatory)
    if _duplicate(session, involvement.act_id, involvement.person_id, fields["degree"], involvement.id):
        raise RecordError("duplicate_involvement")
    changed = assign(involvement, fields)
    if changed:
        audit.record(session, actor, "record.update", f"involvement:{involvement.id}", fields=changed)
    return changed


def remove_involvement(session: Session, actor: User, involvement: Involvement) -> None:
    """Remove an involvement and the information linked to it; audited as ``record.delete``."""
    links = session.execute(delete(Information).where(Information.involvement_id == involvement.id)).rowcount
    audit.record(
        session,
        actor,
        "record.delete",
        f"involvement:{involvement.id}",
        act=involvement.act_id,
        person=involvement.person_id,
        information=links,
    )
    session.delete(involvement)
    session.flush()
