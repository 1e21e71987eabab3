"""Persons (perpetrators and officials) as a service, no Flask: the person form's checks and save, the
persons list and what a person page shows.

A person has names in Hangul and in romanizations (primary names and aliases, each alias strong or weak),
gender, a partial birth date, birth place, nationality, identifiers and a photo reference. Records never
hold a survivor's identity: nothing here takes a source's name, only the officials the testimony is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.models import Envelope
from reviewer.models import User
from reviewer.records import forms, lists, record_names, vocab
from reviewer.records.corroboration import Support, involvement_support
from reviewer.records.forms import NAME_MAX, Refused
from reviewer.records.models import Act, Incident, Involvement, Person, PersonIdentifier, PersonName
from reviewer.records.posts import PostRow, posts_of

PLACE_MAX = 200
IDENTIFIER_MAX = 100
PART_MAX = 255
LANG_MAX = 10


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
        return cls(
            names=[
                NameInput(n.name, n.style, n.kind, n.quality or "", n.lang or "")
                for n in record_names.name_rows(session, "person", person.id)
            ],
            gender=person.gender,
            identifiers=[
                IdentifierInput(i.kind, i.value, i.country or "") for i in _identifiers(session, person)
            ],
            photo_envelope_id=str(person.photo_envelope_id or ""),
            **forms.as_text(
                person, "birth_date", "birth_place", "nationality", "photo_part", "description", "exculpatory"
            ),
        )


def _identifiers(session: Session, person: Person) -> list[PersonIdentifier]:
    return list(
        session.scalars(
            select(PersonIdentifier)
            .where(PersonIdentifier.person_id == person.id)
            .order_by(PersonIdentifier.id)
        )
    )


def _country(value: str) -> str | None | bool:
    """A two-letter country code in lower case, ``None`` when empty, ``False`` when not a code."""
    code = value.strip().lower()
    if not code:
        return None
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        return False
    return code


def _nationality(errors: dict[str, str], value: str) -> str | None:
    codes = value.lower().replace(",", " ").split()
    if any(_country(code) is False for code in codes):
        errors["nationality"] = "bad_country"
        return None
    return " ".join(dict.fromkeys(codes)) or None


def _names(errors: dict[str, str], rows: list[NameInput]) -> list[dict[str, str | None]]:
    names = []
    for index, row in enumerate(rows):
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
            or len(row.lang.strip()) > LANG_MAX
        ):
            errors[f"name-{index}"] = "bad_name"
            continue
        names.append(
            {
                "name": name,
                "style": row.style,
                "kind": row.kind,
                "quality": quality,
                "lang": forms.text(row.lang),
            }
        )
    if not any(name["kind"] == "primary" for name in names):
        errors.setdefault("names", "name_required")
    return names


def _identifier_rows(errors: dict[str, str], rows: list[IdentifierInput]) -> list[dict[str, str | None]]:
    identifiers = []
    for index, row in enumerate(rows):
        if row.is_blank():
            continue
        country = _country(row.country)
        value = row.value.strip()
        if row.kind not in vocab.IDENTIFIER_KINDS or len(value) > IDENTIFIER_MAX or country is False:
            errors[f"identifier-{index}"] = "bad_identifier"
            continue
        identifiers.append({"kind": row.kind, "value": value, "country": country})
    return identifiers


def _photo(
    session: Session, errors: dict[str, str], envelope_text: str, part_text: str
) -> tuple[int | None, str | None]:
    """A photo reference: an envelope that exists and the name of an attachment in it (both or neither).
    The server cannot look inside the envelope; the reviewer who reads it names the part."""
    envelope_text, part = envelope_text.strip(), forms.text(part_text)
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
    errors: dict[str, str] = {}
    names = _names(errors, data.names)
    identifiers = _identifier_rows(errors, data.identifiers)
    if data.gender not in vocab.GENDERS:
        errors["gender"] = "bad_choice"
    birth_date = forms.partial_date(errors, "birth_date", data.birth_date)
    birth_place = forms.text(data.birth_place)
    if forms.too_long(birth_place, PLACE_MAX):
        errors["birth_place"] = "too_long"
    nationality = _nationality(errors, data.nationality)
    envelope_id, part = _photo(session, errors, data.photo_envelope_id, data.photo_part)
    if errors:
        raise Refused(errors)

    def fill(record: Person) -> None:
        record.gender = data.gender
        record.birth_date, record.birth_place, record.nationality = birth_date, birth_place, nationality
        record.photo_envelope_id, record.photo_part = envelope_id, part
        forms.write_known(session, record, data.description, data.exculpatory)
        record_names.replace_names(session, "person", record.id, names)
        session.execute(delete(PersonIdentifier).where(PersonIdentifier.person_id == record.id))
        session.add_all(PersonIdentifier(person_id=record.id, **identifier) for identifier in identifiers)

    return forms.save(session, actor, "person", person, Person, fill, lambda p: PersonInput.of(session, p))


@dataclass
class PersonRow:
    """One line of the persons list."""

    id: int
    caption: str
    names: list[str]
    birth_date: str | None


def persons_page(session: Session, query: str = "", page: int = 1) -> tuple[list[PersonRow], bool]:
    """One page of persons not merged into another (reviewer/records/lists.py) and whether another
    follows."""
    persons, captions, names, more = lists.named_page(session, Person, "person", query, page)
    return [PersonRow(p.id, captions[p.id], names.get(p.id, []), p.birth_date) for p in persons], more


@dataclass
class InvolvementRow:
    """A person's part in an act, as the person page lists it."""

    involvement: Involvement
    act: Act
    incident: Incident
    support: Support


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
    caption = record_names.person_captions(session, [person.id])[person.id]
    found = list(
        session.execute(
            select(Involvement, Act, Incident)
            .join(Act, Act.id == Involvement.act_id)
            .join(Incident, Incident.id == Act.incident_id)
            .where(Involvement.person_id == person.id)
            .order_by(Act.date_lo.desc(), Involvement.id)
        )
    )
    support = involvement_support(session, [involvement.id for involvement, _act, _incident in found])
    envelope = session.get(Envelope, person.photo_envelope_id) if person.photo_envelope_id else None
    return PersonView(
        person,
        caption,
        record_names.name_rows(session, "person", person.id),
        _identifiers(session, person),
        posts_of(session, person, caption),
        [
            InvolvementRow(involvement, act, incident, support.get(involvement.id, Support()))
            for involvement, act, incident in found
        ],
        record_names.merged_into_caption(session, "person", person.merged_into_id),
        envelope.submission_id if envelope is not None else None,
    )
