"""Records as the Uwazi layout lists them: one row per record with codes, partial dates and, for every
record it links to, that record's ``sori_id``; read from the database for a selection of records.

A selection is closed over its links before it is read: an act brings its incident and its place of
detention, a post its holder and organization, a facility the organization that runs it, and an
organization every organization above it. So every link of a layout names a row of the same layout.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.records import origins
from reviewer.records.models import (
    Act,
    Facility,
    FacilityName,
    Incident,
    Involvement,
    Occupancy,
    Person,
    PersonIdentifier,
    PersonName,
    Position,
)
from reviewer.records.tree import OrganizationTree

#: Record ids per query (keeps the statement's parameters bounded).
BATCH = 500


@dataclass(frozen=True)
class Name:
    name: str
    #: reviewer/records/vocab.py NAME_STYLES code.
    style: str
    #: ``primary`` or ``alias``; an alias is ``strong`` or ``weak``.
    kind: str = "primary"
    quality: str | None = None


@dataclass(frozen=True)
class OrganizationRow:
    sori_id: str
    name_ko: str
    name_en: str | None
    kind: str
    parent: str | None
    province: str | None
    county: str | None
    description: str | None
    exculpatory: str | None


@dataclass(frozen=True)
class PersonRow:
    sori_id: str
    names: tuple[Name, ...]
    gender: str
    birth_date: str | None
    birth_place: str | None
    #: Lower-case country codes, in the order recorded.
    nationality: tuple[str, ...]
    #: (kind, value, country code or ``None``)
    identifiers: tuple[tuple[str, str, str | None], ...]
    description: str | None
    exculpatory: str | None


@dataclass(frozen=True)
class PostRow:
    """An occupancy: who held which post of which organization, from when to when."""

    sori_id: str
    person: str
    organization: str
    title_ko: str
    title_en: str | None
    is_head: bool
    start: str | None
    end: str | None


@dataclass(frozen=True)
class FacilityRow:
    sori_id: str
    names: tuple[Name, ...]
    kind: str
    agency: str
    organization: str | None
    province: str | None
    county: str | None
    latitude: float | None
    longitude: float | None
    description: str | None
    exculpatory: str | None


@dataclass(frozen=True)
class IncidentRow:
    sori_id: str
    title: str
    summary: str | None


@dataclass(frozen=True)
class ActRow:
    sori_id: str
    incident: str
    violation: str
    date_start: str | None
    date_end: str | None
    facility: str | None
    province: str | None
    county: str | None
    place: str | None
    victims: str | None
    victim_count: int | None
    description: str | None


@dataclass(frozen=True)
class InvolvementRow:
    sori_id: str
    act: str
    person: str
    degree: str
    confidence: str
    exculpatory: str | None


@dataclass(frozen=True)
class RecordSet:
    """Every row of a layout's record files."""

    organizations: tuple[OrganizationRow, ...] = ()
    persons: tuple[PersonRow, ...] = ()
    posts: tuple[PostRow, ...] = ()
    facilities: tuple[FacilityRow, ...] = ()
    incidents: tuple[IncidentRow, ...] = ()
    acts: tuple[ActRow, ...] = ()
    involvements: tuple[InvolvementRow, ...] = ()


@dataclass
class Selection:
    """The ids of the records to list, before their links are followed."""

    organizations: set[int] = field(default_factory=set)
    persons: set[int] = field(default_factory=set)
    occupancies: set[int] = field(default_factory=set)
    facilities: set[int] = field(default_factory=set)
    incidents: set[int] = field(default_factory=set)
    acts: set[int] = field(default_factory=set)
    involvements: set[int] = field(default_factory=set)


