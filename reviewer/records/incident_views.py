"""Records pages of incidents and their acts. Reviewers edit; the case team reads; which submission backs
what is shown to reviewers only, the case team sees pseudonymous source references (``W-0042``) and
whether a link is evidence or a lead. Services: reviewer/records/events.py.

Routes (all under ``/reviewer/records``)::

    GET       /incidents                              list (?violation=, ?min_sources=, ?before=)
    GET, POST /incidents/new                          [for_submission=<id>: back to its linking page]
    GET       /incidents/<id>
    GET, POST /incidents/<id>/edit
    POST      /incidents/<id>/delete
    GET, POST /incidents/<id>/acts/new                [?facility_q= narrows the facilities]
    GET       /acts/<id>                              [?person_q= finds persons for the involvement form]
    GET, POST /acts/<id>/edit
    POST      /acts/<id>/delete
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core import db
from core.models import Submission
from reviewer.access import requires
from reviewer.records import choices, events, information, pages, record_names, vocab
from reviewer.records.blueprint import bp, get_or_404
from reviewer.records.corroboration import act_support, involvement_support
from reviewer.records.models import Act, Incident, Involvement
from reviewer.records.pictures import figures

PAGE_SIZE = 50
MAX_MIN_SOURCES = 99


# ---- Incidents ----------------------------------------------------------------------------------------


@bp.get("/incidents", endpoint="incidents")
@requires(*pages.READ)
def incidents_view() -> Response:
    session = db.session()
    violation = request.args.get("violation", "")
    violation = violation if violation in vocab.VIOLATIONS else ""
    min_sources = min(events.record_id(request.args.get("min_sources")) or 0, MAX_MIN_SOURCES)
    before = events.record_id(request.args.get("before"))
    rows, next_before = events.incident_page(
        session, violation=violation, min_sources=min_sources, before=before, limit=PAGE_SIZE
    )
    filters = {key: value for key, value in (("violation", violation), ("min_sources", min_sources)) if value}
    return pages.render(
        "incidents.html",
        rows=rows,
        violation=violation,
        min_sources=min_sources,
        next_url=url_for(".incidents", **filters, before=next_before) if next_before else None,
        first_url=url_for(".incidents", **filters) if before is not None else None,
        **choices.vocabularies(),
    )


def _for_submission() -> str:
    """The submission whose linking page a form was sent from (``""``: none); a 404 for an unknown one."""
    for_submission = request.values.get("for_submission", "")
    if for_submission and db.session().get(Submission, for_submission) is None:
        abort(404)
    return for_submission


@bp.route("/incidents/new", methods=["GET", "POST"], endpoint="incident_new")
@requires("reviewer")
def incident_new() -> Response:
    session = db.session()
    for_submission = _for_submission()
    if request.method == "POST":
        try:
            incident = events.create_incident(
                session, g.user, title=request.form.get("title", ""), summary=request.form.get("summary")
            )
        except events.RecordError as error:
            session.rollback()
            return _incident_form(None, error, for_submission)
        if for_submission:
            to = url_for(".submission_records", submission_id=for_submission, incident=incident.id)
        else:
            to = url_for(".incident", incident_id=incident.id)
        return pages.done(_("The incident was recorded."), to)
    return _incident_form(None, None, for_submission)


def _incident_form(
    incident: Incident | None, error: events.RecordError | None, for_submission: str = ""
) -> Response:
    values = request.form if request.method == "POST" else {}
    if incident is not None and not values:
        values = {"title": incident.title, "summary": incident.summary or ""}
    return pages.render(
        "incident_form.html",
        400 if error else 200,
        incident=incident,
        values=values,
        error=events.ERRORS[error.code] if error else None,
        for_submission=for_submission,
    )


@bp.get("/incidents/<int:incident_id>", endpoint="incident")
@requires(*pages.READ)
def incident_view(incident_id: int) -> Response:
    session = db.session()
    incident = get_or_404(session, Incident, incident_id)
    acts = list(
        session.scalars(select(Act).where(Act.incident_id == incident.id).order_by(Act.date_lo, Act.id))
    )
    support = act_support(session, [act.id for act in acts])
    return pages.render(
        "incident.html",
        incident=incident,
        acts=acts,
        support={act.id: pages.support_text(support.get(act.id)) for act in acts},
        facilities=record_names.facility_captions(
            session, {act.facility_id for act in acts if act.facility_id}
        ),
        information=information.information_views(
            session, information.information_on(session, incident_id=incident.id)
        ),
        **choices.vocabularies(),
    )


@bp.route("/incidents/<int:incident_id>/edit", methods=["GET", "POST"], endpoint="incident_edit")
@requires("reviewer")
def incident_edit(incident_id: int) -> Response:
    session = db.session()
    incident = get_or_404(session, Incident, incident_id)
    if request.method == "POST":
        try:
            events.update_incident(
                session,
                g.user,
                incident,
                title=request.form.get("title", ""),
                summary=request.form.get("summary"),
            )
        except events.RecordError as error:
            session.rollback()
            return _incident_form(incident, error)
        return pages.done(_("The incident was saved."), url_for(".incident", incident_id=incident.id))
    return _incident_form(incident, None)


@bp.post("/incidents/<int:incident_id>/delete", endpoint="incident_delete")
@requires("reviewer")
def incident_delete(incident_id: int) -> Response:
    session = db.session()
    incident = get_or_404(session, Incident, incident_id)
    try:
        events.delete_incident(session, g.user, incident)
    except events.RecordError as error:
        return pages.refused(error, url_for(".incident", incident_id=incident_id))
    return pages.done(_("The incident was deleted."), url_for(".incidents"))


# ---- Acts ---------------------------------------------------------------------------------------------


def _act_values(act: Act | None) -> Any:
    if request.method == "POST":
        return request.form
    if act is None:
        return {"facility_id": request.args.get("facility", "")}
    return {
        "violation": act.violation,
        "date_start": act.date_start or "",
        "date_end": act.date_end or "",
        "facility_id": act.facility_id or "",
        "province": act.province or "",
        "county": act.county or "",
        "place": act.place or "",
        "victims": act.victims or "",
        "victim_count": act.victim_count or "",
        "description": act.description or "",
    }


def _act_form(incident: Incident, act: Act | None, error: events.RecordError | None) -> Response:
    values = _act_values(act)
    facility_q = request.args.get("facility_q", "")
    return pages.render(
        "act_form.html",
        400 if error else 200,
        incident=incident,
        act=act,
        values=values,
        facility_q=facility_q,
        facility_choices=choices.facility_choices(db.session(), facility_q, values.get("facility_id")),
        error=events.ERRORS[error.code] if error else None,
        for_submission=request.values.get("for_submission", ""),
        **choices.vocabularies(),
    )


@bp.route("/incidents/<int:incident_id>/acts/new", methods=["GET", "POST"], endpoint="act_new")
@requires("reviewer")
def act_new(incident_id: int) -> Response:
    session = db.session()
    incident = get_or_404(session, Incident, incident_id)
    for_submission = _for_submission()
    if request.method == "POST":
        try:
            act = events.create_act(session, g.user, incident, request.form)
        except events.RecordError as error:
            session.rollback()
            if for_submission:
                flash(str(events.ERRORS[error.code]), "error")
                return redirect(
                    url_for(".submission_records", submission_id=for_submission, incident=incident.id), 303
                )
            return _act_form(incident, None, error)
        if for_submission:
            to = url_for(
                ".submission_records", submission_id=for_submission, incident=incident.id, act=act.id
            )
        else:
            to = url_for(".act", act_id=act.id)
        return pages.done(_("The act was recorded."), to)
    return _act_form(incident, None, None)


@bp.get("/acts/<int:act_id>", endpoint="act")
@requires(*pages.READ)
def act_view(act_id: int) -> Response:
    session = db.session()
    act = get_or_404(session, Act, act_id)
    incident = session.get(Incident, act.incident_id)
    assert incident is not None
    involvements = list(
        session.scalars(select(Involvement).where(Involvement.act_id == act.id).order_by(Involvement.id))
    )
    persons = record_names.person_captions(session, {row.person_id for row in involvements})
    inv_support = involvement_support(session, [row.id for row in involvements])
    by_involvement: dict[int, list[information.InformationView]] = {}
    for view in information.information_views(
        session, information.information_on(session, involvement_ids=[row.id for row in involvements])
    ):
        by_involvement.setdefault(view.information.involvement_id, []).append(view)
    person_q = request.args.get("person_q", "")
    return pages.render(
        "act.html",
        act=act,
        incident=incident,
        support=pages.support_text(act_support(session, [act.id]).get(act.id)),
        facility=record_names.facility_captions(session, [act.facility_id])[act.facility_id]
        if act.facility_id
        else None,
        involvements=involvements,
        persons=persons,
        involvement_support={row.id: pages.support_text(inv_support.get(row.id)) for row in involvements},
        information=information.information_views(
            session, information.information_on(session, act_id=act.id)
        ),
        involvement_information=by_involvement,
        person_links={person_id: url_for(".person", person_id=person_id) for person_id in persons},
        person_q=person_q,
        person_hits=choices.person_hits(session, person_q),
        information_targets=choices.link_targets(incident, act, involvements, persons),
        selected_target=f"act:{act.id}",
        for_submission="",
        here=url_for(".act", act_id=act.id),
        figure=figures.act_chain(session, act.id),
        **choices.vocabularies(),
    )


@bp.route("/acts/<int:act_id>/edit", methods=["GET", "POST"], endpoint="act_edit")
@requires("reviewer")
def act_edit(act_id: int) -> Response:
    session = db.session()
    act = get_or_404(session, Act, act_id)
    incident = get_or_404(session, Incident, act.incident_id)
    if request.method == "POST":
        try:
            events.update_act(session, g.user, act, request.form)
        except events.RecordError as error:
            session.rollback()
            return _act_form(incident, act, error)
        return pages.done(_("The act was saved."), url_for(".act", act_id=act.id))
    return _act_form(incident, act, None)


@bp.post("/acts/<int:act_id>/delete", endpoint="act_delete")
@requires("reviewer")
def act_delete(act_id: int) -> Response:
    return pages.remove_page(
        Act,
        act_id,
        events.delete_act,
        _("The act was deleted."),
        lambda act: url_for(".incident", incident_id=act.incident_id),
    )
