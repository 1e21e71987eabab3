"""Persons, organizations with their positions and occupancies, and facilities, as a service (no Flask).

Views in reviewer/records/people_views.py hand over what a form sent as plain dataclasses of text; the
functions here check it, write it, re-index the names for search (reviewer/records/name_index.py) and add
an audit entry naming the fields that changed (never their values), all in the caller's transaction: the
caller commits, or rolls back on :class:`Refused`.

Records never hold a survivor's identity: nothing here takes a source's name, only the officials and places
the testimony is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, object_session

from core import audit, divisions
from core.models import Envelope
from reviewer.models import User
from reviewer.records import dates, name_index, search, vocab
from reviewer.records.corroboration import Support, facility_practices, involvement_support
from reviewer.records.models import (
    Act,
    Facility,
    FacilityName,
    Incident,
    Involvement,
    Occupancy,
    Organization,
    Person,
    PersonIdentifier,
    PersonName,
    Position,
)

PAGE_SIZE = 50
#: Matches read from the name index for one filtered list; a name filter is meant to narrow, not to page
#: through thousands.
FILTER_LIMIT = 500
NAME_MAX = 200
PLACE_MAX = 200
TITLE_MAX = 200
IDENTIFIER_MAX = 100
PART_MAX = 255


class Refused(Exception):
    """What a form sent cannot be saved: ``errors`` maps each field (or ``""`` for the whole form) to a
    stable code that views translate."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(f"{name or 'form'}: {code}" for name, code in errors.items()))
        self.errors = errors


# ---- Captions -------------------------------------------------------------------------------------------


def person_captions(session: Session, person_ids: Iterable[int]) -> dict[int, str]:
    """The display name of each person: the first Hangul primary name, then any primary name, then any
    name, then ``#id``."""
    ids = list(set(person_ids))
    captions: dict[int, str] = {}
    if not ids:
        return captions
    # Best first: a primary name before an alias, Hangul before a romanization, the first written.
    rows = session.execute(
        select(PersonName.person_id, PersonName.name)
        .where(PersonName.person_id.in_(ids))
        .order_by(PersonName.kind != "primary", PersonName.style != "hangul", PersonName.id)
    )
    for person_id, name in rows:
        captions.setdefault(person_id, name)
    return {person_id: captions.get(person_id, f"#{person_id}") for person_id in ids}


def person_caption(person: Person) -> str:
    """The display name of ``person`` (see :func:`person_captions`)."""
    session = object_session(person)
    if session is None:
        return f"#{person.id}"
    return person_captions(session, [person.id])[person.id]


def facility_captions(session: Session, facility_ids: Iterable[int]) -> dict[int, str]:
    """The display name of each facility: its first Hangul name, then its first name, then ``#id``."""
    ids = list(set(facility_ids))
    captions: dict[int, str] = {}
    if not ids:
        return captions
    rows = session.execute(
        select(FacilityName.facility_id, FacilityName.name)
        .where(FacilityName.facility_id.in_(ids))
        .order_by(FacilityName.style != "hangul", FacilityName.id)
    )
    for facility_id, name in rows:
        captions.setdefault(facility_id, name)
    return {facility_id: captions.get(facility_id, f"#{facility_id}") for facility_id in ids}


def facility_caption(facility: Facility) -> str:
    """The display name of ``facility`` (see :func:`facility_captions`)."""
    session = object_session(facility)
    if session is None:
        return f"#{facility.id}"
    return facility_captions(session, [facility.id])[facility.id]


def organization_caption(organization: Organization, locale: str = "ko") -> str:
    """The organization's Korean name, or its English name for a non-Korean reader when it has one."""
    if not locale.lower().startswith("ko") and organization.name_en:
        return organization.name_en
    return organization.name_ko


# ---- Shared checks --------------------------------------------------------------------------------------


