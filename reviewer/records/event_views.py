"""Records pages of incidents, acts, involvement and information, and the linking page of a submission.

Reviewers edit; the case team reads. Which submission backs what is shown to reviewers only: the case team
sees pseudonymous source references (``W-0042``) and whether a link is evidence or a lead. The linking page
(reached from a submission's reading page) never shows testimony, which the server cannot read; it is a
sequence of small forms, each redirecting back with the record it made chosen, so it works without
JavaScript. Services: reviewer/records/events.py and reviewer/records/sources.py.

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
    POST      /acts/<id>/involvements                 person_id= or hangul= + romanized=, degree, confidence
    POST      /involvements/<id>/edit, /involvements/<id>/remove
    POST      /information                            submission_id, target=<kind>:<id>, connection, ...
    POST      /information/<id>/edit, /information/<id>/remove
    POST      /facilities/quick                       a facility by name, kind and agency (linking page)
    GET       /submissions/<id>                       the linking page
    POST      /submissions/<id>/source                the source reference and consent
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from core import db, divisions
from core.models import Submission
from reviewer.access import has_role, requires
from reviewer.records import entities, events, search, sources, vocab
from reviewer.records.blueprint import bp, division_label, get_or_404
from reviewer.records.corroboration import Support, act_support, involvement_support
from reviewer.records.models import Act, Incident, Information, Involvement, Source

PAGE_SIZE = 50
MAX_MIN_SOURCES = 99


def _session() -> Session:
    return db.session()


def _is_reviewer() -> bool:
    return has_role(g.user, "reviewer")


def _no_store(body: str, status: int = 200) -> Response:
    response = Response(body, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _back(default: str) -> Response:
    """Redirect (303) to the form's ``return_to`` when it is a path on this site, else to ``default``."""
    target = request.form.get("return_to", "")
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        target = default
    return redirect(target, code=303)


def _refused(error: events.RecordError | sources.SourceError, default: str) -> Response:
    """Roll back, show the rule that refused the change, and go back to the form's page."""
    _session().rollback()
    messages = events.ERRORS if isinstance(error, events.RecordError) else sources.ERRORS
    flash(str(messages[error.code]), "error")
    return _back(default)


def _vocabularies() -> dict[str, Any]:
    locale = get_locale().language if get_locale() else "ko"
    return {
        "violations": vocab.VIOLATIONS,
        "degrees": vocab.DEGREES,
        "confidences": vocab.CONFIDENCES,
        "connections": vocab.CONNECTIONS,
        "reliabilities": vocab.RELIABILITIES,
        "facility_kinds": vocab.FACILITY_KINDS,
        "agencies": vocab.AGENCIES,
        "consent_scopes": sources.SCOPES,
        "province_choices": [(p.code, p.name(locale)) for p in divisions.provinces()],
        "county_choices": divisions.choices(locale),
        "division_label": lambda code: division_label(code, locale),
    }


def _support_text(support: Support | None) -> str:
    support = support or Support()
    return _("%(sources)s independent sources, %(leads)s leads", sources=support.sources, leads=support.leads)


# ---- Incidents ----------------------------------------------------------------------------------------


@bp.get("/incidents", endpoint="incidents")
@requires("reviewer", "case_team")
def incidents_view() -> Response:
    session = _session()
    violation = request.args.get("violation", "")
    violation = violation if violation in vocab.VIOLATIONS else ""
    min_sources = min(events.record_id(request.args.get("min_sources")) or 0, MAX_MIN_SOURCES)
    before = events.record_id(request.args.get("before"))
    rows, next_before = events.incident_page(
        session, violation=violation, min_sources=min_sources, before=before, limit=PAGE_SIZE
    )
    filters = {key: value for key, value in (("violation", violation), ("min_sources", min_sources)) if value}
    return _no_store(
        render_template(
            "reviewer/records/incidents.html",
            rows=rows,
            violation=violation,
            min_sources=min_sources,
            next_url=url_for(".incidents", **filters, before=next_before) if next_before else None,
            first_url=url_for(".incidents", **filters) if before is not None else None,
            can_edit=_is_reviewer(),
            **_vocabularies(),
        )
    )


