"""Each row of an Uwazi layout file made into a record through the service its web form uses, so that it is
checked, indexed for search and audited like a record a reviewer typed: an organization, a person, a post
held (its post found or made), a facility, an incident, an act, an involvement.

A row reads its cells through :class:`RowCells`, which notes every cell that does not read instead of
stopping at the first; a row with a problem is not handed to the service. A row whose ``sori_id`` this Sori
already knows (its own record, or one imported before) is not made again: its links point to that record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.models import User
from reviewer.records import events, involvements, origins
from reviewer.records.events import RecordError
from reviewer.records.facilities import FacilityInput, FacilityNameInput, save_facility
from reviewer.records.forms import Refused
from reviewer.records.models import Act, Incident, Organization, Position
from reviewer.records.organizations import OrganizationInput, save_organization
from reviewer.records.persons import IdentifierInput, NameInput, PersonInput, save_person
from reviewer.records.posts import OccupancyInput, PositionInput, save_occupancy, save_position
from reviewer.records.uwazi import cells, layout, thesauri
from reviewer.records.uwazi.layout import IDENTIFIER_COLUMNS, NAME_COLUMNS
from reviewer.records.uwazi.sheets import Problem, Row, Sheet
from reviewer.records.uwazi.writer import strip_sori_id


class _RowRefused(Exception):
    """The row's cells had problems: the row is not handed to a service."""


@dataclass
class Made:
    """What an import made so far: record ids by file and row, and what was new or already there."""

    ids: dict[str, dict[int, int]] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)
    present: dict[str, int] = field(default_factory=dict)
    positions: dict[tuple, int] = field(default_factory=dict)
    #: The ``sori_id`` of the folder's rows this Sori already knows: (kind, record id) (origins.known).
    known: dict[str, tuple[str, int]] = field(default_factory=dict)


class RowCells:
    """The cells of one row, read as their columns' types; problems are noted, not raised. Remarks are
    what the import says about a row without refusing it."""

    def __init__(self, sheets: dict[str, Sheet], made: Made, sheet: Sheet, row: Row) -> None:
        self.sheets, self.made, self.sheet, self.row = sheets, made, sheet, row
        self.problems: list[Problem] = []
        self.remarks: list[Problem] = []

    def note(self, code: str, **params: object) -> None:
        self.problems.append(Problem(self.sheet.template.file, self.row.line, code, params))

    def remark(self, code: str, **params: object) -> None:
        self.remarks.append(Problem(self.sheet.template.file, self.row.line, code, params))

    def check(self) -> None:
        """Stop here if any cell had a problem."""
        if self.problems:
            raise _RowRefused

    def text(self, column: str) -> str:
        return self.row.text(column)

    def lines(self, column: str) -> list[str]:
        return cells.read_lines(cells.plain(self.row.cells.get(column, "")))

    def choice(self, column: str, default: str = "") -> str:
        """The code of a select's label; ``default`` when the cell is empty."""
        text = self.text(column)
        if not text:
            return default
        if cells.SEPARATOR in text:
            self.note("one_value", column=column)
            return ""
        return self._code(column, text)

    def choices(self, column: str) -> list[str]:
        return [self._code(column, text) for text in cells.read_multi(self.text(column))]

    def _code(self, column: str, text: str) -> str:
        code = thesauri.code_of(self.sheet.template.column(column).thesaurus or "", text)
        if code is None:
            self.note("choice", column=column, value=text)
        return code or ""

    def partial_date(self, column: str) -> str:
        try:
            return cells.read_partial_date(self.text(column)) or ""
        except cells.CellError as exc:
            self.note(exc.code, column=column)
            return ""

    def number(self, column: str) -> str:
        text = self.text(column)
        if text and not text.isdecimal():
            self.note("number", column=column)
        return text

    def link(self, column: str, *, required: bool = False) -> int | None:
        """The id of the record a one-valued link names (made earlier in this import, or already here)."""
        titles = self.row.links(column)
        if len(titles) > 1:
            self.note("one_value", column=column)
        if not titles:
            if required:
                self.note("required", column=column)
            return None
        target = self.sheet.template.column(column).target or ""
        index = self.sheets[target].titles[titles[0]]
        found = self.made.ids.get(target, {}).get(index)
        if found is None:
            line = self.sheets[target].rows[index].line
            self.note("depends", column=column, file=target, other=line)
        return found


