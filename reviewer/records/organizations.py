"""Organizations (ministries, bureaus, units) with their parents, as a service, no Flask: the organization
form's checks and save, the organizations list, the choices of a parent or an operator, and what an
organization page shows (the chain upward, the organizations below, each post's holders).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.models import User
from reviewer.records import forms, lists, name_index, record_names, vocab
from reviewer.records.forms import NAME_MAX, Refused
from reviewer.records.models import Occupancy, Organization, Position
from reviewer.records.posts import PostRow
from reviewer.records.tree import OrganizationTree


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
            kind=organization.kind,
            parent_id=str(organization.parent_id or ""),
            **forms.as_text(organization, "name_en", "province", "county", "description", "exculpatory"),
        )


def save_organization(
    session: Session, actor: User, data: OrganizationInput, organization: Organization | None = None
) -> Organization:
    """Create or update an organization; refuses a parent that does not exist or would put the
    organization above itself. Re-indexes its names and audits. Raises :class:`Refused`."""
    errors: dict[str, str] = {}
    name_ko, name_en = forms.ko_en(errors, "name", data.name_ko, data.name_en, NAME_MAX)
    if data.kind not in vocab.ORGANIZATION_KINDS:
        errors["kind"] = "bad_choice"
    parent = None
    if data.parent_id.strip():
        parent = forms.by_id(session, Organization, data.parent_id)
        if parent is None:
            errors["parent_id"] = "bad_parent"
        elif organization is not None and organization.id in {
            parent.id,
            *(above.id for above in OrganizationTree.load(session).above(parent.id)),
        }:
            errors["parent_id"] = "cycle"
    province, county = forms.division(errors, data.province, data.county)
    if errors:
        raise Refused(errors)

    def fill(record: Organization) -> None:
        record.name_ko = name_ko  # type: ignore[assignment]
        record.name_en = name_en
        record.kind = data.kind
        record.parent_id = parent.id if parent is not None else None
        record.province = province
        record.county = county
        forms.write_known(session, record, data.description, data.exculpatory)
        name_index.reindex(session, "organization", record.id, [n for n in (name_ko, name_en) if n])

    return forms.save(session, actor, "organization", organization, Organization, fill, OrganizationInput.of)


def organizations_page(session: Session, query: str = "", page: int = 1) -> tuple[list[Organization], bool]:
    """One page of organizations (reviewer/records/lists.py) and whether another follows."""
    return lists.page_of(session, select(Organization), Organization, "organization", query, page)


def organizations_by_id(session: Session, ids: Sequence[int | None]) -> dict[int, Organization]:
    """The organizations with these ids (``None`` ignored), by id."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(wanted)))}


def organization_choices(session: Session, exclude: Organization | None = None) -> list[Organization]:
    """Organizations a form may pick as a parent or operator, by Korean name (without ``exclude`` and the
    organizations below it, which would make a loop)."""
    everything = list(session.scalars(select(Organization).order_by(Organization.name_ko, Organization.id)))
    if exclude is None:
        return everything
    left_out = {exclude.id, *OrganizationTree(everything).below(exclude.id)}
    return [organization for organization in everything if organization.id not in left_out]


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
    captions = record_names.person_captions(session, [o.person_id for o in occupancies])
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
    parent_chain = OrganizationTree.load(session).above(organization.id)
    return OrganizationView(organization, parent_chain, children, views)