@bp.route("/incidents/new", methods=["GET", "POST"], endpoint="incident_new")
@requires("reviewer")
def incident_new() -> Response:
    session = _session()
    for_submission = request.values.get("for_submission", "")
    if for_submission and session.get(Submission, for_submission) is None:
        abort(404)
    if request.method == "POST":
        try:
            incident = events.create_incident(
                session, g.user, title=request.form.get("title", ""), summary=request.form.get("summary")
            )
        except events.RecordError as error:
            session.rollback()
            return _incident_form(None, error, for_submission)
        session.commit()
        flash(_("The incident was recorded."))
        if for_submission:
            return redirect(
                url_for(".submission_records", submission_id=for_submission, incident=incident.id), 303
            )
        return redirect(url_for(".incident", incident_id=incident.id), 303)
    return _incident_form(None, None, for_submission)


def _incident_form(
    incident: Incident | None, error: events.RecordError | None, for_submission: str = ""
) -> Response:
    values = request.form if request.method == "POST" else {}
    if incident is not None and not values:
        values = {"title": incident.title, "summary": incident.summary or ""}
    return _no_store(
        render_template(
            "reviewer/records/incident_form.html",
            incident=incident,
            values=values,
            error=events.ERRORS[error.code] if error else None,
            for_submission=for_submission,
        ),
        400 if error else 200,
    )


@bp.get("/incidents/<int:incident_id>", endpoint="incident")
@requires("reviewer", "case_team")
def incident_view(incident_id: int) -> Response:
    session = _session()
    incident = get_or_404(session, Incident, incident_id)
    acts = list(
        session.scalars(select(Act).where(Act.incident_id == incident.id).order_by(Act.date_lo, Act.id))
    )
    support = act_support(session, [act.id for act in acts])
    facilities = entities.facility_captions(session, {act.facility_id for act in acts if act.facility_id})
    information = events.information_views(session, events.information_on(session, incident_id=incident.id))
    return _no_store(
        render_template(
            "reviewer/records/incident.html",
            incident=incident,
            acts=acts,
            support={act.id: _support_text(support.get(act.id)) for act in acts},
            facilities=facilities,
            information=information,
            can_edit=_is_reviewer(),
            **_vocabularies(),
        )
    )


@bp.route("/incidents/<int:incident_id>/edit", methods=["GET", "POST"], endpoint="incident_edit")
@requires("reviewer")
def incident_edit(incident_id: int) -> Response:
    session = _session()
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
        session.commit()
        flash(_("The incident was saved."))
        return redirect(url_for(".incident", incident_id=incident.id), 303)
    return _incident_form(incident, None)


@bp.post("/incidents/<int:incident_id>/delete", endpoint="incident_delete")
@requires("reviewer")
def incident_delete(incident_id: int) -> Response:
    session = _session()
    incident = get_or_404(session, Incident, incident_id)
    try:
        events.delete_incident(session, g.user, incident)
    except events.RecordError as error:
        return _refused(error, url_for(".incident", incident_id=incident_id))
    session.commit()
    flash(_("The incident was deleted."))
    return redirect(url_for(".incidents"), 303)


# ---- Acts ---------------------------------------------------------------------------------------------


def _facility_choices(session: Session, query: str, selected: Any) -> list[tuple[int, str]]:
    """The facilities a form offers: the matches of ``query`` (by any spelling), else all (capped), with
    the one already chosen kept."""
    if query.strip():
        ids = [hit.owner_id for hit in search.find(session, query, ("facility",), limit=30)]
        choices = list(entities.facility_captions(session, ids).items())
    else:
        choices = events.facility_choices(session)
    chosen = events.record_id(selected)
    if chosen is not None and chosen not in {facility_id for facility_id, _caption in choices}:
        choices = [*entities.facility_captions(session, [chosen]).items(), *choices]
    return choices


