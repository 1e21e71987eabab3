"""The retention pages: the policies (admins edit them, reviewers read them), what waits for reviewers to
decide, and the deletion controls a submission's page includes (templates/reviewer/retention/
_submission_controls.html, filled by :func:`controls_for`; the inbox includes _inbox_notice.html).

Routes (all under ``/reviewer``)::

    GET  /retention                                 policies; requests, proposals, flags, what is due, acts
                                                    left without evidence (reviewers)
    POST /admin/retention                           save the policies (admins, fresh login)
    POST /submissions/<id>/deletion/propose         a reviewer proposes deleting the submission
    POST /submissions/<id>/deletion/confirm         a second reviewer confirms: deleted now (fresh login)
    POST /submissions/<id>/deletion/cancel          drop the proposal
    POST /submissions/<id>/hold                     reason=<what the legal hold is for>
    POST /submissions/<id>/hold/lift
    POST /submissions/<id>/keep                     keep a submission flagged as stale

Every change is audited in the same transaction; a refused one answers 409 with the rule that refused it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import db
from core.models import Submission
from reviewer.access import has_role, requires
from reviewer.exports import citations
from reviewer.models import User
from reviewer.retention import decisions, due, evidence, policies
from reviewer.retention.decisions import RetentionError
from reviewer.retention.models import SubmissionRetention

bp = Blueprint("reviewer_retention", __name__, url_prefix="/reviewer")

#: Rows a list of the page shows at most (the command prints them all).
LIST_LIMIT = 200

ERRORS = {
    "under_hold": _l("This submission is under a legal hold: lift the hold before deleting it."),
    "already_proposed": _l(
        "Deleting this submission was already proposed: a second reviewer must confirm it."
    ),
    "not_proposed": _l("No deletion is proposed for this submission."),
    "same_reviewer": _l("You proposed this deletion: a second, different reviewer must confirm it."),
    "gone": _l("This submission was already deleted."),
    "bad_hold": _l("Say what the legal hold is for (the case or the order) in 1 to 500 characters."),
    "already_held": _l("This submission is already under a legal hold."),
    "not_held": _l("This submission is not under a legal hold."),
}

#: What each flag asks of reviewers, on the page.
FLAG_LABELS = {
    "unread": _l("Due for deletion, but no reviewer ever read it"),
    "undated": _l("In a final state, but the audit trail does not say since when"),
    "never_opened": _l("Still new since it arrived"),
    "never_linked": _l("Never linked to records since it arrived"),
    "deletion_requested": _l("The source asked for it to be deleted"),
}


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- The retention page -------------------------------------------------------------------------------


@bp.get("/retention", endpoint="page")
@requires("reviewer", "admin")
def page() -> Response:
    """The policies for everyone with the page; for reviewers, everything that waits for a decision."""
    return _page(policies.load(db.session()).as_dict())


def _page(values: Mapping[str, Any], errors: Mapping[str, str] | None = None, status: int = 200) -> Response:
    session = db.session()
    context: dict[str, Any] = {
        "values": values,
        "labels": policies.LABELS,
        "errors": errors or {},
        "can_edit": has_role(g.user, "admin"),
        "is_reviewer": has_role(g.user, "reviewer"),
        "limit": LIST_LIMIT,
    }
    if context["is_reviewer"]:
        in_force = policies.load(session)
        work = due.plan(session, in_force, policies.today())
        context.update(
            due=work.due,
            flags=work.flags,
            flag_labels=FLAG_LABELS,
            proposals=_proposals(session),
            bare_acts=evidence.acts_left_without_evidence(session),
        )
    return _no_store(Response(render_template("reviewer/retention/page.html", **context), status=status))


def _proposals(session: Session) -> list[tuple[str, str, Any]]:
    """Every deletion proposed and not yet confirmed: (submission id, proposer's name, when)."""
    query = (
        select(SubmissionRetention.submission_id, User.display_name, SubmissionRetention.delete_proposed_at)
        .join(User, User.id == SubmissionRetention.delete_proposed_by_id)
        .order_by(SubmissionRetention.delete_proposed_at)
        .limit(LIST_LIMIT)
    )
    return [tuple(row) for row in session.execute(query)]


@bp.post("/admin/retention", endpoint="save")
@requires("admin", fresh=True)
def save() -> Response:
    """Save the policies; a value that is not a whole number of days in range is refused, nothing saved."""
    session = db.session()
    try:
        chosen = policies.parse(request.form)
    except policies.PolicyError as error:
        typed = {name: request.form.get(name, "") for name in policies.LABELS}
        return _page(typed, errors={error.name: str(policies.ERROR)}, status=400)
    changed = policies.save(session, g.user, chosen)
    session.commit()
    flash(_("The retention policies were saved.") if changed else _("Nothing changed."))
    return redirect(url_for(".page"), code=303)


# ---- A submission's deletion controls -----------------------------------------------------------------


def controls_for(submission: Submission) -> dict[str, Any]:
    """What the deletion controls of a submission's page show: the proposal, the legal hold, and the
    dossiers that cited it."""
    session = db.session()
    row = session.get(SubmissionRetention, submission.id)
    proposer = session.get(User, row.delete_proposed_by_id) if row and row.delete_proposed_by_id else None
    holder = session.get(User, row.hold_by_id) if row and row.hold_by_id else None
    return {
        "proposer": proposer,
        "proposed_at": row.delete_proposed_at if row else None,
        "hold_since": row.hold_since if row else None,
        "hold_reason": row.hold_reason if row else None,
        "holder": holder,
        "cited_by": len(citations.dossiers_citing(session, submission.id)),
        "here": url_for("reviewer_inbox.submission_view", submission_id=submission.id),
    }


def waiting_counts() -> dict[str, int]:
    """How many deletions sources asked for and reviewers proposed, for the inbox's notice."""
    session = db.session()
    requests = select(func.count()).where(Submission.deletion_requested_on.is_not(None))
    proposals = select(func.count()).where(SubmissionRetention.delete_proposed_by_id.is_not(None))
    return {"requests": session.scalar(requests) or 0, "proposals": session.scalar(proposals) or 0}


@bp.app_context_processor
def _include_context() -> dict[str, Any]:
    # Functions, so that the pages without the includes pay nothing.
    return {"retention_controls": controls_for, "retention_waiting": waiting_counts}


def _decide(
    submission_id: str,
    decision: Callable[..., Any],
    said: Callable[[Any], str],
    **arguments: str,
) -> Response:
    """Apply ``decision`` (of reviewer/retention/decisions.py) to the submission as the logged-in reviewer,
    flash what ``said`` makes of its result, and go back to the submission's page (to the retention page
    once it is deleted); a refused decision answers 409 with the rule that refused it."""
    session = db.session()
    submission = session.get(Submission, submission_id)
    if submission is None:
        abort(404)
    try:
        done = decision(session, submission, g.user, **arguments)
    except RetentionError as error:
        session.rollback()
        back = url_for("reviewer_inbox.submission_view", submission_id=submission_id)
        html = render_template("reviewer/retention/refused.html", message=ERRORS[error.code], back=back)
        return _no_store(Response(html, status=409))
    session.commit()
    flash(said(done))
    if session.get(Submission, submission_id) is None:
        return redirect(url_for(".page"), code=303)
    return redirect(url_for("reviewer_inbox.submission_view", submission_id=submission_id), code=303)


#: The decisions a submission's page posts that need nothing but the reviewer: endpoint -> (path under the
#: submission, the decision, what to flash when it is made).
SIMPLE_DECISIONS: dict[str, tuple[str, Callable[..., Any], Any]] = {
    "propose": (
        "deletion/propose",
        decisions.propose_deletion,
        _l("Deletion proposed. A second reviewer must confirm it."),
    ),
    "cancel": (
        "deletion/cancel",
        decisions.cancel_deletion,
        _l("The proposal to delete this submission was dropped."),
    ),
    "lift_hold": ("hold/lift", decisions.lift_hold, _l("The legal hold was lifted.")),
    "keep": (
        "keep",
        decisions.keep,
        _l("Kept: it will not be flagged again before the next review period."),
    ),
}


def _simple_view(decision: Callable[..., Any], message: Any) -> Callable[[str], Response]:
    @requires("reviewer", key=True)
    def view(submission_id: str) -> Response:
        return _decide(submission_id, decision, lambda _done: str(message))

    return view


for _endpoint, (_path, _decision, _message) in SIMPLE_DECISIONS.items():
    bp.add_url_rule(
        f"/submissions/<submission_id>/{_path}",
        _endpoint,
        _simple_view(_decision, _message),
        methods=["POST"],
    )


@bp.post("/submissions/<submission_id>/deletion/confirm", endpoint="confirm")
@requires("reviewer", key=True, fresh=True)
def confirm(submission_id: str) -> Response:
    return _decide(
        submission_id,
        decisions.confirm_deletion,
        lambda done: _(
            "The submission was deleted: %(envelopes)d envelope(s), %(bytes)d bytes, %(notes)d note(s).",
            envelopes=done.envelopes,
            bytes=done.bytes,
            notes=done.notes,
        ),
    )


@bp.post("/submissions/<submission_id>/hold", endpoint="hold")
@requires("reviewer", key=True)
def hold(submission_id: str) -> Response:
    return _decide(
        submission_id,
        decisions.place_hold,
        lambda _done: _(
            "The submission is under a legal hold: nothing will delete it until the hold is lifted."
        ),
        reason=request.form.get("reason", ""),
    )
