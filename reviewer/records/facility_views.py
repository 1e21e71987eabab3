"""Records pages of places of detention (facilities). Reviewers edit; the case team reads. The rules live in
reviewer/records/facilities.py.

Routes (all under ``/reviewer/records``)::

    GET       /facilities                  list (?q= name filter, ?page=)
    GET|POST  /facilities/new
    GET       /facilities/<id>
    GET|POST  /facilities/<id>/edit
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import db
from reviewer.access import requires
from reviewer.records import facilities, organizations, pages
from reviewer.records.blueprint import bp, get_or_404
from reviewer.records.facilities import FacilityInput, FacilityNameInput
from reviewer.records.models import Facility
from reviewer.records.pictures import figures

#: Blank name rows offered below the existing ones.
BLANK_NAME_ROWS = 4
_FIELDS = ("organization_id", "province", "county", "latitude", "longitude", "description", "exculpatory")


def _facility_form_data() -> FacilityInput:
    form = request.form
    return FacilityInput(
        names=[FacilityNameInput(**row) for row in pages.form_rows("name", ("name", "style"))],
        kind=form.get("kind", ""),
        agency=form.get("agency", ""),
        **{name: form.get(name, "") for name in _FIELDS},
    )


def _facility_form(data: FacilityInput, _facility: Facility | None, errors: dict[str, str]) -> dict[str, Any]:
    return {
        "names": pages.with_blanks(data.names, errors, FacilityNameInput, BLANK_NAME_ROWS),
        "operators": organizations.organization_choices(db.session()),
        **pages.division_choices(),
    }


FORM = pages.RecordForm(
    kind="facility",
    model=Facility,
    read=_facility_form_data,
    stored=FacilityInput.of,
    template="facility_form.html",
    context=_facility_form,
    save=facilities.save_facility,
    saved=_l("The facility was saved."),
)


@bp.get("/facilities", endpoint="facilities")
@requires(*pages.READ)
def facilities_list() -> Response:
    return pages.list_page("facilities.html", facilities.facilities_page, _all_on_a_map)


def _all_on_a_map(session: Session, rows: list) -> dict:
    """Every place of detention on a map (not only the page's), above the list; not beside a name filter."""
    if request.args.get("q"):
        return {"map": None}
    every = list(
        session.scalars(select(Facility).where(Facility.merged_into_id.is_(None)).order_by(Facility.id))
    )
    return {"map": figures.facilities_map(session, every, str(_l("All places of detention")))}


@bp.route("/facilities/new", methods=["GET", "POST"], endpoint="facility_new")
@requires("reviewer")
def facility_new() -> Response:
    return FORM.new_page(FacilityInput())


@bp.get("/facilities/<int:facility_id>", endpoint="facility")
@requires(*pages.READ)
def facility(facility_id: int) -> Response:
    session = db.session()
    record = get_or_404(session, Facility, facility_id)
    view = facilities.facility_view(session, record)
    return pages.render(
        "facility.html",
        view=view,
        kind="facility",
        record=record,
        map=figures.facilities_map(session, [record], view.caption, highlight=record.id),
        timeline=figures.facility_timeline(session, facility_id, view.caption),
    )


@bp.route("/facilities/<int:facility_id>/edit", methods=["GET", "POST"], endpoint="facility_edit")
@requires("reviewer")
def facility_edit(facility_id: int) -> Response:
    return FORM.edit_page(facility_id)
