"""Records pages for persons, organizations (with their positions and who held them) and facilities, and
the records start page. Reviewers edit; the case team reads. The rules live in reviewer/records/entities.py.

Routes (all under ``/reviewer/records``)::

    GET       /                                   counts and links to every list
    GET       /persons  /organizations  /facilities     lists (?q= name filter, ?page=)
    GET|POST  /persons/new  /organizations/new  /facilities/new
    GET       /persons/<id>  /organizations/<id>  /facilities/<id>
    GET|POST  /persons/<id>/edit  /organizations/<id>/edit  /facilities/<id>/edit
    GET|POST  /organizations/<id>/positions/new   /positions/<id>/edit
    GET|POST  /persons/<id>/occupancies/new       a post the person held
    GET|POST  /positions/<id>/holders/new         the same, from the organization page
    GET|POST  /occupancies/<id>/edit
    POST      /occupancies/<id>/remove

A refused form comes back with HTTP 400, every value as typed and a translated message beside each field.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import db, divisions
from reviewer.access import requires
from reviewer.records import entities, vocab
from reviewer.records.blueprint import bp, division_label, get_or_404, page_number
from reviewer.records.entities import (
    FacilityInput,
    FacilityNameInput,
    IdentifierInput,
    NameInput,
    OccupancyInput,
    OrganizationInput,
    PersonInput,
    PositionInput,
    Refused,
)
from reviewer.records.models import Facility, Occupancy, Organization, Person, Position

READ = ("reviewer", "case_team")
#: Blank rows offered below the existing ones, so that names can be added without JavaScript.
BLANK_NAME_ROWS = 6
BLANK_IDENTIFIER_ROWS = 3
BLANK_FACILITY_NAME_ROWS = 4
#: Rows read back from a form at most (a form never has more than the existing ones and the blanks).
MAX_ROWS = 100

ERRORS = {
    "required": _l("This field is required."),
    "too_long": _l("This is too long."),
    "bad_choice": _l("Choose one of the options."),
    "bad_date": _l("Write a date as a year (1998), a month (1998-04) or a day (1998-04-17), from 1900 on."),
    "end_before_start": _l("The end is before the start."),
    "bad_name": _l("Check this name: its spelling style, and for an alias whether it is strong or weak."),
    "name_required": _l("Give at least one name that is not an alias."),
    "bad_identifier": _l("Check this identifier: its kind, and a two-letter country code such as kp."),
    "bad_country": _l("Write two-letter country codes separated by spaces, such as kp."),
    "bad_envelope": _l("There is no envelope with this number."),
    "bad_part": _l("Name the attachment inside the envelope (its file name)."),
    "bad_parent": _l("There is no such organization."),
    "cycle": _l("This organization cannot be placed under itself or under an organization below it."),
    "bad_province": _l("Choose a province from the list."),
    "bad_county": _l("Choose a city or county from the list."),
    "county_not_in_province": _l("This city or county is not in the province chosen."),
    "bad_organization": _l("There is no such organization."),
    "bad_coordinate": _l("Latitude is between -90 and 90, longitude between -180 and 180 (decimal degrees)."),
    "coordinates_pair": _l("Give both the latitude and the longitude, or neither."),
    "bad_person": _l("There is no such person (or the record was merged into another)."),
    "bad_position": _l("Choose a post from the list."),
}


# ---- Helpers --------------------------------------------------------------------------------------------


def _locale() -> str:
    return str(get_locale() or "ko")


def _url_if(endpoint: str, **values: Any) -> str | None:
    """The URL of ``endpoint``, or ``None`` while no module has added it (other records pages are written
    beside these)."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def _division_label(code: str | None) -> str:
    return division_label(code, _locale())


def _render(template: str, status: int = 200, **context: Any) -> Response:
    response = Response(
        render_template(
            f"reviewer/records/{template}",
            vocab=vocab,
            url_if=_url_if,
            division_label=_division_label,
            organization_caption=lambda o: entities.organization_caption(o, _locale()),
            can_edit=bool(g.user.is_reviewer),
            **context,
        ),
        status=status,
    )
    # Record pages name officials and places from testimony: not for shared caches.
    response.headers["Cache-Control"] = "no-store"
    return response