def _act_values(act: Act | None) -> dict[str, Any]:
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
    session = _session()
    values = _act_values(act)
    facility_q = request.args.get("facility_q", "")
    return _no_store(
        render_template(
            "reviewer/records/act_form.html",
            incident=incident,
            act=act,
            values=values,
            facility_q=facility_q,
            facility_choices=_facility_choices(session, facility_q, values.get("facility_id")),
            error=events.ERRORS[error.code] if error else None,
            for_submission=request.values.get("for_submission", ""),
            **_vocabularies(),
        ),
        400 if error else 200,
    )


@bp.route("/incidents/<int:incident_id>/acts/new", methods=["GET", "POST"], endpoint="act_new")
@requires("reviewer")
def act_new(incident_id: int) -> Response:
    session = _session()
    incident = get_or_404(session, Incident, incident_id)
    for_submission = request.values.get("for_submission", "")
    if for_submission and session.get(Submission, for_submission) is None:
        abort(404)
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
        session.commit()
        flash(_("The act was recorded."))
        if for_submission:
            return redirect(
                url_for(
                    ".submission_records", submission_id=for_submission, incident=incident.id, act=act.id
                ),
                303,
            )
        return redirect(url_for(".act", act_id=act.id), 303)
    return _act_form(incident, None, None)


@bp.get("/acts/<int:act_id>", endpoint="act")
@requires("reviewer", "case_team")
def act_view(act_id: int) -> Response:
    session = _session()
    act = get_or_404(session, Act, act_id)
    incident = session.get(Incident, act.incident_id)
    involvements = list(
        session.scalars(select(Involvement).where(Involvement.act_id == act.id).order_by(Involvement.id))
    )
    persons = entities.person_captions(session, {row.person_id for row in involvements})
    inv_support = involvement_support(session, [row.id for row in involvements])
    act_info = events.information_views(session, events.information_on(session, act_id=act.id))
    inv_info = events.information_views(
        session, events.information_on(session, involvement_ids=[row.id for row in involvements])
    )
    by_involvement: dict[int, list[events.InformationView]] = {}
    for view in inv_info:
        by_involvement.setdefault(view.information.involvement_id, []).append(view)
    person_q = request.args.get("person_q", "")
    person_hits = _person_hits(session, person_q)
    return _no_store(
        render_template(
            "reviewer/records/act.html",
            act=act,
            incident=incident,
            support=_support_text(act_support(session, [act.id]).get(act.id)),
            facility=entities.facility_captions(session, [act.facility_id]).get(act.facility_id)
            if act.facility_id
            else None,
            involvements=involvements,
            persons=persons,
            involvement_support={row.id: _support_text(inv_support.get(row.id)) for row in involvements},
            information=act_info,
            involvement_information=by_involvement,
            person_links=_person_links(persons),
            person_q=person_q,
            person_hits=person_hits,
            information_targets=_targets(incident, act, involvements, persons),
            selected_target=f"act:{act.id}",
            for_submission="",
            can_edit=_is_reviewer(),
            here=url_for(".act", act_id=act.id),
            **_vocabularies(),
        )
    )


def _person_links(persons: dict[int, str]) -> dict[int, str | None]:
    """The page of each person, while the person pages are there (reviewer/records/people_views.py)."""
    try:
        return {person_id: url_for(".person", person_id=person_id) for person_id in persons}
    except BuildError:
        return {}