def _text(value: str | None) -> str | None:
    """Trimmed text, or ``None`` for nothing but spaces."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def _too_long(value: str | None, limit: int) -> bool:
    return value is not None and len(value) > limit


def _partial_date(errors: dict[str, str], name: str, value: str) -> str | None:
    try:
        return dates.parse(value)
    except dates.PartialDateError:
        errors[name] = "bad_date"
        return None


def _division(errors: dict[str, str], province: str, county: str) -> tuple[str | None, str | None]:
    """Checked province and county codes: the county must belong to the province (a county alone gives
    its province)."""
    province_code = _text(province)
    county_code = _text(county)
    if province_code is not None and divisions.province(province_code) is None:
        errors["province"] = "bad_province"
        return None, None
    if county_code is not None:
        division = divisions.find(county_code)
        if division is None:
            errors["county"] = "bad_county"
            return province_code, None
        if province_code is None:
            province_code = division.province_code
        elif division.province_code != province_code:
            errors["county"] = "county_not_in_province"
    return province_code, county_code


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(name for name in after if before.get(name) != after[name])


def _record(session: Session, actor: User, created: bool, subject: str, changed: list[str]) -> None:
    if created:
        audit.record(session, actor, "record.create", subject, fields=changed)
    elif changed:
        audit.record(session, actor, "record.update", subject, fields=changed)


def _now() -> datetime:
    return datetime.now(UTC)


# ---- Persons --------------------------------------------------------------------------------------------


@dataclass
class NameInput:
    """One name row of the person form."""

    name: str = ""
    style: str = "hangul"
    kind: str = "primary"
    quality: str = ""
    lang: str = ""

    def is_blank(self) -> bool:
        return not self.name.strip()


@dataclass
class IdentifierInput:
    """One identifier row of the person form."""

    kind: str = "passport"
    value: str = ""
    country: str = ""

    def is_blank(self) -> bool:
        return not self.value.strip()


@dataclass
class PersonInput:
    """What the person form sends, as text."""

    names: list[NameInput] = field(default_factory=list)
    gender: str = "unknown"
    birth_date: str = ""
    birth_place: str = ""
    nationality: str = ""
    identifiers: list[IdentifierInput] = field(default_factory=list)
    photo_envelope_id: str = ""
    photo_part: str = ""
    description: str = ""
    exculpatory: str = ""

    @classmethod
    def of(cls, session: Session, person: Person) -> PersonInput:
        """The form filled with ``person`` as stored."""
        names = session.scalars(
            select(PersonName).where(PersonName.person_id == person.id).order_by(PersonName.id)
        )
        identifiers = session.scalars(
            select(PersonIdentifier)
            .where(PersonIdentifier.person_id == person.id)
            .order_by(PersonIdentifier.id)
        )
        return cls(
            names=[NameInput(n.name, n.style, n.kind, n.quality or "", n.lang or "") for n in names],
            gender=person.gender,
            birth_date=person.birth_date or "",
            birth_place=person.birth_place or "",
            nationality=person.nationality or "",
            identifiers=[IdentifierInput(i.kind, i.value, i.country or "") for i in identifiers],
            photo_envelope_id=str(person.photo_envelope_id or ""),
            photo_part=person.photo_part or "",
            description=person.description or "",
            exculpatory=person.exculpatory or "",
        )


def _nationality(errors: dict[str, str], value: str) -> str | None:
    codes = value.lower().replace(",", " ").split()
    if any(len(code) != 2 or not code.isascii() or not code.isalpha() for code in codes):
        errors["nationality"] = "bad_country"
        return None
    return " ".join(dict.fromkeys(codes)) or None


def _country(value: str) -> str | None | bool:
    """A two-letter country code in lower case, ``None`` when empty, ``False`` when not a code."""
    code = value.strip().lower()
    if not code:
        return None
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        return False
    return code


def _check_person(session: Session, data: PersonInput) -> tuple[dict[str, Any], list[dict], list[dict]]:
    """The person's columns, names and identifiers, checked; raises :class:`Refused`."""
    errors: dict[str, str] = {}
    names = []
    for index, row in enumerate(data.names):
        if row.is_blank():
            continue
        name = " ".join(row.name.split())
        quality = row.quality or None
        if (
            len(name) > NAME_MAX
            or row.style not in vocab.NAME_STYLES
            or row.kind not in vocab.NAME_KINDS
            or (row.kind == "alias" and quality not in vocab.NAME_QUALITIES)
            or (row.kind == "primary" and quality is not None)
            or len(row.lang.strip()) > 10
        ):
            errors[f"name-{index}"] = "bad_name"
            continue
        names.append(
            {"name": name, "style": row.style, "kind": row.kind, "quality": quality, "lang": _text(row.lang)}
        )
    if not any(name["kind"] == "primary" for name in names):
        errors.setdefault("names", "name_required")
    identifiers = []
    for index, row in enumerate(data.identifiers):
        if row.is_blank():
            continue
        country = _country(row.country)
        value = row.value.strip()
        if row.kind not in vocab.IDENTIFIER_KINDS or len(value) > IDENTIFIER_MAX or country is False:
            errors[f"identifier-{index}"] = "bad_identifier"
            continue
        identifiers.append({"kind": row.kind, "value": value, "country": country})
    if data.gender not in vocab.GENDERS:
        errors["gender"] = "bad_choice"
    birth_date = _partial_date(errors, "birth_date", data.birth_date)
    birth_place = _text(data.birth_place)
    if _too_long(birth_place, PLACE_MAX):
        errors["birth_place"] = "too_long"
    nationality = _nationality(errors, data.nationality)
    envelope_id, part = _photo(session, errors, data.photo_envelope_id, data.photo_part)
    if errors:
        raise Refused(errors)
    columns = {
        "gender": data.gender,
        "birth_date": birth_date,
        "birth_place": birth_place,
        "nationality": nationality,
        "photo_envelope_id": envelope_id,
        "photo_part": part,
        "description": _text(data.description),
        "exculpatory": _text(data.exculpatory),
    }
    return columns, names, identifiers