def make_row(session: Session, actor: User, cells_of: RowCells, index: int) -> None:
    """Make the record of one row (or find it by its ``sori_id``); problems go to ``cells_of.problems``."""
    sheet, made = cells_of.sheet, cells_of.made
    kind, file = sheet.template.kind or "", sheet.template.file
    sori_id = cells_of.text("sori_id")
    if len(sori_id) > origins.SORI_ID_MAX:
        cells_of.note("sori_id_long")
        return
    if sori_id:
        found = made.known.get(sori_id)
        if found is not None and found[0] == kind:
            made.ids.setdefault(file, {})[index] = found[1]
            made.present[file] = made.present.get(file, 0) + 1
            return
        if found is not None or origins.is_own(session, sori_id):
            cells_of.note("sori_id_missing", sori_id=sori_id)
            return
    try:
        record_id = MAKERS[file](session, actor, cells_of)
    except _RowRefused:
        return
    except Refused as exc:
        for name, code in exc.errors.items():
            cells_of.note("refused", column=name or file, rule=code)
        return
    except RecordError as exc:
        cells_of.note("refused", column=exc.code, rule=exc.code)
        return
    made.ids.setdefault(file, {})[index] = record_id
    made.created[file] = made.created.get(file, 0) + 1
    if sori_id:
        origins.remember(session, kind, record_id, sori_id)


def _organization(session: Session, actor: User, c: RowCells) -> int:
    sori_id = c.text("sori_id")
    name_ko = strip_sori_id(c.text("title__ko") or c.text("title__en") or c.text("title"), sori_id)
    name_en = strip_sori_id(c.text("title__en"), sori_id)
    parent = c.link("parent_organization")
    data = OrganizationInput(
        name_ko=name_ko,
        name_en="" if name_en == name_ko else name_en,
        kind=c.choice("organization_kind"),
        parent_id=str(parent or ""),
        province=c.choice("province"),
        county=c.choice("county"),
        description=c.text("description"),
        exculpatory=c.text("exculpatory_information"),
    )
    c.check()
    return save_organization(session, actor, data).id


def _names(c: RowCells) -> list[tuple[str, str]]:
    return [(name, style) for style, column in NAME_COLUMNS.items() for name in c.lines(column.name)]


def _person(session: Session, actor: User, c: RowCells) -> int:
    names = [NameInput(name, style) for name, style in _names(c)]
    for column, quality in (("aliases", "strong"), ("weak_aliases", "weak")):
        names += [NameInput(name, _style_of(name), "alias", quality) for name in c.lines(column)]
    identifiers = [
        IdentifierInput(kind, *cells.read_identifier(line))
        for kind, column in IDENTIFIER_COLUMNS.items()
        for line in c.lines(column.name)
    ]
    data = PersonInput(
        names=names,
        gender=c.choice("gender", "unknown"),
        birth_date=c.partial_date("birth_date"),
        birth_place=c.text("birth_place"),
        nationality=" ".join(c.choices("nationality")),
        identifiers=identifiers,
        description=c.text("description"),
        exculpatory=c.text("exculpatory_information"),
    )
    c.check()
    return save_person(session, actor, data).id


def _style_of(name: str) -> str:
    """An alias's spelling style, which the layout does not carry: Hangul if it has any, else other."""
    return "hangul" if any("\uac00" <= char <= "\ud7a3" for char in name) else "other"