def _targets(
    incident: Incident, act: Act | None, involvements: list[Involvement], persons: dict[int, str]
) -> list[tuple[str, int, str]]:
    """What a submission can be linked to from here: the incident, the act, each involvement in it."""
    targets = [("incident", incident.id, _("The whole incident: %(title)s", title=incident.title))]
    if act is not None:
        targets.append(
            (
                "act",
                act.id,
                _("This act: %(violation)s", violation=vocab.VIOLATIONS.get(act.violation, act.violation)),
            )
        )
        for row in involvements:
            degree = vocab.DEGREES.get(row.degree, row.degree)
            targets.append(
                (
                    "involvement",
                    row.id,
                    _("%(person)s: %(degree)s", person=persons.get(row.person_id, ""), degree=degree),
                )
            )
    return targets


def _person_hits(session: Session, query: str) -> list[tuple[int, str]]:
    if not query.strip():
        return []
    ids = [hit.owner_id for hit in search.find(session, query, ("person",), limit=20)]
    captions = entities.person_captions(session, ids)
    return [(person_id, captions[person_id]) for person_id in ids]


@bp.route("/acts/<int:act_id>/edit", methods=["GET", "POST"], endpoint="act_edit")
@requires("reviewer")
def act_edit(act_id: int) -> Response:
    session = _session()
    act = get_or_404(session, Act, act_id)
    incident = get_or_404(session, Incident, act.incident_id)
    if request.method == "POST":
        try:
            events.update_act(session, g.user, act, request.form)
        except events.RecordError as error:
            session.rollback()
            return _act_form(incident, act, error)
        session.commit()
        flash(_("The act was saved."))
        return redirect(url_for(".act", act_id=act.id), 303)
    return _act_form(incident, act, None)


@bp.post("/acts/<int:act_id>/delete", endpoint="act_delete")
@requires("reviewer")
def act_delete(act_id: int) -> Response:
    session = _session()
    act = get_or_404(session, Act, act_id)
    incident_id = act.incident_id
    events.delete_act(session, g.user, act)
    session.commit()
    flash(_("The act was deleted."))
    return redirect(url_for(".incident", incident_id=incident_id), 303)


# ---- Involvement --------------------------------------------------------------------------------------


@bp.post("/acts/<int:act_id>/involvements", endpoint="involvement_add")
@requires("reviewer")
def involvement_add(act_id: int) -> Response:
    session = _session()
    act = get_or_404(session, Act, act_id)
    form = request.form
    default = url_for(".act", act_id=act.id)
    try:
        person_id: Any = form.get("person_id", "")
        if person_id in ("", "new"):
            person_id = events.quick_person(
                session, g.user, hangul=form.get("hangul"), romanized=form.get("romanized")
            ).id
        involvement = events.add_involvement(
            session,
            g.user,
            act,
            person_id,
            degree=form.get("degree"),
            confidence=form.get("confidence"),
            exculpatory=form.get("exculpatory"),
        )
    except events.RecordError as error:
        return _refused(error, default)
    session.commit()
    flash(_("The person was linked to the act."))
    for_submission = form.get("for_submission", "")
    if for_submission and session.get(Submission, for_submission) is not None:
        return redirect(
            url_for(
                ".submission_records",
                submission_id=for_submission,
                incident=act.incident_id,
                act=act.id,
                involvement=involvement.id,
            ),
            303,
        )
    return _back(default)


@bp.post("/involvements/<int:involvement_id>/edit", endpoint="involvement_edit")
@requires("reviewer")
def involvement_edit(involvement_id: int) -> Response:
    session = _session()
    involvement = get_or_404(session, Involvement, involvement_id)
    default = url_for(".act", act_id=involvement.act_id)
    try:
        events.update_involvement(
            session,
            g.user,
            involvement,
            degree=request.form.get("degree"),
            confidence=request.form.get("confidence"),
            exculpatory=request.form.get("exculpatory"),
        )
    except events.RecordError as error:
        return _refused(error, default)
    session.commit()
    flash(_("The involvement was saved."))
    return _back(default)