def _photo(
    session: Session, errors: dict[str, str], envelope_text: str, part_text: str
) -> tuple[int | None, str | None]:
    """A photo reference: an envelope that exists and the name of an attachment in it (both or neither).
    The server cannot look inside the envelope; the reviewer who reads it names the part."""
    envelope_text, part = envelope_text.strip(), _text(part_text)
    if not envelope_text and part is None:
        return None, None
    if not envelope_text.isdigit() or session.get(Envelope, int(envelope_text)) is None:
        errors["photo_envelope_id"] = "bad_envelope"
        return None, None
    if part is None or len(part) > PART_MAX:
        errors["photo_part"] = "bad_part"
        return None, None
    return int(envelope_text), part


def save_person(session: Session, actor: User, data: PersonInput, person: Person | None = None) -> Person:
    """Create a person (``person`` None) or replace an existing one's fields, names and identifiers with
    ``data``; re-indexes the names and audits. Raises :class:`Refused` with nothing written."""
    columns, names, identifiers = _check_person(session, data)
    created = person is None
    if person is None:
        person = Person()
        session.add(person)
        before: dict[str, Any] = {}
    else:
        before = _person_snapshot(session, person)
    for name, value in columns.items():
        setattr(person, name, value)
    person.updated_at = _now()
    session.flush()
    session.execute(delete(PersonName).where(PersonName.person_id == person.id))
    session.execute(delete(PersonIdentifier).where(PersonIdentifier.person_id == person.id))
    session.add_all(PersonName(person_id=person.id, **name) for name in names)
    session.add_all(PersonIdentifier(person_id=person.id, **identifier) for identifier in identifiers)
    session.flush()
    name_index.reindex(session, "person", person.id, [name["name"] for name in names])
    after = _person_snapshot(session, person)
    _record(session, actor, created, f"person:{person.id}", _changed(before, after))
    return person


def _person_snapshot(session: Session, person: Person) -> dict[str, Any]:
    form = PersonInput.of(session, person)
    values = {name: getattr(form, name) for name in PersonInput.__dataclass_fields__}
    values["names"] = [vars(name) for name in form.names]
    values["identifiers"] = [vars(identifier) for identifier in form.identifiers]
    return values


@dataclass
class PersonRow:
    """One line of the persons list."""

    id: int
    caption: str
    names: list[str]
    birth_date: str | None


