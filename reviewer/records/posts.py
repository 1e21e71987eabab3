"""Posts (positions) in organizations and who held them when (occupancies), as a service, no Flask: the
position and occupancy forms' checks and saves, and the posts a person held.

An occupancy's ``start_lo`` and ``end_hi`` are the widest period its partial dates may mean (an empty end:
:data:`reviewer.records.dates.LATEST`); the chain of command is read through them
(reviewer/records/chain.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from reviewer.models import User
from reviewer.records import dates, forms
from reviewer.records.forms import Refused
from reviewer.records.models import Occupancy, Organization, Person, Position

TITLE_MAX = 200


@dataclass
class PostRow:
    """A post a person held (or an occupancy of a post, on the organization page)."""

    occupancy: Occupancy
    position: Position
    organization: Organization
    person_id: int
    person_caption: str


def posts_of(session: Session, person: Person, caption: str) -> list[PostRow]:
    """The posts ``person`` (whose caption is ``caption``) held, latest first."""
    return [
        PostRow(occupancy, position, organization, person.id, caption)
        for occupancy, position, organization in session.execute(
            select(Occupancy, Position, Organization)
            .join(Position, Position.id == Occupancy.position_id)
            .join(Organization, Organization.id == Position.organization_id)
            .where(Occupancy.person_id == person.id)
            .order_by(Occupancy.start_lo.desc(), Occupancy.id.desc())
        )
    ]


# ---- Positions ------------------------------------------------------------------------------------------


@dataclass
class PositionInput:
    """What the position form sends."""

    title_ko: str = ""
    title_en: str = ""
    is_head: bool = False

    @classmethod
    def of(cls, position: Position) -> PositionInput:
        return cls(position.title_ko, position.title_en or "", bool(position.is_head))


def save_position(
    session: Session,
    actor: User,
    organization: Organization,
    data: PositionInput,
    position: Position | None = None,
) -> Position:
    """Create a post in ``organization`` or update ``position``; audited. Raises :class:`Refused`."""
    errors: dict[str, str] = {}
    title_ko, title_en = forms.ko_en(errors, "title", data.title_ko, data.title_en, TITLE_MAX)
    if errors:
        raise Refused(errors)

    def fill(record: Position) -> None:
        record.title_ko = title_ko  # type: ignore[assignment]
        record.title_en = title_en
        record.is_head = data.is_head

    make = partial(Position, organization_id=organization.id)
    return forms.save(session, actor, "position", position, make, fill, PositionInput.of)


@dataclass
class PositionChoice:
    """A post in the occupancy form's select, grouped by its organization."""

    id: int
    title_ko: str
    title_en: str | None


def position_choices(session: Session) -> list[tuple[Organization, list[PositionChoice]]]:
    """Every post, grouped by organization (by Korean name), for a ``<select>`` with ``<optgroup>``."""
    rows = session.execute(
        select(Organization, Position)
        .join(Position, Position.organization_id == Organization.id)
        .order_by(Organization.name_ko, Organization.id, Position.title_ko, Position.id)
    )
    groups: list[tuple[Organization, list[PositionChoice]]] = []
    for organization, position in rows:
        if not groups or groups[-1][0].id != organization.id:
            groups.append((organization, []))
        groups[-1][1].append(PositionChoice(position.id, position.title_ko, position.title_en))
    return groups


# ---- Occupancies ----------------------------------------------------------------------------------------


@dataclass
class OccupancyInput:
    """What the occupancy form sends: who, which post, from when to when (partial dates)."""

    person_id: str = ""
    position_id: str = ""
    start: str = ""
    end: str = ""

    @classmethod
    def of(cls, occupancy: Occupancy) -> OccupancyInput:
        return cls(
            str(occupancy.person_id), str(occupancy.position_id), occupancy.start or "", occupancy.end or ""
        )


def save_occupancy(
    session: Session, actor: User, data: OccupancyInput, occupancy: Occupancy | None = None
) -> Occupancy:
    """Record that a person held a post (or change that record). An end before the start is refused, as
    are a merged person and a post or person that does not exist. Audited. Raises :class:`Refused`."""
    errors: dict[str, str] = {}
    person = forms.by_id(session, Person, data.person_id)
    if person is None or person.merged_into_id is not None:
        errors["person_id"] = "bad_person"
    position = forms.by_id(session, Position, data.position_id)
    if position is None:
        errors["position_id"] = "bad_position"
    start = forms.partial_date(errors, "start", data.start)
    end = forms.partial_date(errors, "end", data.end)
    if start and end and dates.latest(end) < dates.earliest(start):
        errors["end"] = "end_before_start"
    if errors:
        raise Refused(errors)
    assert person is not None and position is not None

    def fill(record: Occupancy) -> None:
        record.person_id = person.id
        record.position_id = position.id
        record.start, record.end = start, end
        record.start_lo = dates.earliest(start)
        record.end_hi = dates.latest(end)

    return forms.save(session, actor, "occupancy", occupancy, Occupancy, fill, OccupancyInput.of)


def remove_occupancy(session: Session, actor: User, occupancy: Occupancy) -> None:
    """Delete an occupancy; audited with the person and post it joined."""
    audit.record(
        session,
        actor,
        "record.delete",
        f"occupancy:{occupancy.id}",
        person=occupancy.person_id,
        position=occupancy.position_id,
    )
    session.delete(occupancy)
    session.flush()