@bp.post("/involvements/<int:involvement_id>/remove", endpoint="involvement_remove")
@requires("reviewer")
def involvement_remove(involvement_id: int) -> Response:
    session = _session()
    involvement = get_or_404(session, Involvement, involvement_id)
    default = url_for(".act", act_id=involvement.act_id)
    events.remove_involvement(session, g.user, involvement)
    session.commit()
    flash(_("The involvement was removed."))
    return _back(default)


# ---- Information --------------------------------------------------------------------------------------


@bp.post("/information", endpoint="information_add")
@requires("reviewer")
def information_add() -> Response:
    session = _session()
    form = request.form
    submission_id = form.get("submission_id", "")
    default = (
        url_for(".submission_records", submission_id=submission_id)
        if session.get(Submission, submission_id) is not None
        else url_for(".incidents")
    )
    try:
        events.link_information(
            session,
            g.user,
            submission_id,
            *form.get("target", "").partition(":")[::2],
            connection=form.get("connection"),
            reliability=form.get("reliability"),
        )
    except events.RecordError as error:
        return _refused(error, default)
    session.commit()
    flash(_("The submission was linked as a source."))
    return _back(default)


@bp.post("/information/<int:information_id>/edit", endpoint="information_edit")
@requires("reviewer")
def information_edit(information_id: int) -> Response:
    session = _session()
    information = get_or_404(session, Information, information_id)
    default = url_for(".submission_records", submission_id=information.submission_id)
    try:
        events.update_information(
            session,
            g.user,
            information,
            connection=request.form.get("connection"),
            reliability=request.form.get("reliability"),
        )
    except events.RecordError as error:
        return _refused(error, default)
    session.commit()
    flash(_("The source link was saved."))
    return _back(default)


@bp.post("/information/<int:information_id>/remove", endpoint="information_remove")
@requires("reviewer")
def information_remove(information_id: int) -> Response:
    session = _session()
    information = get_or_404(session, Information, information_id)
    default = url_for(".submission_records", submission_id=information.submission_id)
    events.remove_information(session, g.user, information)
    session.commit()
    flash(_("The source link was removed."))
    return _back(default)


# ---- Linking a submission -----------------------------------------------------------------------------


@bp.post("/facilities/quick", endpoint="facility_quick")
@requires("reviewer")
def facility_quick() -> Response:
    session = _session()
    form = request.form
    submission = get_or_404(session, Submission, form.get("for_submission", ""))
    incident = request.form.get("incident", "")
    back = url_for(".submission_records", submission_id=submission.id, incident=incident or None)
    try:
        facility = events.quick_facility(
            session,
            g.user,
            hangul=form.get("hangul"),
            romanized=form.get("romanized"),
            kind=form.get("kind"),
            agency=form.get("agency"),
        )
    except events.RecordError as error:
        return _refused(error, back)
    session.commit()
    flash(_("The facility was recorded."))
    return redirect(
        url_for(
            ".submission_records",
            submission_id=submission.id,
            incident=incident or None,
            facility=facility.id,
        ),
        303,
    )


def _chosen(session: Session, model: Any, name: str) -> Any:
    chosen = events.record_id(request.args.get(name))
    return session.get(model, chosen) if chosen is not None else None


