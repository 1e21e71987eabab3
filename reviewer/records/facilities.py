"""Places of detention (facilities) as a service, no Flask: the facility form's checks and save, the
facilities list and select, and what a facility page shows (its practices, with their corroboration, and
the acts recorded there).

A facility has names in Hangul and romanized, a kind (kwanliso, kyohwaso, kuryujang...), a managing
agency (MSS or MPS), an operating organization, a province and county, and coordinates when known.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.models import User
from reviewer.records import forms, lists, record_names, vocab
from reviewer.records.corroboration import Support, facility_practices
from reviewer.records.forms import NAME_MAX, Refused
from reviewer.records.models import Act, Facility, FacilityName, Incident, Organization

#: Acts listed on a facility page; the practices above them count every act.
FACILITY_ACT_LIMIT = 200


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
        return cls(
            names=[
                FacilityNameInput(n.name, n.style)
                for n in record_names.name_rows(session, "facility", facility.id)
            ],
            kind=facility.kind,
            agency=facility.agency,
            organization_id=str(facility.organization_id or ""),
            latitude="" if facility.latitude is None else repr(facility.latitude),
            longitude="" if facility.longitude is None else repr(facility.longitude),
            **forms.as_text(facility, "province", "county", "description", "exculpatory"),
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


def _names(errors: dict[str, str], rows: list[FacilityNameInput]) -> list[dict[str, str]]:
    names = []
    for index, row in enumerate(rows):
        name = " ".join(row.name.split())
        if not name:
            continue
        if len(name) > NAME_MAX or row.style not in vocab.NAME_STYLES:
            errors[f"name-{index}"] = "bad_name"
            continue
        names.append({"name": name, "style": row.style})
    if not names:
        errors.setdefault("names", "name_required")
    return names


def save_facility(
    session: Session, actor: User, data: FacilityInput, facility: Facility | None = None
) -> Facility:
    """Create or update a facility with its names; re-indexes them and audits. Raises :class:`Refused`."""
    errors: dict[str, str] = {}
    names = _names(errors, data.names)
    if data.kind not in vocab.FACILITY_KINDS:
        errors["kind"] = "bad_choice"
    if data.agency not in vocab.AGENCIES:
        errors["agency"] = "bad_choice"
    operator = None
    if data.organization_id.strip():
        operator = forms.by_id(session, Organization, data.organization_id)
        if operator is None:
            errors["organization_id"] = "bad_organization"
    province, county = forms.division(errors, data.province, data.county)
    latitude = _coordinate(errors, "latitude", data.latitude, 90.0)
    longitude = _coordinate(errors, "longitude", data.longitude, 180.0)
    if (latitude is None) != (longitude is None) and "latitude" not in errors and "longitude" not in errors:
        errors["longitude" if longitude is None else "latitude"] = "coordinates_pair"
    if errors:
        raise Refused(errors)

    def fill(record: Facility) -> None:
        record.kind = data.kind
        record.agency = data.agency
        record.organization_id = operator.id if operator is not None else None
        record.province, record.county = province, county
        record.latitude, record.longitude = latitude, longitude
        forms.write_known(session, record, data.description, data.exculpatory)
        record_names.replace_names(session, "facility", record.id, names)

    return forms.save(
        session, actor, "facility", facility, Facility, fill, lambda f: FacilityInput.of(session, f)
    )


@dataclass
class FacilityRow:
    """One line of the facilities list."""

    facility: Facility
    caption: str
    names: list[str]


def facilities_page(session: Session, query: str = "", page: int = 1) -> tuple[list[FacilityRow], bool]:
    """One page of facilities not merged into another (reviewer/records/lists.py) and whether another
    follows."""
    facilities, captions, names, more = lists.named_page(session, Facility, "facility", query, page)
    return [FacilityRow(f, captions[f.id], names.get(f.id, [])) for f in facilities], more


def facility_choices(session: Session, *, limit: int = 300) -> list[tuple[int, str]]:
    """(id, caption) of the facilities not merged, sorted by caption, for a select."""
    ids = list(
        session.scalars(
            select(Facility.id).where(Facility.merged_into_id.is_(None)).order_by(Facility.id).limit(limit)
        )
    )
    captions = record_names.facility_captions(session, ids)
    return sorted(captions.items(), key=lambda item: item[1])


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


def facility_view(session: Session, facility: Facility) -> FacilityView:
    """The facility page's content (see :class:`FacilityView`)."""
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
    return FacilityView(
        facility,
        record_names.facility_captions(session, [facility.id])[facility.id],
        record_names.name_rows(session, "facility", facility.id),
        operator,
        [(v, practices.get(v, Support())) for v in ordered],
        acts,
        record_names.merged_into_caption(session, "facility", facility.merged_into_id),
    )