def _post(session: Session, actor: User, c: RowCells) -> int:
    person, organization_id = c.link("held_by", required=True), c.link("organization", required=True)
    title_ko, title_en = c.text("post_title__ko"), c.text("post_title__en")
    is_head = c.choice("post_kind", "post") == "head"
    start, end = c.partial_date("held_from"), c.partial_date("held_until")
    c.check()
    key = (organization_id, title_ko, title_en or None, is_head)
    if key not in c.made.positions:
        found = session.scalars(
            select(Position.id)
            .where(
                Position.organization_id == organization_id,
                Position.title_ko == title_ko,
                Position.title_en.is_(None) if not title_en else Position.title_en == title_en,
                Position.is_head == is_head,
            )
            .order_by(Position.id)
        ).first()
        if found is None:
            organization = session.get(Organization, organization_id)
            found = save_position(session, actor, organization, PositionInput(title_ko, title_en, is_head)).id
        c.made.positions[key] = found
    data = OccupancyInput(str(person), str(c.made.positions[key]), start, end)
    return save_occupancy(session, actor, data).id


def _facility(session: Session, actor: User, c: RowCells) -> int:
    operator = c.link("operated_by")
    try:
        latitude, longitude = cells.read_coordinates(c.text("coordinates_geolocation"))
    except cells.CellError as exc:
        c.note(exc.code, column="coordinates_geolocation")
        latitude = longitude = ""
    data = FacilityInput(
        names=[FacilityNameInput(name, style) for name, style in _names(c)],
        kind=c.choice("facility_kind"),
        agency=c.choice("managing_agency"),
        organization_id=str(operator or ""),
        province=c.choice("province"),
        county=c.choice("county"),
        latitude=latitude,
        longitude=longitude,
        description=c.text("description"),
        exculpatory=c.text("exculpatory_information"),
    )
    c.check()
    return save_facility(session, actor, data).id


def _incident(session: Session, actor: User, c: RowCells) -> int:
    title = strip_sori_id(c.text("title"), c.text("sori_id"))
    return events.create_incident(session, actor, title=title, summary=c.text("summary")).id


def _act(session: Session, actor: User, c: RowCells) -> int:
    incident = c.link("incident", required=True)
    recorded = c.text("date_as_recorded")
    try:
        start, end = cells.read_period(c.text("date"), recorded)
    except cells.CellError as exc:
        c.note(exc.code, column="date")
        start = end = None
    if recorded and start is not None and cells.as_recorded(start, end) != recorded:
        c.remark("wording", column="date_as_recorded", value=recorded)
    form = {
        "violation": c.choice("violation"),
        "date_start": start or "",
        "date_end": end or "",
        "facility_id": str(c.link("place_of_detention") or ""),
        "province": c.choice("province"),
        "county": c.choice("county"),
        "place": c.text("place"),
        "victims": c.text("victims"),
        "victim_count": c.number("number_of_victims"),
        "description": c.text("description"),
    }
    c.check()
    return events.create_act(session, actor, session.get(Incident, incident), form).id


def _involvement(session: Session, actor: User, c: RowCells) -> int:
    act_id, person = c.link("act", required=True), c.link("person", required=True)
    degree, confidence = c.choice("degree_of_involvement"), c.choice("confidence")
    c.check()
    act = session.get(Act, act_id)
    return involvements.add_involvement(
        session,
        actor,
        act,
        person,
        degree=degree,
        confidence=confidence,
        exculpatory=c.text("exculpatory_information"),
    ).id


MAKERS: dict[str, Callable[[Session, User, RowCells], int]] = {
    layout.ORGANIZATIONS.file: _organization,
    layout.PERSONS.file: _person,
    layout.POSTS.file: _post,
    layout.FACILITIES.file: _facility,
    layout.INCIDENTS.file: _incident,
    layout.ACTS.file: _act,
    layout.INVOLVEMENTS.file: _involvement,
}
