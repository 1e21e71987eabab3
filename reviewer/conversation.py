"""Writing to the source: a reviewer's question or reply, sealed in the reviewer's browser to the source's key
and every active reviewer key (core/conversation.py checks it and stores it), and the reply templates an
admin writes once for reviewers to start from.

Routes (under ``/reviewer``)::

    POST /api/submissions/<id>/messages       the message's envelope → 201; a vetted reviewer only
    GET  /admin/reply-templates               the templates, and the form for a new one (admins)
    POST /admin/reply-templates               title, text_ko, text_en
    POST /admin/reply-templates/<id>/delete
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import audit, conversation, db
from core.models import ReplyTemplate, Submission
from reviewer.access import requires

bp = Blueprint("reviewer_conversation", __name__, url_prefix="/reviewer")

#: What a refused message's author is told (the codes of core/conversation.py).
MESSAGE_ERRORS = {
    "no_source_key": _l(
        "This source cannot receive messages yet: the account was sent before messages existed, and the "
        "source has not come back with the receipt since."
    ),
    "wrong_recipients": _l("The reviewers have changed. Reload the page and write the message again."),
    "bad_message": _l("The message could not be sent: it is damaged or too long."),
}
TITLE_MAX = 200
TEXT_MAX = 4000


@bp.post("/api/submissions/<submission_id>/messages")
@requires("reviewer", key=True)
def message_create(submission_id: str) -> Response:
    """Store a message to the source, sealed in the browser (the body is its envelope)."""
    session = db.session()
    submission = session.get(Submission, submission_id)
    if submission is None:
        abort(404)
    # Read no further than a message can be long: the body is never spooled, whatever it claims.
    body = request.stream.read(conversation.MESSAGE_MAX_BYTES + 1)
    try:
        conversation.send(session, g.user, submission, body)
    except conversation.ConversationError as exc:
        status = 409 if exc.code in ("no_source_key", "wrong_recipients") else 400
        response = jsonify(error=exc.code, message=str(MESSAGE_ERRORS[exc.code]))
        response.status_code = status
        return response
    response = jsonify(status="sent")
    response.status_code = 201
    return response


@bp.get("/admin/reply-templates")
@requires("admin")
def templates_page() -> Response:
    return _templates_page()


@bp.post("/admin/reply-templates")
@requires("admin")
def template_create() -> Response:
    fields = {name: request.form.get(name, "").strip() for name in ("title", "text_ko", "text_en")}
    if not all(fields.values()):
        return _templates_page(_("Give the template a title and its text in Korean and in English."), fields)
    if len(fields["title"]) > TITLE_MAX or max(len(fields["text_ko"]), len(fields["text_en"])) > TEXT_MAX:
        too_long = _(
            "A title has at most %(title)d characters, a text at most %(text)d.",
            title=TITLE_MAX,
            text=TEXT_MAX,
        )
        return _templates_page(too_long, fields)
    session = db.session()
    template = ReplyTemplate(**fields)
    session.add(template)
    session.flush()
    audit.record(session, g.user, "reply_template.create", f"reply_template:{template.id}")
    session.commit()
    flash(_("The reply template was saved."))
    return redirect(url_for(".templates_page"), code=303)


@bp.post("/admin/reply-templates/<int:template_id>/delete")
@requires("admin")
def template_delete(template_id: int) -> Response:
    session = db.session()
    template = session.get(ReplyTemplate, template_id)
    if template is None:
        abort(404)
    session.delete(template)
    audit.record(session, g.user, "reply_template.delete", f"reply_template:{template_id}")
    session.commit()
    flash(_("The reply template was deleted."))
    return redirect(url_for(".templates_page"), code=303)


def all_templates() -> list[ReplyTemplate]:
    """Every reply template, by title: for the admin page and the submission page's message editor."""
    return list(db.session().scalars(select(ReplyTemplate).order_by(ReplyTemplate.title, ReplyTemplate.id)))


def _templates_page(error: str | None = None, fields: dict[str, str] | None = None) -> Response:
    response = Response(
        render_template(
            "reviewer/reply_templates.html", templates=all_templates(), error=error, fields=fields or {}
        ),
        status=400 if error else 200,
    )
    return response