def persons_page(session: Session, query: str = "", page: int = 1) -> tuple[list[PersonRow], bool]:
    """One page of persons not merged into another (name filter through the search index, best match
    first; otherwise newest first) and whether there is a next page."""
    statement = select(Person).where(Person.merged_into_id.is_(None))
    persons = _page(session, statement, Person, "person", query, page)
    rows = persons[:PAGE_SIZE]
    names = _names_of(session, PersonName, PersonName.person_id, [p.id for p in rows])
    captions = person_captions(session, [p.id for p in rows])
    return [PersonRow(p.id, captions[p.id], names.get(p.id, []), p.birth_date) for p in rows], len(
        persons
    ) > PAGE_SIZE


def _names_of(session: Session, model: Any, owner: Any, ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    if ids:
        for owner_id, name in session.execute(
            select(owner, model.name).where(owner.in_(ids)).order_by(model.id)
        ):
            names.setdefault(owner_id, []).append(name)
    return names


def _page(session: Session, statement: Any, model: Any, kind: str, query: str, page: int) -> list[Any]:
    """Up to one row more than a page of ``statement`` (so callers know whether another page follows)."""
    offset = (max(page, 1) - 1) * PAGE_SIZE
    query = query.strip()
    if not query:
        return list(session.scalars(statement.order_by(model.id.desc()).offset(offset).limit(PAGE_SIZE + 1)))
    ranked = [hit.owner_id for hit in search.find(session, query, (kind,), limit=FILTER_LIMIT)]
    if not ranked:
        return []
    # Hits the list leaves out (a merged record) go before paging, so that pages stay full.
    listed = set(session.scalars(statement.with_only_columns(model.id).where(model.id.in_(ranked))))
    wanted = [owner_id for owner_id in ranked if owner_id in listed][offset : offset + PAGE_SIZE + 1]
    found = {row.id: row for row in session.scalars(statement.where(model.id.in_(wanted)))} if wanted else {}
    return [found[owner_id] for owner_id in wanted]


@dataclass
class InvolvementRow:
    """A person's part in an act, as the person page lists it."""

    involvement: Involvement
    act: Act
    incident: Incident
    support: Support


@dataclass
class PostRow:
    """A post a person held (or an occupancy of a post, on the organization page)."""

    occupancy: Occupancy
    position: Position
    organization: Organization
    person_id: int
    person_caption: str


@dataclass
class PersonView:
    """What the person page shows."""

    person: Person
    caption: str
    names: list[PersonName]
    identifiers: list[PersonIdentifier]
    posts: list[PostRow]
    involvements: list[InvolvementRow]
    merged_into_caption: str | None = None
    #: The submission the photo's envelope belongs to, for a link to where it can be read.
    photo_submission_id: str | None = None


def person_view(session: Session, person: Person) -> PersonView:
    """The person with names, identifiers, posts held (latest first) and involvements with their
    corroboration."""
    names = list(
        session.scalars(select(PersonName).where(PersonName.person_id == person.id).order_by(PersonName.id))
    )
    identifiers = list(
        session.scalars(
            select(PersonIdentifier)
            .where(PersonIdentifier.person_id == person.id)
            .order_by(PersonIdentifier.id)
        )
    )
    caption = person_captions(session, [person.id])[person.id]
    posts = [
        PostRow(occupancy, position, organization, person.id, caption)
        for occupancy, position, organization in session.execute(
            select(Occupancy, Position, Organization)
            .join(Position, Position.id == Occupancy.position_id)
            .join(Organization, Organization.id == Position.organization_id)
            .where(Occupancy.person_id == person.id)
            .order_by(Occupancy.start_lo.desc(), Occupancy.id.desc())
        )
    ]
    rows = session.execute(
        select(Involvement, Act, Incident)
        .join(Act, Act.id == Involvement.act_id)
        .join(Incident, Incident.id == Act.incident_id)
        .where(Involvement.person_id == person.id)
        .order_by(Act.date_lo.desc(), Involvement.id)
    )
    found = list(rows)
    support = involvement_support(session, [involvement.id for involvement, _act, _incident in found])
    involvements = [
        InvolvementRow(involvement, act, incident, support.get(involvement.id, Support()))
        for involvement, act, incident in found
    ]
    merged = (
        person_captions(session, [person.merged_into_id])[person.merged_into_id]
        if person.merged_into_id
        else None
    )
    envelope = session.get(Envelope, person.photo_envelope_id) if person.photo_envelope_id else None
    return PersonView(
        person,
        caption,
        names,
        identifiers,
        posts,
        involvements,
        merged,
        envelope.submission_id if envelope is not None else None,
    )


# ---- Organizations and positions ------------------------------------------------------------------------


@dataclass
class OrganizationInput:
    """What the organization form sends, as text."""

    name_ko: str = ""
    name_en: str = ""
    kind: str = "bureau"
    parent_id: str = ""
    province: str = ""
    county: str = ""
    description: str = ""
    exculpatory: str = ""

    @classmethod
    def of(cls, organization: Organization) -> OrganizationInput:
        """The form filled with ``organization`` as stored."""
        return cls(
            name_ko=organization.name_ko,
            name_en=organization.name_en or "",
            kind=organization.kind,
            parent_id=str(organization.parent_id or ""),
            province=organization.province or "",
            county=organization.county or "",
            description=organization.description or "",
            exculpatory=organization.exculpatory or "",
        )


def ancestors(session: Session, organization: Organization) -> list[Organization]:
    """The organizations above ``organization``, nearest first, up to the top."""
    found: list[Organization] = []
    seen = {organization.id}
    parent_id = organization.parent_id
    # The seen set stops a loop even if one was written before the rule that refuses it.
    while parent_id is not None and parent_id not in seen:
        parent = session.get(Organization, parent_id)
        if parent is None:
            break
        found.append(parent)
        seen.add(parent.id)
        parent_id = parent.parent_id
    return found


def save_organization(
    session: Session, actor: User, data: OrganizationInput, organization: Organization | None = None
) -> Organization:
    """Create or update an organization; refuses a parent that does not exist or would put the
    organization above itself. Re-indexes its names and audits. Raises :class:`Refused`."""
    errors: dict[str, str] = {}
    name_ko, name_en = _text(data.name_ko), _text(data.name_en)
    if name_ko is None:
        errors["name_ko"] = "required"
    elif _too_long(name_ko, NAME_MAX):
        errors["name_ko"] = "too_long"
    if _too_long(name_en, NAME_MAX):
        errors["name_en"] = "too_long"
    if data.kind not in vocab.ORGANIZATION_KINDS:
        errors["kind"] = "bad_choice"
    parent = None
    if data.parent_id.strip():
        parent = session.get(Organization, int(data.parent_id)) if data.parent_id.strip().isdigit() else None
        if parent is None:
            errors["parent_id"] = "bad_parent"
        elif organization is not None and (
            parent.id == organization.id or organization.id in {o.id for o in ancestors(session, parent)}
        ):
            errors["parent_id"] = "cycle"
    province, county = _division(errors, data.province, data.county)
    if errors:
        raise Refused(errors)
    created = organization is None
    before = {} if organization is None else vars(OrganizationInput.of(organization))
    if organization is None:
        organization = Organization()
        session.add(organization)
    organization.name_ko = name_ko  # type: ignore[assignment]
    organization.name_en = name_en
    organization.kind = data.kind
    organization.parent_id = parent.id if parent is not None else None
    organization.province = province
    organization.county = county
    organization.description = _text(data.description)
    organization.exculpatory = _text(data.exculpatory)
    organization.updated_at = _now()
    session.flush()
    name_index.reindex(session, "organization", organization.id, [n for n in (name_ko, name_en) if n])
    changed = _changed(before, vars(OrganizationInput.of(organization)))
    _record(session, actor, created, f"organization:{organization.id}", changed)
    return organization


def organizations_page(session: Session, query: str = "", page: int = 1) -> tuple[list[Organization], bool]:
    """One page of organizations (name filter through the search index) and whether another follows."""
    found = _page(session, select(Organization), Organization, "organization", query, page)
    return found[:PAGE_SIZE], len(found) > PAGE_SIZE


def organization_choices(session: Session, exclude: Organization | None = None) -> list[Organization]:
    """Organizations a form may pick as a parent or operator, by Korean name (without ``exclude`` and the
    organizations below it, which would make a loop)."""
    everything = list(session.scalars(select(Organization).order_by(Organization.name_ko, Organization.id)))
    if exclude is None:
        return everything
    below = {exclude.id}
    grew = True
    while grew:
        grew = False
        for organization in everything:
            if organization.parent_id in below and organization.id not in below:
                below.add(organization.id)
                grew = True
    return [organization for organization in everything if organization.id not in below]


@dataclass
class PositionView:
    """A post of an organization and its holders, current first."""

    position: Position
    current: list[PostRow]
    past: list[PostRow]


@dataclass
class OrganizationView:
    """What the organization page shows."""

    organization: Organization
    parent_chain: list[Organization]
    children: list[Organization]
    positions: list[PositionView]


def organization_view(
    session: Session, organization: Organization, today: date | None = None
) -> OrganizationView:
    """The organization with its chain upward, the organizations directly below and each post's holders:
    *current* when the occupancy's end is empty or not yet past ``today``."""
    today = today or datetime.now(UTC).date()
    children = list(
        session.scalars(
            select(Organization)
            .where(Organization.parent_id == organization.id)
            .order_by(Organization.name_ko)
        )
    )
    positions = list(
        session.scalars(
            select(Position)
            .where(Position.organization_id == organization.id)
            .order_by(Position.is_head.desc(), Position.title_ko, Position.id)
        )
    )
    occupancies = list(
        session.scalars(
            select(Occupancy)
            .where(Occupancy.position_id.in_([p.id for p in positions]))
            .order_by(Occupancy.start_lo.desc(), Occupancy.id.desc())
        )
    )
    captions = person_captions(session, [o.person_id for o in occupancies])
    views = []
    for position in positions:
        rows = [
            PostRow(o, position, organization, o.person_id, captions[o.person_id])
            for o in occupancies
            if o.position_id == position.id
        ]
        current = [row for row in rows if row.occupancy.end is None or row.occupancy.end_hi >= today]
        past = [row for row in rows if row not in current]
        views.append(PositionView(position, current, past))
    return OrganizationView(organization, ancestors(session, organization), children, views)


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
    title_ko, title_en = _text(data.title_ko), _text(data.title_en)
    if title_ko is None:
        errors["title_ko"] = "required"
    elif _too_long(title_ko, TITLE_MAX):
        errors["title_ko"] = "too_long"
    if _too_long(title_en, TITLE_MAX):
        errors["title_en"] = "too_long"
    if errors:
        raise Refused(errors)
    created = position is None
    before = {} if position is None else vars(PositionInput.of(position))
    if position is None:
        position = Position(organization_id=organization.id)
        session.add(position)
    position.title_ko = title_ko  # type: ignore[assignment]
    position.title_en = title_en
    position.is_head = data.is_head
    session.flush()
    _record(
        session, actor, created, f"position:{position.id}", _changed(before, vars(PositionInput.of(position)))
    )
    return position


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
    """Record that a person held a post (or change that record). ``start_lo``/``end_hi`` are the widest
    period the dates may mean (an empty end: :data:`dates.LATEST`); an end before the start is refused,
    as are a merged person and a post or person that does not exist. Audited. Raises :class:`Refused`."""
    errors: dict[str, str] = {}
    person = session.get(Person, int(data.person_id)) if data.person_id.strip().isdigit() else None
    if person is None or person.merged_into_id is not None:
        errors["person_id"] = "bad_person"
    position = session.get(Position, int(data.position_id)) if data.position_id.strip().isdigit() else None
    if position is None:
        errors["position_id"] = "bad_position"
    start = _partial_date(errors, "start", data.start)
    end = _partial_date(errors, "end", data.end)
    if start and end and dates.latest(end) < dates.earliest(start):
        errors["end"] = "end_before_start"
    if errors:
        raise Refused(errors)
    assert person is not None and position is not None
    created = occupancy is None
    before = {} if occupancy is None else vars(OccupancyInput.of(occupancy))
    if occupancy is None:
        occupancy = Occupancy()
        session.add(occupancy)
    occupancy.person_id = person.id
    occupancy.position_id = position.id
    occupancy.start, occupancy.end = start, end
    occupancy.start_lo = dates.earliest(start)
    occupancy.end_hi = dates.latest(end)
    session.flush()
    _record(
        session,
        actor,
        created,
        f"occupancy:{occupancy.id}",
        _changed(before, vars(OccupancyInput.of(occupancy))),
    )
    return occupancy


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


# ---- Facilities -----------------------------------------------------------------------------------------


@dataclass
class FacilityNameInput:
    """One name row of the facility form."""

    name: str = ""
    style: str = "hangul"

    def is_blank(self) -> bool:
        return not self.name.strip()


@dataclass
class FacilityInput:
    """What the facility form sends, as text."""

    names: list[FacilityNameInput] = field(default_factory=list)
    kind: str = "kyohwaso"
    agency: str = "mps"
    organization_id: str = ""
    province: str = ""
    county: str = ""
    latitude: str = ""
    longitude: str = ""
    description: str = ""
    exculpatory: str = ""

    @classmethod
    def of(cls, session: Session, facility: Facility) -> FacilityInput:
        """The form filled with ``facility`` as stored."""
        names = session.scalars(
            select(FacilityName).where(FacilityName.facility_id == facility.id).order_by(FacilityName.id)
        )
        return cls(
            names=[FacilityNameInput(n.name, n.style) for n in names],
            kind=facility.kind,
            agency=facility.agency,
            organization_id=str(facility.organization_id or ""),
            province=facility.province or "",
            county=facility.county or "",
            latitude="" if facility.latitude is None else repr(facility.latitude),
            longitude="" if facility.longitude is None else repr(facility.longitude),
            description=facility.description or "",
            exculpatory=facility.exculpatory or "",
        )


def _coordinate(errors: dict[str, str], name: str, text: str, bound: float) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        errors[name] = "bad_coordinate"
        return None
    if not -bound <= value <= bound:
        errors[name] = "bad_coordinate"
        return None
    return value


def save_facility(
    session: Session, actor: User, data: FacilityInput, facility: Facility | None = None
) -> Facility:
    """Create or update a facility with its names; re-indexes them and audits. Raises :class:`Refused`."""
    errors: dict[str, str] = {}
    names = []
    for index, row in enumerate(data.names):
        name = " ".join(row.name.split())
        if not name:
            continue
        if len(name) > NAME_MAX or row.style not in vocab.NAME_STYLES:
            errors[f"name-{index}"] = "bad_name"
            continue
        names.append({"name": name, "style": row.style})
    if not names:
        errors.setdefault("names", "name_required")
    if data.kind not in vocab.FACILITY_KINDS:
        errors["kind"] = "bad_choice"
    if data.agency not in vocab.AGENCIES:
        errors["agency"] = "bad_choice"
    operator = None
    if data.organization_id.strip():
        text = data.organization_id.strip()
        operator = session.get(Organization, int(text)) if text.isdigit() else None
        if operator is None:
            errors["organization_id"] = "bad_organization"
    province, county = _division(errors, data.province, data.county)
    latitude = _coordinate(errors, "latitude", data.latitude, 90.0)
    longitude = _coordinate(errors, "longitude", data.longitude, 180.0)
    if (latitude is None) != (longitude is None) and "latitude" not in errors and "longitude" not in errors:
        errors["longitude" if longitude is None else "latitude"] = "coordinates_pair"
    if errors:
        raise Refused(errors)
    created = facility is None
    before = {} if facility is None else _facility_snapshot(session, facility)
    if facility is None:
        facility = Facility()
        session.add(facility)
    facility.kind = data.kind
    facility.agency = data.agency
    facility.organization_id = operator.id if operator is not None else None
    facility.province, facility.county = province, county
    facility.latitude, facility.longitude = latitude, longitude
    facility.description = _text(data.description)
    facility.exculpatory = _text(data.exculpatory)
    facility.updated_at = _now()
    session.flush()
    session.execute(delete(FacilityName).where(FacilityName.facility_id == facility.id))
    session.add_all(FacilityName(facility_id=facility.id, **name) for name in names)
    session.flush()
    name_index.reindex(session, "facility", facility.id, [name["name"] for name in names])
    changed = _changed(before, _facility_snapshot(session, facility))
    _record(session, actor, created, f"facility:{facility.id}", changed)
    return facility


def _facility_snapshot(session: Session, facility: Facility) -> dict[str, Any]:
    form = FacilityInput.of(session, facility)
    values = {name: getattr(form, name) for name in FacilityInput.__dataclass_fields__}
    values["names"] = [vars(name) for name in form.names]
    return values


@dataclass
class FacilityRow:
    """One line of the facilities list."""

    facility: Facility
    caption: str
    names: list[str]


def facilities_page(session: Session, query: str = "", page: int = 1) -> tuple[list[FacilityRow], bool]:
    """One page of facilities not merged into another (name filter through the search index) and whether
    another page follows."""
    statement = select(Facility).where(Facility.merged_into_id.is_(None))
    found = _page(session, statement, Facility, "facility", query, page)
    rows = found[:PAGE_SIZE]
    names = _names_of(session, FacilityName, FacilityName.facility_id, [f.id for f in rows])
    captions = facility_captions(session, [f.id for f in rows])
    return [FacilityRow(f, captions[f.id], names.get(f.id, [])) for f in rows], len(found) > PAGE_SIZE


@dataclass
class FacilityView:
    """What the facility page shows: names, operator, practices (violation types with their
    corroboration) and the acts recorded there, latest first."""

    facility: Facility
    caption: str
    names: list[FacilityName]
    operator: Organization | None
    practices: list[tuple[str, Support]]
    acts: list[tuple[Act, Incident]]
    merged_into_caption: str | None = None


#: Acts listed on a facility page; the practices above them count every act.
FACILITY_ACT_LIMIT = 200


def facility_view(session: Session, facility: Facility) -> FacilityView:
    """The facility page's content (see :class:`FacilityView`)."""
    names = list(
        session.scalars(
            select(FacilityName).where(FacilityName.facility_id == facility.id).order_by(FacilityName.id)
        )
    )
    operator = session.get(Organization, facility.organization_id) if facility.organization_id else None
    practices = facility_practices(session, facility.id)
    recorded = session.scalars(select(Act.violation).where(Act.facility_id == facility.id).distinct())
    # A violation recorded there with no linked submission yet still shows, with no sources.
    ordered = sorted({*practices, *recorded}, key=lambda v: (-practices.get(v, Support()).sources, v))
    acts = list(
        session.execute(
            select(Act, Incident)
            .join(Incident, Incident.id == Act.incident_id)
            .where(Act.facility_id == facility.id)
            .order_by(Act.date_lo.desc(), Act.id.desc())
            .limit(FACILITY_ACT_LIMIT)
        )
    )
    caption = facility_captions(session, [facility.id])[facility.id]
    merged = (
        facility_captions(session, [facility.merged_into_id])[facility.merged_into_id]
        if facility.merged_into_id
        else None
    )
    return FacilityView(
        facility, caption, names, operator, [(v, practices.get(v, Support())) for v in ordered], acts, merged
    )


# ---- The records start page -----------------------------------------------------------------------------


def counts(session: Session) -> dict[str, int]:
    """How many persons and facilities (not merged), organizations and incidents there are."""

    def count(statement: Any) -> int:
        return int(session.scalar(statement) or 0)

    return {
        "persons": count(select(func.count(Person.id)).where(Person.merged_into_id.is_(None))),
        "organizations": count(select(func.count(Organization.id))),
        "facilities": count(select(func.count(Facility.id)).where(Facility.merged_into_id.is_(None))),
        "incidents": count(select(func.count(Incident.id))),
    }


def organizations_by_id(session: Session, ids: Sequence[int | None]) -> dict[int, Organization]:
    """The organizations with these ids (``None`` ignored), by id."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(wanted)))}
