"""The names of persons and facilities (their rows in ``person_names`` and ``facility_names``) and the caption
every page shows for a record: the first Hangul primary name, then any primary name, then any name, then
``#id``; an organization's caption is its Korean or English name.

A record's name rows are replaced as a whole when its form is saved, and re-indexed for search
(reviewer/records/name_index.py) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, object_session

from reviewer.records import name_index
from reviewer.records.models import Facility, FacilityName, Organization, Person, PersonName

#: Owner ids per query when reading names (keeps the statement's parameters bounded).
_BATCH = 500


def _table(kind: str) -> tuple[Any, Any]:
    """The name rows of ``kind`` (``person`` or ``facility``) and the column naming their owner."""
    if kind == "person":
        return PersonName, PersonName.person_id
    if kind == "facility":
        return FacilityName, FacilityName.facility_id
    raise ValueError(kind)


def _best_first(kind: str) -> tuple[Any, ...]:
    """The order in which a record's names are tried for its caption: a primary name before an alias,
    Hangul before a romanization, the first written."""
    model, _owner = _table(kind)
    kind_first = (model.kind != "primary",) if kind == "person" else ()
    return (*kind_first, model.style != "hangul", model.id)


def captions(session: Session, kind: str, owner_ids: Iterable[int]) -> dict[int, str]:
    """The caption of each person or facility (``kind``) by id."""
    ids = sorted(set(owner_ids))
    found: dict[int, str] = {}
    model, owner = _table(kind)
    for start in range(0, len(ids), _BATCH):
        rows = session.execute(
            select(owner, model.name)
            .where(owner.in_(ids[start : start + _BATCH]))
            .order_by(*_best_first(kind))
        )
        for owner_id, name in rows:
            found.setdefault(owner_id, name)
    return {owner_id: found.get(owner_id, f"#{owner_id}") for owner_id in ids}


def person_captions(session: Session, person_ids: Iterable[int]) -> dict[int, str]:
    """The caption of each person, by id."""
    return captions(session, "person", person_ids)


def facility_captions(session: Session, facility_ids: Iterable[int]) -> dict[int, str]:
    """The caption of each facility, by id."""
    return captions(session, "facility", facility_ids)


def merged_into_caption(session: Session, kind: str, merged_into_id: int | None) -> str | None:
    """The caption of the record a person or facility was merged into (``None`` when not merged)."""
    return captions(session, kind, [merged_into_id])[merged_into_id] if merged_into_id is not None else None


def caption_of(record: Person | Facility) -> str:
    """The caption of one person or facility."""
    kind = "person" if isinstance(record, Person) else "facility"
    session = object_session(record)
    if session is None:
        return f"#{record.id}"
    return captions(session, kind, [record.id])[record.id]


def organization_caption(organization: Organization, locale: str = "ko") -> str:
    """The organization's Korean name, or its English name for a non-Korean reader when it has one."""
    if not locale.lower().startswith("ko") and organization.name_en:
        return organization.name_en
    return organization.name_ko


def name_rows(session: Session, kind: str, owner_id: int) -> list[Any]:
    """The name rows of one person or facility, in the order they were written."""
    model, owner = _table(kind)
    return list(session.scalars(select(model).where(owner == owner_id).order_by(model.id)))


def names_by_owner(session: Session, kind: str, owner_ids: Sequence[int]) -> dict[int, list[str]]:
    """The names of each person or facility, in the order they were written (for a list page)."""
    model, owner = _table(kind)
    names: dict[int, list[str]] = {}
    if owner_ids:
        for owner_id, name in session.execute(
            select(owner, model.name).where(owner.in_(owner_ids)).order_by(model.id)
        ):
            names.setdefault(owner_id, []).append(name)
    return names


def replace_names(session: Session, kind: str, owner_id: int, rows: list[dict[str, Any]]) -> None:
    """Replace the name rows of one person or facility with ``rows`` (column values) and re-index them."""
    model, owner = _table(kind)
    session.execute(delete(model).where(owner == owner_id))
    session.add_all(model(**{owner.key: owner_id}, **row) for row in rows)
    session.flush()
    name_index.reindex(session, kind, owner_id, [row["name"] for row in rows])


def reindex(session: Session, kind: str, owner_id: int) -> None:
    """Re-index one person or facility from the name rows it has now (after rows moved between records)."""
    name_index.reindex(session, kind, owner_id, [row.name for row in name_rows(session, kind, owner_id)])