def _messages(refused: Refused) -> dict[str, str]:
    return {name: str(ERRORS.get(code, ERRORS["bad_choice"])) for name, code in refused.errors.items()}


def _division_choices() -> dict[str, Any]:
    locale = _locale()
    return {
        "provinces": [(p.code, p.name(locale)) for p in divisions.provinces()],
        "counties": divisions.choices(locale),
    }


def _rows(prefix: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    """Numbered rows of a form (``name-0-style`` ...), in order, while any of their fields is present."""
    rows = []
    for index in range(MAX_ROWS):
        keys = [f"{prefix}-{index}-{name}" for name in fields]
        if not any(key in request.form for key in keys):
            break
        rows.append({name: request.form.get(key, "") for name, key in zip(fields, keys, strict=True)})
    return rows


def _refuse_merged(record: Any, endpoint: str, **values: Any) -> Response | None:
    if record.merged_into_id is None:
        return None
    flash(_("This record was merged into another: change that one instead."))
    return redirect(url_for(endpoint, **values), code=303)


# ---- The records start page -----------------------------------------------------------------------------


@bp.get("/", endpoint="home")
@requires(*READ)
def home() -> Response:
    return _render("home.html", counts=entities.counts(db.session()))


# ---- Persons --------------------------------------------------------------------------------------------


def _person_form_data() -> PersonInput:
    form = request.form
    return PersonInput(
        names=[NameInput(**row) for row in _rows("name", ("name", "style", "kind", "quality", "lang"))],
        gender=form.get("gender", "unknown"),
        birth_date=form.get("birth_date", ""),
        birth_place=form.get("birth_place", ""),
        nationality=form.get("nationality", ""),
        identifiers=[IdentifierInput(**row) for row in _rows("identifier", ("kind", "value", "country"))],
        photo_envelope_id=form.get("photo_envelope_id", ""),
        photo_part=form.get("photo_part", ""),
        description=form.get("description", ""),
        exculpatory=form.get("exculpatory", ""),
    )


def _with_blanks(rows: list[Any], errors: dict[str, str], blank: Any, count: int) -> list[Any]:
    """The rows a form shows: after a refusal, every row as sent (so that messages keep their row);
    otherwise the filled rows. Then blank rows up to ``count``."""
    shown = list(rows) if errors else [row for row in rows if not row.is_blank()]
    missing = count - sum(1 for row in shown if row.is_blank())
    return shown + [blank() for _ in range(max(missing, 0))]


def _person_form(
    data: PersonInput, person: Person | None, errors: dict[str, str], status: int = 200
) -> Response:
    names = _with_blanks(data.names, errors, NameInput, BLANK_NAME_ROWS)
    identifiers = _with_blanks(data.identifiers, errors, IdentifierInput, BLANK_IDENTIFIER_ROWS)
    return _render(
        "person_form.html",
        status,
        data=data,
        names=names,
        identifiers=identifiers,
        person=person,
        errors=errors,
    )


@bp.get("/persons", endpoint="persons")
@requires(*READ)
def persons() -> Response:
    query = request.args.get("q", "")[:200]
    page = page_number()
    rows, more = entities.persons_page(db.session(), query, page)
    return _render("persons.html", rows=rows, query=query, page=page, more=more)


@bp.route("/persons/new", methods=["GET", "POST"], endpoint="person_new")
@requires("reviewer")
def person_new() -> Response:
    if request.method == "GET":
        return _person_form(PersonInput(), None, {})
    session = db.session()
    data = _person_form_data()
    try:
        person = entities.save_person(session, g.user, data)
    except Refused as refused:
        session.rollback()
        return _person_form(data, None, _messages(refused), 400)
    session.commit()
    flash(_("The person was saved."))
    return redirect(url_for(".person", person_id=person.id), code=303)


@bp.get("/persons/<int:person_id>", endpoint="person")
@requires(*READ)
def person(person_id: int) -> Response:
    session = db.session()
    record = get_or_404(session, Person, person_id)
    view = entities.person_view(session, record)
    editable = g.user.is_reviewer and record.merged_into_id is None
    return _render(
        "person.html",
        view=view,
        kind="person",
        record=record,
        position_groups=entities.position_choices(session) if editable else [],
        new_occupancy=OccupancyInput(person_id=str(person_id)),
    )


@bp.route("/persons/<int:person_id>/edit", methods=["GET", "POST"], endpoint="person_edit")
@requires("reviewer")
def person_edit(person_id: int) -> Response:
    session = db.session()
    record = get_or_404(session, Person, person_id)
    merged = _refuse_merged(record, ".person", person_id=person_id)
    if merged is not None:
        return merged
    if request.method == "GET":
        return _person_form(PersonInput.of(session, record), record, {})
    data = _person_form_data()
    try:
        entities.save_person(session, g.user, data, record)
    except Refused as refused:
        session.rollback()
        return _person_form(data, session.get(Person, person_id), _messages(refused), 400)
    session.commit()
    flash(_("The person was saved."))
    return redirect(url_for(".person", person_id=person_id), code=303)


# ---- Occupancies ----------------------------------------------------------------------------------------


def _occupancy_form_data() -> OccupancyInput:
    form = request.form
    return OccupancyInput(
        person_id=form.get("person_id", ""),
        position_id=form.get("position_id", ""),
        start=form.get("start", ""),
        end=form.get("end", ""),
    )


def _occupancy_form(
    data: OccupancyInput,
    action: str,
    errors: dict[str, str],
    status: int = 200,
    *,
    person: Person | None = None,
    position: Position | None = None,
    occupancy: Occupancy | None = None,
) -> Response:
    session = db.session()
    return _render(
        "occupancy_form.html",
        status,
        data=data,
        action=action,
        errors=errors,
        person=person,
        person_caption=entities.person_caption(person) if person is not None else None,
        position=position,
        position_organization=session.get(Organization, position.organization_id) if position else None,
        position_groups=entities.position_choices(session) if position is None else [],
        occupancy=occupancy,
    )


def _save_occupancy(data: OccupancyInput, back: str, **form_context: Any) -> Response:
    """Save the occupancy (``form_context["occupancy"]`` when editing), or show the form again."""
    session = db.session()
    try:
        saved = entities.save_occupancy(session, g.user, data, form_context.get("occupancy"))
    except Refused as refused:
        session.rollback()
        return _occupancy_form(data, request.path, _messages(refused), 400, **form_context)
    session.commit()
    flash(_("The post held was saved."))
    if back == "organization":
        position = session.get(Position, saved.position_id)
        assert position is not None
        return redirect(url_for(".organization", organization_id=position.organization_id), code=303)
    return redirect(url_for(".person", person_id=saved.person_id), code=303)


@bp.route("/persons/<int:person_id>/occupancies/new", methods=["GET", "POST"], endpoint="occupancy_new")
@requires("reviewer")
def occupancy_new(person_id: int) -> Response:
    session = db.session()
    record = get_or_404(session, Person, person_id)
    merged = _refuse_merged(record, ".person", person_id=person_id)
    if merged is not None:
        return merged
    if request.method == "GET":
        data = OccupancyInput(person_id=str(person_id), position_id=request.args.get("position_id", ""))
        return _occupancy_form(data, request.path, {}, person=record)
    data = _occupancy_form_data()
    data.person_id = str(person_id)
    return _save_occupancy(data, "person", person=record)


@bp.route("/positions/<int:position_id>/holders/new", methods=["GET", "POST"], endpoint="holder_new")
@requires("reviewer")
def holder_new(position_id: int) -> Response:
    session = db.session()
    position = get_or_404(session, Position, position_id)
    if request.method == "GET":
        return _occupancy_form(
            OccupancyInput(position_id=str(position_id)), request.path, {}, position=position
        )
    data = _occupancy_form_data()
    data.position_id = str(position_id)
    return _save_occupancy(data, "organization", position=position)


@bp.route("/occupancies/<int:occupancy_id>/edit", methods=["GET", "POST"], endpoint="occupancy_edit")
@requires("reviewer")
def occupancy_edit(occupancy_id: int) -> Response:
    session = db.session()
    occupancy = get_or_404(session, Occupancy, occupancy_id)
    holder = session.get(Person, occupancy.person_id)
    if request.method == "GET":
        return _occupancy_form(
            OccupancyInput.of(occupancy), request.path, {}, person=holder, occupancy=occupancy
        )
    data = _occupancy_form_data()
    data.person_id = str(occupancy.person_id)
    return _save_occupancy(data, "person", person=holder, occupancy=occupancy)


@bp.post("/occupancies/<int:occupancy_id>/remove", endpoint="occupancy_remove")
@requires("reviewer")
def occupancy_remove(occupancy_id: int) -> Response:
    session = db.session()
    occupancy = get_or_404(session, Occupancy, occupancy_id)
    person_id = occupancy.person_id
    entities.remove_occupancy(session, g.user, occupancy)
    session.commit()
    flash(_("The post held was removed."))
    return redirect(url_for(".person", person_id=person_id), code=303)


# ---- Organizations and positions ------------------------------------------------------------------------


def _organization_form_data() -> OrganizationInput:
    form = request.form
    return OrganizationInput(
        **{name: form.get(name, "") for name in ("name_ko", "name_en", "parent_id", "province", "county")},
        kind=form.get("kind", "bureau"),
        description=form.get("description", ""),
        exculpatory=form.get("exculpatory", ""),
    )


def _organization_form(
    data: OrganizationInput, organization: Organization | None, errors: dict[str, str], status: int = 200
) -> Response:
    return _render(
        "organization_form.html",
        status,
        data=data,
        organization=organization,
        errors=errors,
        parents=entities.organization_choices(db.session(), exclude=organization),
        **_division_choices(),
    )


@bp.get("/organizations", endpoint="organizations")
@requires(*READ)
def organizations() -> Response:
    query = request.args.get("q", "")[:200]
    page = page_number()
    session = db.session()
    rows, more = entities.organizations_page(session, query, page)
    parents = entities.organizations_by_id(session, [row.parent_id for row in rows])
    return _render("organizations.html", rows=rows, parents=parents, query=query, page=page, more=more)


@bp.route("/organizations/new", methods=["GET", "POST"], endpoint="organization_new")
@requires("reviewer")
def organization_new() -> Response:
    if request.method == "GET":
        return _organization_form(OrganizationInput(parent_id=request.args.get("parent_id", "")), None, {})
    session = db.session()
    data = _organization_form_data()
    try:
        organization = entities.save_organization(session, g.user, data)
    except Refused as refused:
        session.rollback()
        return _organization_form(data, None, _messages(refused), 400)
    session.commit()
    flash(_("The organization was saved."))
    return redirect(url_for(".organization", organization_id=organization.id), code=303)


@bp.get("/organizations/<int:organization_id>", endpoint="organization")
@requires(*READ)
def organization(organization_id: int) -> Response:
    session = db.session()
    record = get_or_404(session, Organization, organization_id)
    return _render(
        "organization.html",
        view=entities.organization_view(session, record),
        kind="organization",
        record=record,
        new_position=PositionInput(),
    )


@bp.route("/organizations/<int:organization_id>/edit", methods=["GET", "POST"], endpoint="organization_edit")
@requires("reviewer")
def organization_edit(organization_id: int) -> Response:
    session = db.session()
    record = get_or_404(session, Organization, organization_id)
    if request.method == "GET":
        return _organization_form(OrganizationInput.of(record), record, {})
    data = _organization_form_data()
    try:
        entities.save_organization(session, g.user, data, record)
    except Refused as refused:
        session.rollback()
        return _organization_form(data, session.get(Organization, organization_id), _messages(refused), 400)
    session.commit()
    flash(_("The organization was saved."))
    return redirect(url_for(".organization", organization_id=organization_id), code=303)


def _position_form_data() -> PositionInput:
    return PositionInput(
        title_ko=request.form.get("title_ko", ""),
        title_en=request.form.get("title_en", ""),
        is_head=request.form.get("is_head") == "yes",
    )


def _position_form(
    data: PositionInput,
    organization: Organization,
    position: Position | None,
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return _render(
        "position_form.html", status, data=data, organization=organization, position=position, errors=errors
    )


@bp.route(
    "/organizations/<int:organization_id>/positions/new", methods=["GET", "POST"], endpoint="position_new"
)
@requires("reviewer")
def position_new(organization_id: int) -> Response:
    session = db.session()
    record = get_or_404(session, Organization, organization_id)
    if request.method == "GET":
        return _position_form(PositionInput(), record, None, {})
    data = _position_form_data()
    try:
        entities.save_position(session, g.user, record, data)
    except Refused as refused:
        session.rollback()
        return _position_form(data, session.get(Organization, organization_id), None, _messages(refused), 400)
    session.commit()
    flash(_("The post was saved."))
    return redirect(url_for(".organization", organization_id=organization_id), code=303)


@bp.route("/positions/<int:position_id>/edit", methods=["GET", "POST"], endpoint="position_edit")
@requires("reviewer")
def position_edit(position_id: int) -> Response:
    session = db.session()
    position = get_or_404(session, Position, position_id)
    record = session.get(Organization, position.organization_id)
    if request.method == "GET":
        return _position_form(PositionInput.of(position), record, position, {})
    data = _position_form_data()
    try:
        entities.save_position(session, g.user, record, data, position)
    except Refused as refused:
        session.rollback()
        position = session.get(Position, position_id)
        record = session.get(Organization, position.organization_id)
        return _position_form(data, record, position, _messages(refused), 400)
    session.commit()
    flash(_("The post was saved."))
    return redirect(url_for(".organization", organization_id=position.organization_id), code=303)


# ---- Facilities -----------------------------------------------------------------------------------------


def _facility_form_data() -> FacilityInput:
    form = request.form
    fields = ("organization_id", "province", "county", "latitude", "longitude", "description", "exculpatory")
    return FacilityInput(
        names=[FacilityNameInput(**row) for row in _rows("name", ("name", "style"))],
        kind=form.get("kind", ""),
        agency=form.get("agency", ""),
        **{name: form.get(name, "") for name in fields},
    )


def _facility_form(
    data: FacilityInput, facility: Facility | None, errors: dict[str, str], status: int = 200
) -> Response:
    names = _with_blanks(data.names, errors, FacilityNameInput, BLANK_FACILITY_NAME_ROWS)
    return _render(
        "facility_form.html",
        status,
        data=data,
        names=names,
        facility=facility,
        errors=errors,
        operators=entities.organization_choices(db.session()),
        **_division_choices(),
    )


@bp.get("/facilities", endpoint="facilities")
@requires(*READ)
def facilities() -> Response:
    query = request.args.get("q", "")[:200]
    page = page_number()
    rows, more = entities.facilities_page(db.session(), query, page)
    return _render("facilities.html", rows=rows, query=query, page=page, more=more)


@bp.route("/facilities/new", methods=["GET", "POST"], endpoint="facility_new")
@requires("reviewer")
def facility_new() -> Response:
    if request.method == "GET":
        return _facility_form(FacilityInput(), None, {})
    session = db.session()
    data = _facility_form_data()
    try:
        facility = entities.save_facility(session, g.user, data)
    except Refused as refused:
        session.rollback()
        return _facility_form(data, None, _messages(refused), 400)
    session.commit()
    flash(_("The facility was saved."))
    return redirect(url_for(".facility", facility_id=facility.id), code=303)


@bp.get("/facilities/<int:facility_id>", endpoint="facility")
@requires(*READ)
def facility(facility_id: int) -> Response:
    session = db.session()
    record = get_or_404(session, Facility, facility_id)
    return _render(
        "facility.html", view=entities.facility_view(session, record), kind="facility", record=record
    )


@bp.route("/facilities/<int:facility_id>/edit", methods=["GET", "POST"], endpoint="facility_edit")
@requires("reviewer")
def facility_edit(facility_id: int) -> Response:
    session = db.session()
    record = get_or_404(session, Facility, facility_id)
    merged = _refuse_merged(record, ".facility", facility_id=facility_id)
    if merged is not None:
        return merged
    if request.method == "GET":
        return _facility_form(FacilityInput.of(session, record), record, {})
    data = _facility_form_data()
    try:
        entities.save_facility(session, g.user, data, record)
    except Refused as refused:
        session.rollback()
        return _facility_form(data, session.get(Facility, facility_id), _messages(refused), 400)
    session.commit()
    flash(_("The facility was saved."))
    return redirect(url_for(".facility", facility_id=facility_id), code=303)
