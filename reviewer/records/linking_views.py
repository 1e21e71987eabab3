"""The small forms that link records: a person's part in an act (involvement), a submission as a source of
an incident, act or involvement (information), and the linking page of a submission with its source and
consent. Reviewers only.

The linking page (reached from a submission's reading page) never shows testimony, which the server cannot
read; it is a sequence of small forms, each redirecting back with the record it made chosen, so it works
without JavaScript. Services: reviewer/records/involvements.py, reviewer/records/information.py,
reviewer/records/quick.py and reviewer/records/sources.py.

Routes (all under ``/reviewer/records``)::

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

from flask import Response, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import db
from core.models import Submission
from reviewer.access import requires
from reviewer.records import choices, events, information, involvements, pages, quick, record_names, sources
from reviewer.records.blueprint import bp, get_or_404
from reviewer.records.models import Act, Incident, Information, Involvement, Source

# ---- Involvement --------------------------------------------------------------------------------------


@bp.post("/acts/<int:act_id>/involvements", endpoint="involvement_add")
@requires("reviewer")
def involvement_add(act_id: int) -> Response:
    session = db.session()
    act = get_or_404(session, Act, act_id)
    form = request.form
    default = url_for(".act", act_id=act.id)
    try:
        person_id: Any = form.get("person_id", "")
        if person_id in ("", "new"):
            person_id = quick.quick_person(
                session, g.user, hangul=form.get("hangul"), romanized=form.get("romanized")
            ).id
        involvement = involvements.add_involvement(
            session,
            g.user,
            act,
            person_id,
            degree=form.get("degree"),
            confidence=form.get("confidence"),
            exculpatory=form.get("exculpatory"),
        )
    except events.RecordError as error:
        return pages.refused(error, default)
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
    return pages.back(default)


@bp.post("/involvements/<int:involvement_id>/edit", endpoint="involvement_edit")
@requires("reviewer")
def involvement_edit(involvement_id: int) -> Response:
    session = db.session()
    involvement = get_or_404(session, Involvement, involvement_id)
    default = url_for(".act", act_id=involvement.act_id)
    try:
        involvements.update_involvement(
            session,
            g.user,
            involvement,
            degree=request.form.get("degree"),
            confidence=request.form.get("confidence"),
            exculpatory=request.form.get("exculpatory"),
        )
    except events.RecordError as error:
        return pages.refused(error, default)
    return pages.done_back(_("The involvement was saved."), default)


@bp.post("/involvements/<int:involvement_id>/remove", endpoint="involvement_remove")
@requires("reviewer")
def involvement_remove(involvement_id: int) -> Response:
    session = db.session()
    involvement = get_or_404(session, Involvement, involvement_id)
    default = url_for(".act", act_id=involvement.act_id)
    involvements.remove_involvement(session, g.user, involvement)
    return pages.done_back(_("The involvement was removed."), default)


# ---- Information --------------------------------------------------------------------------------------


@bp.post("/information", endpoint="information_add")
@requires("reviewer")
def information_add() -> Response:
    session = db.session()
    form = request.form
    submission_id = form.get("submission_id", "")
    default = (
        url_for(".submission_records", submission_id=submission_id)
        if session.get(Submission, submission_id) is not None
        else url_for(".incidents")
    )
    try:
        information.link_information(
            session,
            g.user,
            submission_id,
            *form.get("target", "").partition(":")[::2],
            connection=form.get("connection"),
            reliability=form.get("reliability"),
        )
    except events.RecordError as error:
        return pages.refused(error, default)
    return pages.done_back(_("The submission was linked as a source."), default)


@bp.post("/information/<int:information_id>/edit", endpoint="information_edit")
@requires("reviewer")
def information_edit(information_id: int) -> Response:
    session = db.session()
    row = get_or_404(session, Information, information_id)
    default = _back_from(row)
    try:
        information.update_information(
            session,
            g.user,
            row,
            connection=request.form.get("connection"),
            reliability=request.form.get("reliability"),
        )
    except events.RecordError as error:
        return pages.refused(error, default)
    return pages.done_back(_("The source link was saved."), default)


@bp.post("/information/<int:information_id>/remove", endpoint="information_remove")
@requires("reviewer")
def information_remove(information_id: int) -> Response:
    session = db.session()
    row = get_or_404(session, Information, information_id)
    default = _back_from(row)
    information.remove_information(session, g.user, row)
    return pages.done_back(_("The source link was removed."), default)


def _back_from(row: Information) -> str:
    """Where an information link's form returns by default: its submission's linking page, or the records'
    home once the submission was deleted."""
    if row.submission_id is None:
        return url_for(".home")
    return url_for(".submission_records", submission_id=row.submission_id)


# ---- Linking a submission -----------------------------------------------------------------------------


@bp.post("/facilities/quick", endpoint="facility_quick")
@requires("reviewer")
def facility_quick() -> Response:
    session = db.session()
    form = request.form
    submission = get_or_404(session, Submission, form.get("for_submission", ""))
    incident = request.form.get("incident", "")
    back = url_for(".submission_records", submission_id=submission.id, incident=incident or None)
    try:
        facility = quick.quick_facility(
            session,
            g.user,
            hangul=form.get("hangul"),
            romanized=form.get("romanized"),
            kind=form.get("kind"),
            agency=form.get("agency"),
        )
    except events.RecordError as error:
        return pages.refused(error, back)
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
    session = db.session()
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
    rows = (
        list(
            session.scalars(select(Involvement).where(Involvement.act_id == act.id).order_by(Involvement.id))
        )
        if act
        else []
    )
    persons = record_names.person_captions(session, {row.person_id for row in rows})
    links = information.information_views(
        session, information.information_of_submission(session, submission.id)
    )
    facility_q = request.args.get("facility_q", "")
    selected_facility = request.args.get("facility", "")
    # The consent answers the reviewer's browser just decrypted (reviewer-read.js puts them in the link).
    said = {
        scope: request.args[scope] == "yes"
        for scope in sources.SCOPES
        if request.args.get(scope) in ("yes", "no")
    }
    return pages.render(
        "submission_records.html",
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
        involvements=rows,
        persons=persons,
        person_q=request.args.get("person_q", ""),
        person_hits=choices.person_hits(session, request.args.get("person_q", "")),
        facility_q=facility_q,
        selected_facility=selected_facility,
        facility_choices=choices.facility_choices(session, facility_q, selected_facility),
        links=links,
        link_labels=_link_labels(session, links),
        information_targets=choices.link_targets(incident, act, rows, persons) if incident else [],
        selected_target=_selected_target(incident, act, involvement),
        here=request.full_path.rstrip("?"),
        **choices.vocabularies(),
    )


def _selected_target(incident: Incident | None, act: Act | None, involvement: Involvement | None) -> str:
    """The narrowest record chosen on the linking page, which its information form offers first."""
    if involvement is not None:
        return f"involvement:{involvement.id}"
    if act is not None:
        return f"act:{act.id}"
    return f"incident:{incident.id}" if incident is not None else ""


def _link_labels(session: Session, links: list[information.InformationView]) -> dict[int, str]:
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
    session = db.session()
    submission = get_or_404(session, Submission, submission_id)
    form = request.form
    ref = form.get("ref", "") if form.get("source") == "existing" else ""
    back = url_for(".submission_records", submission_id=submission.id)
    try:
        row = sources.record_source(
            session, g.user, submission, ref=ref, consents={scope: scope in form for scope in sources.SCOPES}
        )
    except sources.SourceError as error:
        return pages.refused(error, back)
    session.commit()
    source = session.get(Source, row.source_id)
    assert source is not None
    flash(_("Source %(ref)s and its consent were recorded.", ref=source.ref))
    return pages.back(back)