def read(session: Session, selection: Selection) -> RecordSet:
    """The rows of every record ``selection`` names or links to."""
    loaded = _Loaded(session, selection)
    chosen = loaded.chosen
    ids = {kind: origins.sori_ids(session, kind, getattr(chosen, _PLURAL[kind])) for kind in _PLURAL}
    organizations = [loaded.tree.by_id[organization_id] for organization_id in sorted(chosen.organizations)]
    occupancies, positions = loaded.occupancies, loaded.positions
    persons = _rows(session, Person, chosen.persons)
    person_names = _names(session, PersonName, PersonName.person_id, chosen.persons)
    identifiers = _names(session, PersonIdentifier, PersonIdentifier.person_id, chosen.persons)
    facilities = loaded.facilities
    facility_names = _names(session, FacilityName, FacilityName.facility_id, chosen.facilities)
    organization_ids, person_ids = ids["organization"], ids["person"]
    facility_ids, act_ids = ids["facility"], ids["act"]
    return RecordSet(
        organizations=tuple(
            OrganizationRow(
                organization_ids[o.id],
                o.name_ko,
                o.name_en,
                o.kind,
                organization_ids.get(o.parent_id) if o.parent_id is not None else None,
                o.province,
                o.county,
                o.description,
                o.exculpatory,
            )
            for o in organizations
        ),
        persons=tuple(
            PersonRow(
                person_ids[p.id],
                tuple(Name(n.name, n.style, n.kind, n.quality) for n in person_names.get(p.id, ())),
                p.gender,
                p.birth_date,
                p.birth_place,
                tuple((p.nationality or "").split()),
                tuple((i.kind, i.value, i.country) for i in identifiers.get(p.id, ())),
                p.description,
                p.exculpatory,
            )
            for p in persons
        ),
        posts=tuple(
            PostRow(
                ids["occupancy"][o.id],
                person_ids[o.person_id],
                organization_ids[positions[o.position_id].organization_id],
                positions[o.position_id].title_ko,
                positions[o.position_id].title_en,
                positions[o.position_id].is_head,
                o.start,
                o.end,
            )
            for o in occupancies
        ),
        facilities=tuple(
            FacilityRow(
                facility_ids[f.id],
                tuple(Name(n.name, n.style) for n in facility_names.get(f.id, ())),
                f.kind,
                f.agency,
                organization_ids.get(f.organization_id) if f.organization_id is not None else None,
                f.province,
                f.county,
                f.latitude,
                f.longitude,
                f.description,
                f.exculpatory,
            )
            for f in facilities
        ),
        incidents=tuple(
            IncidentRow(ids["incident"][i.id], i.title, i.summary)
            for i in _rows(session, Incident, chosen.incidents)
        ),
        acts=tuple(
            ActRow(
                act_ids[a.id],
                ids["incident"][a.incident_id],
                a.violation,
                a.date_start,
                a.date_end,
                facility_ids.get(a.facility_id) if a.facility_id is not None else None,
                a.province,
                a.county,
                a.place,
                a.victims,
                a.victim_count,
                a.description,
            )
            for a in loaded.acts
        ),
        involvements=tuple(
            InvolvementRow(
                ids["involvement"][i.id],
                act_ids[i.act_id],
                person_ids[i.person_id],
                i.degree,
                i.confidence,
                i.exculpatory,
            )
            for i in loaded.involvements
        ),  # fmt: skip
    )


def involvements_of(session: Session, act_ids: Collection[int]) -> set[int]:
    """The ids of every involvement in these acts."""
    return {involvement.id for involvement in _batched(session, Involvement, Involvement.act_id, act_ids)}


#: Record kind -> its field of :class:`Selection`.
_PLURAL = {
    "organization": "organizations",
    "person": "persons",
    "occupancy": "occupancies",
    "facility": "facilities",
    "incident": "incidents",
    "act": "acts",
    "involvement": "involvements",
}


class _Loaded:
    """The rows of a selection closed over its links, each read once."""

    def __init__(self, session: Session, selection: Selection) -> None:
        chosen = Selection(*(set(getattr(selection, name)) for name in _PLURAL.values()))
        self.involvements = _rows(session, Involvement, chosen.involvements)
        chosen.acts.update(involvement.act_id for involvement in self.involvements)
        chosen.persons.update(involvement.person_id for involvement in self.involvements)
        self.acts = _rows(session, Act, chosen.acts)
        chosen.incidents.update(act.incident_id for act in self.acts)
        chosen.facilities.update(act.facility_id for act in self.acts if act.facility_id is not None)
        self.occupancies = _rows(session, Occupancy, chosen.occupancies)
        chosen.persons.update(occupancy.person_id for occupancy in self.occupancies)
        positions = _rows(session, Position, {occupancy.position_id for occupancy in self.occupancies})
        self.positions = {position.id: position for position in positions}
        chosen.organizations.update(position.organization_id for position in positions)
        self.facilities = _rows(session, Facility, chosen.facilities)
        chosen.organizations.update(
            f.organization_id for f in self.facilities if f.organization_id is not None
        )
        self.tree = OrganizationTree.load(session)
        for organization_id in list(chosen.organizations):
            chosen.organizations.update(above.id for above in self.tree.above(organization_id))
        self.chosen = chosen


def _rows(session: Session, model: type, ids: Collection[int]) -> list:
    return list(_batched(session, model, model.id, ids))  # type: ignore[attr-defined]


def _names(session: Session, model: type, owner, ids: Collection[int]) -> dict[int, list]:  # noqa: ANN001
    """The rows of ``model`` owned by each of ``ids`` (through the column ``owner``), in the order written."""
    found: dict[int, list] = {}
    for row in _batched(session, model, owner, ids, order=model.id):  # type: ignore[attr-defined]
        found.setdefault(getattr(row, owner.key), []).append(row)
    return found


def _batched(session: Session, model: type, column, ids: Collection[int], order=None) -> Iterator:  # noqa: ANN001
    ordered = sorted(ids)
    for start in range(0, len(ordered), BATCH):
        query = select(model).where(column.in_(ordered[start : start + BATCH]))
        yield from session.scalars(query.order_by(order if order is not None else column))
