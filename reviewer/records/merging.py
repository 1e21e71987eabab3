"""Merging two records of one person (or one facility) that reviewers found under different spellings, and
undoing such a merge exactly.

Merging B into A moves every row that links to B over to A: for a person its names, identifiers,
occupancies and involvements (and its photo when A has none); for a facility its names and the acts
recorded there. Fields A leaves empty are filled from B. An involvement A already has (same act, same
degree) cannot move without breaking the unique (act, person, degree) rule: it stays with B, kept aside and
named in the merge, so nothing is lost. B keeps its row with ``merged_into_id = A``. The :class:`Merge` row
records exactly which rows moved, by table, so that :func:`undo` moves those rows back and nothing else.

A merge cannot be undone while a later merge builds on it (one that kept or absorbed either record): that
one must be undone first. Every merge and undo is written to the audit trail, with counts, never content.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core import audit
from reviewer.models import User
from reviewer.records.models import (
    Act,
    Facility,
    FacilityName,
    Involvement,
    Merge,
    Occupancy,
    Person,
    PersonIdentifier,
    PersonName,
)
from reviewer.records.record_names import reindex

KINDS = ("person", "facility")

#: Fields of a record filled from the merged one when the kept one has nothing there, and their empty value.
_FILLABLE: dict[str, dict[str, Any]] = {
    "person": {
        "gender": "unknown",
        "birth_date": None,
        "birth_place": None,
        "nationality": None,
        "description": None,
        "exculpatory": None,
    },
    "facility": {
        "organization_id": None,
        "province": None,
        "county": None,
        "latitude": None,
        "longitude": None,
        "description": None,
        "exculpatory": None,
    },
}


class MergeError(Exception):
    """A merge or an undo that cannot be done; ``code`` says why (for a translated message), ``merge_id``
    names the later merge that blocks an undo."""

    def __init__(self, code: str, merge_id: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.merge_id = merge_id


def _model(kind: str) -> type[Person] | type[Facility]:
    if kind == "person":
        return Person
    if kind == "facility":
        return Facility
    raise ValueError(kind)


def _ids(session: Session, column: Any, owner_id: int, id_column: Any) -> list[int]:
    return list(session.scalars(select(id_column).where(column == owner_id).order_by(id_column)))


def merge(session: Session, kind: str, kept_id: int, merged_id: int, actor: User) -> Merge:
    """Merge record ``merged_id`` into ``kept_id`` (both of ``kind``); returns the :class:`Merge` (the
    caller commits). Raises :class:`MergeError`: ``same`` record, ``missing``, ``already_merged``."""
    model = _model(kind)
    if kept_id == merged_id:
        raise MergeError("same")
    kept, merged = session.get(model, kept_id), session.get(model, merged_id)
    if kept is None or merged is None:
        raise MergeError("missing")
    if kept.merged_into_id is not None or merged.merged_into_id is not None:
        raise MergeError("already_merged")
    moved: dict[str, Any] = {}
    if kind == "person":
        moved.update(_move_person_rows(session, kept, merged))
    else:
        moved["facility_names"] = _move(session, FacilityName, FacilityName.facility_id, merged_id, kept_id)
        moved["acts"] = _move(session, Act, Act.facility_id, merged_id, kept_id)
    filled = [
        name
        for name, empty in _FILLABLE[kind].items()
        if getattr(kept, name) == empty and getattr(merged, name) != empty
    ]
    for name in filled:
        setattr(kept, name, getattr(merged, name))
    moved["filled"] = filled
    merged.merged_into_id = kept_id
    kept.updated_at = merged.updated_at = datetime.now(UTC)
    session.flush()
    reindex(session, kind, kept_id)
    reindex(session, kind, merged_id)
    row = Merge(
        kind=kind, kept_id=kept_id, merged_id=merged_id, moved=json.dumps(moved), merged_by_id=actor.id
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "record.merge",
        f"{kind}:{kept_id}",
        merged=f"{kind}:{merged_id}",
        merge=row.id,
        moved={
            table: len(ids) for table, ids in moved.items() if isinstance(ids, list) and table != "filled"
        },
        filled=filled,
    )
    return row


def _move(session: Session, model: Any, column: Any, from_id: int, to_id: int) -> list[int]:
    ids = _ids(session, column, from_id, model.id)
    if ids:
        session.execute(update(model).where(model.id.in_(ids)).values({column.key: to_id}))
    return ids


def _move_person_rows(session: Session, kept: Person, merged: Person) -> dict[str, Any]:
    moved: dict[str, Any] = {
        "person_names": _move(session, PersonName, PersonName.person_id, merged.id, kept.id),
        "person_identifiers": _move(
            session, PersonIdentifier, PersonIdentifier.person_id, merged.id, kept.id
        ),
        "occupancies": _move(session, Occupancy, Occupancy.person_id, merged.id, kept.id),
    }
    # An involvement the kept person already has (same act and degree) stays with the merged one.
    taken = set(
        session.execute(
            select(Involvement.act_id, Involvement.degree).where(Involvement.person_id == kept.id)
        )
    )
    movable, aside = [], []
    for involvement_id, act_id, degree in session.execute(
        select(Involvement.id, Involvement.act_id, Involvement.degree)
        .where(Involvement.person_id == merged.id)
        .order_by(Involvement.id)
    ):
        (aside if (act_id, degree) in taken else movable).append(involvement_id)
    if movable:
        session.execute(update(Involvement).where(Involvement.id.in_(movable)).values(person_id=kept.id))
    moved["involvements"] = movable
    moved["involvements_kept_aside"] = aside
    moved["photo"] = []
    if kept.photo_envelope_id is None and merged.photo_envelope_id is not None:
        kept.photo_envelope_id, kept.photo_part = merged.photo_envelope_id, merged.photo_part
        merged.photo_envelope_id, merged.photo_part = None, None
        moved["photo"] = [kept.photo_envelope_id]
    return moved


def blocking_merge(session: Session, row: Merge) -> Merge | None:
    """A later merge, not undone, that involves either record of ``row`` (it must be undone first)."""
    involved = (row.kept_id, row.merged_id)
    return session.scalars(
        select(Merge)
        .where(
            Merge.kind == row.kind,
            Merge.id > row.id,
            Merge.undone_at.is_(None),
            or_(Merge.kept_id.in_(involved), Merge.merged_id.in_(involved)),
        )
        .order_by(Merge.id)
    ).first()


def undo(session: Session, row: Merge, actor: User) -> None:
    """Move back exactly the rows ``row`` moved, empty the fields it filled and make the merged record
    stand alone again (the caller commits). Raises :class:`MergeError`: ``already_undone``, or ``later``
    with the id of the later merge that builds on this one."""
    if row.undone_at is not None:
        raise MergeError("already_undone")
    later = blocking_merge(session, row)
    if later is not None:
        raise MergeError("later", later.id)
    model = _model(row.kind)
    kept, merged = session.get(model, row.kept_id), session.get(model, row.merged_id)
    assert kept is not None and merged is not None, "merged records keep their rows"
    moved = json.loads(row.moved)
    tables: dict[str, tuple[Any, Any]] = {
        "person_names": (PersonName, PersonName.person_id),
        "person_identifiers": (PersonIdentifier, PersonIdentifier.person_id),
        "occupancies": (Occupancy, Occupancy.person_id),
        "involvements": (Involvement, Involvement.person_id),
        "facility_names": (FacilityName, FacilityName.facility_id),
        "acts": (Act, Act.facility_id),
    }
    for table, (model_of_rows, column) in tables.items():
        ids = moved.get(table) or []
        if ids:
            # Only rows still on the kept record: one deleted since the merge stays deleted.
            session.execute(
                update(model_of_rows)
                .where(model_of_rows.id.in_(ids), column == row.kept_id)
                .values({column.key: row.merged_id})
            )
    if row.kind == "person" and moved.get("photo"):
        merged.photo_envelope_id, merged.photo_part = kept.photo_envelope_id, kept.photo_part
        kept.photo_envelope_id, kept.photo_part = None, None
    for name in moved.get("filled", []):
        # A field reviewers changed on the kept record since the merge is theirs now: it stays.
        if getattr(kept, name) == getattr(merged, name):
            setattr(kept, name, _FILLABLE[row.kind][name])
    merged.merged_into_id = None
    row.undone_at = kept.updated_at = merged.updated_at = datetime.now(UTC)
    session.flush()
    reindex(session, row.kind, row.kept_id)
    reindex(session, row.kind, row.merged_id)
    audit.record(
        session,
        actor,
        "record.merge_undo",
        f"{row.kind}:{row.kept_id}",
        merged=f"{row.kind}:{row.merged_id}",
        merge=row.id,
    )


def merges_of(session: Session, kind: str, record_id: int) -> list[Merge]:
    """The merges, newest first, that kept or absorbed the record."""
    return list(
        session.scalars(
            select(Merge)
            .where(Merge.kind == kind, or_(Merge.kept_id == record_id, Merge.merged_id == record_id))
            .order_by(Merge.id.desc())
        )
    )