@bp.get("/submissions/<submission_id>", endpoint="submission_records")
@requires("reviewer")
def submission_records(submission_id: str) -> Response:
    session = _session()
    submission = get_or_404(session, Submission, submission_id)
    recorded = sources.source_of(session, submission.id)
    siblings = (
        [s for s in sources.submissions_of(session, recorded[1].id) if s.id != submission.id]
        if recorded
        else []
    )
    incident = _chosen(session, Incident, "incident")
    act = _chosen(session, Act, "act")
    if act is not None and (incident is None or act.incident_id != incident.id):
        incident = session.get(Incident, act.incident_id)
    involvement = _chosen(session, Involvement, "involvement")
    if involvement is not None and (act is None or involvement.act_id != act.id):
        involvement = None
    incident_q = request.args.get("incident_q", "")
    acts = (
        list(session.scalars(select(Act).where(Act.incident_id == incident.id).order_by(Act.id)))
        if incident
        else []
    )
    involvements = (
        list(
            session.scalars(select(Involvement).where(Involvement.act_id == act.id).order_by(Involvement.id))
        )
        if act
        else []
    )
    persons = entities.person_captions(session, {row.person_id for row in involvements})
    links = events.information_views(session, events.information_of_submission(session, submission.id))
    facility_q = request.args.get("facility_q", "")
    selected_facility = request.args.get("facility", "")
    # The consent answers the reviewer's browser just decrypted (reviewer-read.js puts them in the link).
    said = {
        scope: request.args[scope] == "yes"
        for scope in sources.SCOPES
        if request.args.get(scope) in ("yes", "no")
    }
    return _no_store(
        render_template(
            "reviewer/records/submission_records.html",
            submission=submission,
            recorded=recorded,
            said=said,
            said_differs=bool(recorded and said)
            and any(getattr(recorded[0], scope) != given for scope, given in said.items()),
            siblings=siblings,
            incident=incident,
            act=act,
            involvement=involvement,
            incident_q=incident_q,
            incident_hits=events.find_incidents(session, incident_q) if incident is None else [],
            acts=acts,
            involvements=involvements,
            persons=persons,
            person_q=request.args.get("person_q", ""),
            person_hits=_person_hits(session, request.args.get("person_q", "")),
            facility_q=facility_q,
            selected_facility=selected_facility,
            facility_choices=_facility_choices(session, facility_q, selected_facility),
            links=links,
            link_labels=_link_labels(session, links),
            information_targets=_targets(incident, act, involvements, persons) if incident else [],
            selected_target=_selected_target(incident, act, involvement),
            here=request.full_path.rstrip("?"),
            **_vocabularies(),
        )
    )


def _selected_target(incident: Incident | None, act: Act | None, involvement: Involvement | None) -> str:
    """The narrowest record chosen on the linking page, which its information form offers first."""
    if involvement is not None:
        return f"involvement:{involvement.id}"
    if act is not None:
        return f"act:{act.id}"
    return f"incident:{incident.id}" if incident is not None else ""


def _link_labels(session: Session, links: list[events.InformationView]) -> dict[int, str]:
    """A short label of each link's target: ``Incident #3: title``, ``Act #7``, ``Involvement #2``."""
    labels = {}
    incident_ids = {v.information.incident_id for v in links if v.information.incident_id}
    titles = dict(
        session.execute(select(Incident.id, Incident.title).where(Incident.id.in_(incident_ids))).all()
    )
    for view in links:
        row = view.information
        if row.incident_id:
            labels[row.id] = _(
                "Incident #%(id)s: %(title)s", id=row.incident_id, title=titles.get(row.incident_id, "")
            )
        elif row.act_id:
            labels[row.id] = _("Act #%(id)s", id=row.act_id)
        else:
            labels[row.id] = _("Involvement #%(id)s", id=row.involvement_id)
    return labels


@bp.post("/submissions/<submission_id>/source", endpoint="submission_source")
@requires("reviewer")
def submission_source(submission_id: str) -> Response:
    session = _session()
    submission = get_or_404(session, Submission, submission_id)
    form = request.form
    ref = form.get("ref", "") if form.get("source") == "existing" else ""
    back = url_for(".submission_records", submission_id=submission.id)
    try:
        row = sources.record_source(
            session, g.user, submission, ref=ref, consents={scope: scope in form for scope in sources.SCOPES}
        )
    except sources.SourceError as error:
        return _refused(error, back)
    session.commit()
    ref_text = session.get(Source, row.source_id).ref
    flash(_("Source %(ref)s and its consent were recorded.", ref=ref_text))
    return _back(back)
