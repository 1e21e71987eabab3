"""Records pages of organizations and their posts (positions). Reviewers edit; the case team reads. The
rules live in reviewer/records/organizations.py and reviewer/records/posts.py.

Routes (all under ``/reviewer/records``)::

    GET       /organizations                       list (?q= name filter, ?page=)
    GET|POST  /organizations/new                   [?parent_id= preselects the organization above]
    GET       /organizations/<id>
    GET|POST  /organizations/<id>/edit
    GET|POST  /organizations/<id>/positions/new
    GET|POST  /positions/<id>/edit
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from core import db
from reviewer.access import requires
from reviewer.records import organizations, pages, posts
from reviewer.records.blueprint import bp, get_or_404
from reviewer.records.models import Organization, Position
from reviewer.records.organizations import OrganizationInput
from reviewer.records.pictures import figures
from reviewer.records.posts import PositionInput
from reviewer.records.record_names import organization_caption
from reviewer.records.tree import OrganizationTree

# ---- Organizations --------------------------------------------------------------------------------------


def _organization_form_data() -> OrganizationInput:
    form = request.form
    return OrganizationInput(
        **{name: form.get(name, "") for name in ("name_ko", "name_en", "parent_id", "province", "county")},
        kind=form.get("kind", "bureau"),
        description=form.get("description", ""),
        exculpatory=form.get("exculpatory", ""),
    )


def _organization_form(
    _data: OrganizationInput, organization: Organization | None, _errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "parents": organizations.organization_choices(db.session(), exclude=organization),
        **pages.division_choices(),
    }


FORM = pages.RecordForm(
    kind="organization",
    model=Organization,
    read=_organization_form_data,
    stored=lambda _session, organization: OrganizationInput.of(organization),
    template="organization_form.html",
    context=_organization_form,
    save=organizations.save_organization,
    saved=_l("The organization was saved."),
    refuse_merged=False,
)


def _parents(session: Session, rows: list[Organization]) -> dict[str, dict[int, Organization]]:
    return {"parents": organizations.organizations_by_id(session, [row.parent_id for row in rows])}


@bp.get("/organizations", endpoint="organizations")
@requires(*pages.READ)
def organizations_list() -> Response:
    return pages.list_page("organizations.html", organizations.organizations_page, _parents)


@bp.route("/organizations/new", methods=["GET", "POST"], endpoint="organization_new")
@requires("reviewer")
def organization_new() -> Response:
    return FORM.new_page(OrganizationInput(parent_id=request.args.get("parent_id", "")))


@bp.get("/organizations/<int:organization_id>", endpoint="organization")
@requires(*pages.READ)
def organization(organization_id: int) -> Response:
    session = db.session()
    record = get_or_404(session, Organization, organization_id)
    run = figures.operated_facilities(
        session, [organization_id, *OrganizationTree.load(session).below(organization_id)]
    )
    return pages.render(
        "organization.html",
        view=organizations.organization_view(session, record),
        kind="organization",
        record=record,
        new_position=PositionInput(),
        map=figures.facilities_map(session, run, organization_caption(record, pages.locale())),
    )


@bp.route("/organizations/<int:organization_id>/edit", methods=["GET", "POST"], endpoint="organization_edit")
@requires("reviewer")
def organization_edit(organization_id: int) -> Response:
    return FORM.edit_page(organization_id)


# ---- Posts ----------------------------------------------------------------------------------------------


def _position_form(
    data: PositionInput,
    organization: Organization,
    position: Position | None,
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return pages.render(
        "position_form.html", status, data=data, organization=organization, position=position, errors=errors
    )


def _save_position(organization: Organization, position: Position | None) -> Response:
    data = PositionInput(
        title_ko=request.form.get("title_ko", ""),
        title_en=request.form.get("title_en", ""),
        is_head=request.form.get("is_head") == "yes",
    )
    return pages.save_form(
        lambda: posts.save_position(db.session(), g.user, organization, data, position),
        lambda errors: _position_form(data, organization, position, errors, 400),
        _("The post was saved."),
        lambda saved: url_for(".organization", organization_id=saved.organization_id),
    )


@bp.route(
    "/organizations/<int:organization_id>/positions/new", methods=["GET", "POST"], endpoint="position_new"
)
@requires("reviewer")
def position_new(organization_id: int) -> Response:
    record = get_or_404(db.session(), Organization, organization_id)
    if request.method == "GET":
        return _position_form(PositionInput(), record, None, {})
    return _save_position(record, None)


@bp.route("/positions/<int:position_id>/edit", methods=["GET", "POST"], endpoint="position_edit")
@requires("reviewer")
def position_edit(position_id: int) -> Response:
    session = db.session()
    position = get_or_404(session, Position, position_id)
    record = session.get(Organization, position.organization_id)
    assert record is not None
    if request.method == "GET":
        return _position_form(PositionInput.of(position), record, position, {})
    return _save_position(record, position)
