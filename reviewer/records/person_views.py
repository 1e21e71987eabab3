"""Records pages of persons and of the posts they held (occupancies). Reviewers edit; the case team reads.
The rules live in reviewer/records/persons.py and reviewer/records/posts.py.

Routes (all under ``/reviewer/records``)::

    GET       /persons                            list (?q= name filter, ?page=)
    GET|POST  /persons/new
    GET       /persons/<id>
    GET|POST  /persons/<id>/edit
    GET|POST  /persons/<id>/occupancies/new       a post the person held
    GET|POST  /positions/<id>/holders/new         the same, from the organization page
    GET|POST  /occupancies/<id>/edit
    POST      /occupancies/<id>/remove
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Response, g, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import db
from reviewer.access import requires
from reviewer.records import pages, persons, posts, record_names
from reviewer.records.blueprint import bp, get_or_404
from reviewer.records.models import Occupancy, Organization, Person, Position
from reviewer.records.persons import IdentifierInput, NameInput, PersonInput
from reviewer.records.pictures import figures
from reviewer.records.posts import OccupancyInput

#: Blank rows offered below the existing ones.
BLANK_NAME_ROWS = 6
BLANK_IDENTIFIER_ROWS = 3


# ---- Persons --------------------------------------------------------------------------------------------


def _person_form_data() -> PersonInput:
    form = request.form
    return PersonInput(
        names=[
            NameInput(**row) for row in pages.form_rows("name", ("name", "style", "kind", "quality", "lang"))
        ],
        gender=form.get("gender", "unknown"),
        identifiers=[
            IdentifierInput(**row) for row in pages.form_rows("identifier", ("kind", "value", "country"))
        ],
        **{
            name: form.get(name, "")
            for name in (
                "birth_date",
                "birth_place",
                "nationality",
                "photo_envelope_id",
                "photo_part",
                "description",
                "exculpatory",
            )
        },
    )


def _person_form(data: PersonInput, _person: Person | None, errors: dict[str, str]) -> dict[str, Any]:
    return {
        "names": pages.with_blanks(data.names, errors, NameInput, BLANK_NAME_ROWS),
        "identifiers": pages.with_blanks(data.identifiers, errors, IdentifierInput, BLANK_IDENTIFIER_ROWS),
    }


FORM = pages.RecordForm(
    kind="person",
    model=Person,
    read=_person_form_data,
    stored=PersonInput.of,
    template="person_form.html",
    context=_person_form,
    save=persons.save_person,
    saved=_l("The person was saved."),
)


@bp.get("/persons", endpoint="persons")
@requires(*pages.READ)
def persons_list() -> Response:
    return pages.list_page("persons.html", persons.persons_page)


@bp.route("/persons/new", methods=["GET", "POST"], endpoint="person_new")
@requires("reviewer")
def person_new() -> Response:
    return FORM.new_page(PersonInput())


@bp.get("/persons/<int:person_id>", endpoint="person")
@requires(*pages.READ)
def person(person_id: int) -> Response:
    session = db.session()
    record = get_or_404(session, Person, person_id)
    editable = g.user.is_reviewer and record.merged_into_id is None
    view = persons.person_view(session, record)
    return pages.render(
        "person.html",
        view=view,
        timeline=figures.person_timeline(session, person_id, view.caption),
        kind="person",
        record=record,
        position_groups=posts.position_choices(session) if editable else [],
        new_occupancy=OccupancyInput(person_id=str(person_id)),
    )


@bp.route("/persons/<int:person_id>/edit", methods=["GET", "POST"], endpoint="person_edit")
@requires("reviewer")
def person_edit(person_id: int) -> Response:
    return FORM.edit_page(person_id)


# ---- Posts held -----------------------------------------------------------------------------------------


def _occupancy_form_data() -> OccupancyInput:
    return OccupancyInput(
        **{name: request.form.get(name, "") for name in ("person_id", "position_id", "start", "end")}
    )


def _occupancy_form(
    data: OccupancyInput,
    errors: dict[str, str],
    status: int = 200,
    *,
    person: Person | None = None,
    position: Position | None = None,
    occupancy: Occupancy | None = None,
) -> Response:
    session = db.session()
    return pages.render(
        "occupancy_form.html",
        status,
        data=data,
        action=request.path,
        errors=errors,
        person=person,
        person_caption=record_names.caption_of(person) if person is not None else None,
        position=position,
        position_organization=session.get(Organization, position.organization_id) if position else None,
        position_groups=posts.position_choices(session) if position is None else [],
        occupancy=occupancy,
    )


def _occupancy_page(shown: OccupancyInput, fixed: dict[str, str], back: str, **form_context: Any) -> Response:
    """GET: the form filled with ``shown``. POST: save the occupancy as sent, with the ``fixed`` fields
    set by the page (``form_context["occupancy"]`` when editing), or show the form again; then back to the
    ``person`` page or the post's ``organization`` page."""
    if request.method == "GET":
        return _occupancy_form(shown, {}, **form_context)
    session = db.session()
    data = replace(_occupancy_form_data(), **fixed)

    def page_after(saved: Occupancy) -> str:
        if back == "organization":
            position = session.get(Position, saved.position_id)
            assert position is not None
            return url_for(".organization", organization_id=position.organization_id)
        return url_for(".person", person_id=saved.person_id)

    return pages.save_form(
        lambda: posts.save_occupancy(session, g.user, data, form_context.get("occupancy")),
        lambda errors: _occupancy_form(data, errors, 400, **form_context),
        _("The post held was saved."),
        page_after,
    )


@bp.route("/persons/<int:person_id>/occupancies/new", methods=["GET", "POST"], endpoint="occupancy_new")
@requires("reviewer")
def occupancy_new(person_id: int) -> Response:
    record = get_or_404(db.session(), Person, person_id)
    merged = pages.refuse_merged(record, url_for(".person", person_id=person_id))
    if merged is not None:
        return merged
    shown = OccupancyInput(person_id=str(person_id), position_id=request.args.get("position_id", ""))
    return _occupancy_page(shown, {"person_id": str(person_id)}, "person", person=record)


@bp.route("/positions/<int:position_id>/holders/new", methods=["GET", "POST"], endpoint="holder_new")
@requires("reviewer")
def holder_new(position_id: int) -> Response:
    position = get_or_404(db.session(), Position, position_id)
    shown = OccupancyInput(position_id=str(position_id))
    return _occupancy_page(shown, {"position_id": str(position_id)}, "organization", position=position)


@bp.route("/occupancies/<int:occupancy_id>/edit", methods=["GET", "POST"], endpoint="occupancy_edit")
@requires("reviewer")
def occupancy_edit(occupancy_id: int) -> Response:
    session = db.session()
    occupancy = get_or_404(session, Occupancy, occupancy_id)
    holder = session.get(Person, occupancy.person_id)
    fixed = {"person_id": str(occupancy.person_id)}
    return _occupancy_page(OccupancyInput.of(occupancy), fixed, "person", person=holder, occupancy=occupancy)


@bp.post("/occupancies/<int:occupancy_id>/remove", endpoint="occupancy_remove")
@requires("reviewer")
def occupancy_remove(occupancy_id: int) -> Response:
    return pages.remove_page(
        Occupancy,
        occupancy_id,
        posts.remove_occupancy,
        _("The post held was removed."),
        lambda occupancy: url_for(".person", person_id=occupancy.person_id),
    )
