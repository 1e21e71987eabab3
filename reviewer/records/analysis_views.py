"""Records pages for looking across records: the records start page, the chain of command of a person, an
organization or a facility, finding records whatever the spelling of their names, and merging two records
of one person or facility (and undoing a merge).

Routes (all under ``/reviewer/records``)::

    GET       /                                   counts and links to every list
    GET       /search?q=                          persons, facilities and organizations by name
    GET       /persons/<id>/chain?page=           the person's posts, superiors and subordinates' acts
    GET       /organizations/<id>/chain?page=     the organizations above, the posts in it and below
    GET       /facilities/<id>/chain?page=        the same through its operating organization
    GET|POST  /persons/<id>/merge?q=&other=       find the other record, compare, merge it into this one
    GET|POST  /facilities/<id>/merge?q=&other=
    GET|POST  /merges/<id>/undo                   what the undo will do, then undo

Reading needs a reviewer or case-team login; merging and undoing, a reviewer's. Merges are audited by
reviewer/records/merging.py in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import db
from reviewer.access import requires
from reviewer.records import chain, lists, merging, name_index, pages, record_names, search, vocab
from reviewer.records.blueprint import bp, get_or_404, page_number
from reviewer.records.models import (
    Act,
    Facility,
    Involvement,
    Merge,
    Occupancy,
    Organization,
    Person,
    PersonIdentifier,
)
from reviewer.records.pictures import figures

#: Subordinates listed per page of a chain view, and acts listed per subordinate.
CHAIN_PAGE = 25
CHAIN_ACTS = 10
SEARCH_LIMIT = 50
QUERY_MAX_CHARS = 200

MERGE_ERRORS = {
    "same": _l("A record cannot be merged into itself."),
    "missing": _l("One of the two records does not exist."),
    "already_merged": _l(
        "One of the two records is already merged into another: work on the record it became."
    ),
    "already_undone": _l("This merge has already been undone."),
    "later": _l("A later merge builds on this one (merge #%(id)s): undo that one first."),
}


@bp.app_context_processor
def _analysis_helpers() -> dict[str, Any]:
    return {"record_merges": _record_merges, "organization_label": _organization_label}


def _record_merges(kind: str, record_id: int) -> list[Merge]:
    """The merges that kept or absorbed a record, newest first (for the ``_analysis_links`` partial)."""
    return merging.merges_of(db.session(), kind, record_id)


def _organization_label(organization: Organization) -> str:
    return record_names.organization_caption(organization, str(get_locale() or "ko"))


def _query() -> str:
    return " ".join(request.args.get("q", "").split())[:QUERY_MAX_CHARS]


@bp.get("/", endpoint="home")
@requires(*pages.READ)
def home() -> Response:
    session = db.session()
    return pages.render("home.html", counts=lists.counts(session), charts=figures.record_counts(session))


# ---- Chain of command ---------------------------------------------------------------------------------


@bp.get("/persons/<int:person_id>/chain", endpoint="person_chain")
@requires("reviewer", "case_team")
def person_chain(person_id: int) -> str:
    session = db.session()
    person = get_or_404(session, Person, person_id)
    page = page_number()
    view = chain.command_view(
        session,
        person_id,
        act_limit=CHAIN_ACTS,
        subordinate_limit=CHAIN_PAGE,
        offset=(page - 1) * CHAIN_PAGE,
    )
    return render_template(
        "reviewer/records/chain_person.html",
        kind="person",
        record=person,
        view=view,
        page=page,
        has_more=any(post.subordinate_count > page * CHAIN_PAGE for post in view.posts),
        merged_into=person.merged_into_id,
        violations=vocab.VIOLATIONS,
        figure=figures.person_chain(session, view),
    )


@bp.get("/organizations/<int:organization_id>/chain", endpoint="organization_chain")
@requires("reviewer", "case_team")
def organization_chain(organization_id: int) -> str:
    session = db.session()
    organization = get_or_404(session, Organization, organization_id)
    caption = _organization_label(organization)
    return _side_chain("organization", organization, caption, chain.organization_view)


@bp.get("/facilities/<int:facility_id>/chain", endpoint="facility_chain")
@requires("reviewer", "case_team")
def facility_chain(facility_id: int) -> str:
    session = db.session()
    facility = get_or_404(session, Facility, facility_id)
    caption = record_names.facility_captions(session, [facility_id])[facility_id]
    return _side_chain("facility", facility, caption, chain.facility_view)


def _side_chain(
    kind: str, record: Organization | Facility, caption: str, make_view: Callable[..., Any]
) -> str:
    """The chain of command seen from an organization's or a facility's side, one page of it."""
    page = page_number()
    view = make_view(
        db.session(),
        record.id,
        act_limit=CHAIN_ACTS,
        subordinate_limit=CHAIN_PAGE,
        offset=(page - 1) * CHAIN_PAGE,
    )
    return render_template(
        "reviewer/records/chain_organization.html",
        kind=kind,
        record=record,
        caption=caption,
        view=view,
        page=page,
        has_more=view.subordinate_count > page * CHAIN_PAGE,
        violations=vocab.VIOLATIONS,
        figure=figures.side_chain(db.session(), view, caption),
    )


# ---- Search -------------------------------------------------------------------------------------------


def search_results(session: Session, query: str, kinds: tuple[str, ...], limit: int) -> list[dict[str, Any]]:
    """The records matching ``query``, best first, each with its caption and every name form it has."""
    hits = search.find(session, query, kinds, limit=limit)
    ids: dict[str, list[int]] = {"person": [], "facility": [], "organization": []}
    for hit in hits:
        ids[hit.kind].append(hit.owner_id)
    names: dict[tuple[str, int], list[str]] = {}
    captions: dict[tuple[str, int], str] = {}
    for kind in ("person", "facility"):
        for owner_id, owner_names in record_names.names_by_owner(session, kind, ids[kind]).items():
            names[kind, owner_id] = owner_names
        for owner_id, caption in record_names.captions(session, kind, ids[kind]).items():
            captions[kind, owner_id] = caption
    if ids["organization"]:
        for organization in session.scalars(
            select(Organization).where(Organization.id.in_(ids["organization"]))
        ):
            key = ("organization", organization.id)
            names[key] = [n for n in (organization.name_ko, organization.name_en) if n]
            captions[key] = _organization_label(organization)
    return [
        {
            "kind": hit.kind,
            "id": hit.owner_id,
            "caption": captions.get((hit.kind, hit.owner_id), f"#{hit.owner_id}"),
            "names": names.get((hit.kind, hit.owner_id), []),
            "exact": hit.rank == 2,
        }
        for hit in hits
    ]


@bp.get("/search", endpoint="search")
@requires("reviewer", "case_team")
def searchpage_number() -> str:
    query = _query()
    results = search_results(db.session(), query, name_index.KINDS, SEARCH_LIMIT) if query else []
    return render_template(
        "reviewer/records/search.html",
        query=query,
        results=results,
        limit=SEARCH_LIMIT,
        kinds={"person": _("Person"), "facility": _("Facility"), "organization": _("Organization")},
    )


# ---- Merging ------------------------------------------------------------------------------------------


def _person_summary(session: Session, person: Person) -> dict[str, Any]:
    return {
        "record": person,
        "caption": record_names.caption_of(person),
        "names": record_names.name_rows(session, "person", person.id),
        "identifiers": list(
            session.scalars(select(PersonIdentifier).where(PersonIdentifier.person_id == person.id))
        ),
        "occupancies": _count(session, Occupancy.id, Occupancy.person_id == person.id),
        "involvements": _count(session, Involvement.id, Involvement.person_id == person.id),
    }


def _facility_summary(session: Session, facility: Facility) -> dict[str, Any]:
    return {
        "record": facility,
        "caption": record_names.caption_of(facility),
        "names": record_names.name_rows(session, "facility", facility.id),
        "acts": _count(session, Act.id, Act.facility_id == facility.id),
    }


def _count(session: Session, column: Any, condition: Any) -> int:
    return int(session.scalar(select(func.count(column)).where(condition)) or 0)


_MERGEABLE = {
    "person": (Person, _person_summary, "records.person"),
    "facility": (Facility, _facility_summary, "records.facility"),
}


def _merge_page(kind: str, record_id: int) -> Response | str:
    session = db.session()
    model, summary, record_endpoint = _MERGEABLE[kind]
    record = get_or_404(session, model, record_id)
    if request.method == "POST":
        other_text = request.form.get("other", "")
        other_id = int(other_text) if other_text.isdigit() else 0
        try:
            row = merging.merge(session, kind, record_id, other_id, g.user)
        except merging.MergeError as error:
            session.rollback()
            flash(str(MERGE_ERRORS[error.code]))
            return redirect(url_for(request.endpoint or "", **{f"{kind}_id": record_id}), code=303)
        session.commit()
        flash(_("Merged. Merge #%(id)s can be undone from this page.", id=row.id))
        return redirect(url_for(record_endpoint, **{f"{kind}_id": record_id}), code=303)
    query = _query()
    other_text = request.args.get("other", "")
    other = session.get(model, int(other_text)) if other_text.isdigit() else None
    candidates = []
    if query and other is None:
        candidates = [
            result
            for result in search_results(session, query, (kind,), SEARCH_LIMIT)
            if result["id"] != record_id
        ]
    return render_template(
        "reviewer/records/merge.html",
        kind=kind,
        record=record,
        kept=summary(session, record),
        absorbed=summary(session, other) if other is not None and other.id != record_id else None,
        query=query,
        candidates=candidates,
        record_endpoint=record_endpoint,
        genders=vocab.GENDERS,
        styles=vocab.NAME_STYLES,
        name_kinds=vocab.NAME_KINDS,
        identifier_kinds=vocab.IDENTIFIER_KINDS,
        facility_kinds=vocab.FACILITY_KINDS,
        agencies=vocab.AGENCIES,
    )


@bp.route("/persons/<int:person_id>/merge", methods=["GET", "POST"], endpoint="person_merge")
@requires("reviewer")
def person_merge(person_id: int) -> Response | str:
    return _merge_page("person", person_id)


@bp.route("/facilities/<int:facility_id>/merge", methods=["GET", "POST"], endpoint="facility_merge")
@requires("reviewer")
def facility_merge(facility_id: int) -> Response | str:
    return _merge_page("facility", facility_id)


@bp.route("/merges/<int:merge_id>/undo", methods=["GET", "POST"], endpoint="merge_undo")
@requires("reviewer")
def merge_undo(merge_id: int) -> Response | str:
    session = db.session()
    row = get_or_404(session, Merge, merge_id)
    _model, _summary, record_endpoint = _MERGEABLE[row.kind]
    if request.method == "POST":
        try:
            merging.undo(session, row, g.user)
        except merging.MergeError as error:
            session.rollback()
            flash(str(MERGE_ERRORS[error.code]) % {"id": error.merge_id})
            return redirect(url_for(".merge_undo", merge_id=merge_id), code=303)
        session.commit()
        flash(_("The merge was undone: both records stand apart again."))
        return redirect(url_for(record_endpoint, **{f"{row.kind}_id": row.merged_id}), code=303)
    later = merging.blocking_merge(session, row) if row.undone_at is None else None
    moved = json.loads(row.moved)
    return render_template(
        "reviewer/records/merge_undo.html",
        merge=row,
        later=later,
        moved={table: len(ids) for table, ids in moved.items() if table != "filled" and ids},
        filled=moved.get("filled", []),
        record_endpoint=record_endpoint,
        tables={
            "person_names": _("Names"),
            "person_identifiers": _("Identifiers"),
            "occupancies": _("Posts held"),
            "involvements": _("Involvements in acts"),
            "involvements_kept_aside": _("Involvements left with the merged record (the kept one had them)"),
            "photo": _("Photo"),
            "facility_names": _("Names"),
            "acts": _("Acts recorded at the facility"),
        },
    )
