"""The reviewer's inbox and submission pages: list and filter submissions, read them in the browser, triage.

The server hands out ciphertext only: envelopes and notes as ``application/octet-stream``, opened by
``static/js/reviewer-read.js`` with the reviewer's own key. Every route needs a full reviewer login
with a vetted, unrevoked key; fetches, exports and every triage change are audited in the same transaction.

Routes (all under ``/reviewer``)::

    GET  /inbox                                  the inbox (filters and cursor in the query string)
    GET  /inbox/                                 redirects to /inbox, query string kept
    GET  /submissions/<id>                       one submission: metadata, envelopes, reading, triage, notes
    POST /submissions/<id>/state                 to=<state> [duplicate_of=<id>]
    POST /submissions/<id>/assign                assignee= "" (nobody) | "me" | <user id>
    POST /submissions/<id>/tags                  tag=<name>
    POST /submissions/<id>/tags/<tag id>/remove
    GET  /envelopes/<envelope id>/export         the envelope as <submission>-<n>.sori (fresh login)
    GET  /api/envelopes/<envelope id>            the envelope's ciphertext
    POST /api/submissions/<id>/notes             a note's envelope (sealed in the browser) → 201 {"id": …}
    GET  /api/notes/<note id>                    a note's ciphertext
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wsgi import wrap_file

from core import audit, conversation, db, source_choices, submissions
from core.answers import CONSENTS
from core.assets import sodium_scripts
from core.models import Envelope, Recipient, Submission
from reviewer import conversation as reviewer_conversation
from reviewer import triage
from reviewer.access import requires
from reviewer.inbox.labels import ACTION_LABELS, ERRORS, STATE_LABELS, answer_labels
from reviewer.inbox.listing import PATHS, InboxFilters, deletion_requests, inbox_page
from reviewer.models import Note, SubmissionTag, Tag, Triage, User

bp = Blueprint("reviewer_inbox", __name__, url_prefix="/reviewer")

_STREAM_BYTES = 64 * 1024


# ---- The inbox ----------------------------------------------------------------------------------------


def _reviewers(session: Session) -> list[User]:
    query = (
        select(User).where(User.is_reviewer.is_(True), User.disabled_at.is_(None)).order_by(User.display_name)
    )
    return list(session.scalars(query))


@bp.get("/inbox", endpoint="inbox")
@requires("reviewer", key=True)
def inbox_view() -> Response:
    session = db.session()
    filters = InboxFilters.from_args(request.args)
    rows, cursor = inbox_page(session, filters, g.user)
    next_url = url_for(".inbox", **filters.query_args(), after=cursor) if cursor else None
    first_url = url_for(".inbox", **filters.query_args()) if filters.after else None
    return _no_store(
        render_template(
            "reviewer/inbox/inbox.html",
            rows=rows,
            filters=filters,
            next_url=next_url,
            first_url=first_url,
            reviewers=_reviewers(session),
            states=STATE_LABELS,
            paths=PATHS,
            deletion_requests=deletion_requests(session),
        )
    )


@bp.get("/inbox/", endpoint="inbox_slash")
@requires("reviewer", key=True)
def inbox_with_slash() -> Response:
    """The inbox reached as the records and dossier lists are written, with a trailing slash."""
    query = request.query_string.decode("ascii", "replace")
    return redirect(url_for(".inbox") + (f"?{query}" if query else ""), code=308)


# ---- One submission -----------------------------------------------------------------------------------


def _or_404(session: Session, model: type[Submission] | type[Envelope], key: str | int) -> Any:
    """The submission or envelope ``key``, or a 404 page."""
    found = session.get(model, key)
    if found is None:
        abort(404)
    return found


@bp.get("/submissions/<submission_id>")
@requires("reviewer", key=True)
def submission_view(submission_id: str) -> Response:
    return _submission_page(submission_id)


def _submission_page(submission_id: str, error: str | None = None, status: int = 200) -> Response:
    session = db.session()
    submission = _or_404(session, Submission, submission_id)
    row = session.get(Triage, submission.id)
    assignee = session.get(User, row.assignee_id) if row and row.assignee_id else None
    proposer = session.get(User, row.verify_proposed_by_id) if row and row.verify_proposed_by_id else None
    tags = session.execute(
        select(Tag.id, Tag.name)
        .join(SubmissionTag, SubmissionTag.tag_id == Tag.id)
        .where(SubmissionTag.submission_id == submission.id)
        .order_by(Tag.name)
    ).all()
    notes = session.execute(
        select(Note.id, Note.created_at, User.display_name)
        .join(User, User.id == Note.author_id)
        .where(Note.submission_id == submission.id)
        .order_by(Note.created_at, Note.id)
    ).all()
    active = session.scalars(
        select(Recipient.public_key).where(Recipient.revoked_at.is_(None)).order_by(Recipient.id)
    ).all()
    here = url_for(".submission_view", submission_id=submission.id)
    entries = conversation.thread(session, submission)
    targets = [t for t in triage.STATES if t in triage.allowed_targets(submission.state)]
    response = Response(
        render_template(
            "reviewer/inbox/submission.html",
            submission=submission,
            envelopes=[_envelope_view(e) for e in submission.envelopes],
            triage_row=row,
            assignee=assignee,
            proposer=proposer,
            tags=tags,
            notes=notes,
            states=STATE_LABELS,
            targets=targets,
            action_labels=ACTION_LABELS,
            reviewers=_reviewers(session),
            error=ERRORS.get(error or "", None),
            talk={
                "waiting_for": conversation.waiting_for(entries),
                "source_key": submission.source_public_key,
                "messages_url": url_for("reviewer_conversation.message_create", submission_id=submission.id),
                "templates": reviewer_conversation.all_templates(),
                "source_consent": source_choices.consent_of(submission),
                "consent_titles": {name: title for name, (title, _text) in CONSENTS.items()},
            },
            reader={
                "sodium": sodium_scripts(),
                "identity_url": url_for("reviewer_keys.fetch_my_key"),
                "grant_url": "/reviewer/api/envelopes/{id}/grant",
                "reauth_url": url_for("reviewer_auth.reauth", next=here),
                "notes_url": url_for(".note_create", submission_id=submission.id),
                "recipients": list(active),
                "labels": answer_labels(),
            },
        ),
        status=status,
    )
    return _no_store(response)


def _envelope_view(envelope: Envelope) -> dict[str, Any]:
    return {
        "id": envelope.id,
        "sequence": envelope.sequence,
        "received_on": envelope.received_on,
        "size": envelope.ciphertext_size,
        "path": envelope.path,
        "kind": envelope.kind,
        "key_ids": json.loads(envelope.recipient_key_ids),
        "url": url_for(".envelope_fetch", envelope_id=envelope.id),
        "export_url": url_for(".envelope_export", envelope_id=envelope.id),
    }


# ---- Triage -------------------------------------------------------------------------------------------


def _triage(submission_id: str, change: Callable[[Session, Submission], str | None]) -> Response:
    """Apply a triage ``change`` to the submission and go back to its page, flashing what ``change`` returns;
    a refused change shows the page again with the rule that refused it (409)."""
    session = db.session()
    submission = _or_404(session, Submission, submission_id)
    try:
        done = change(session, submission)
    except triage.TriageError as error:
        session.rollback()
        return _submission_page(submission_id, error.code, 409)
    session.commit()
    if done:
        flash(done)
    return redirect(url_for(".submission_view", submission_id=submission.id), code=303)


@bp.post("/submissions/<submission_id>/state")
@requires("reviewer", key=True)
def state_change(submission_id: str) -> Response:
    def change(session: Session, submission: Submission) -> str | None:
        to, original = request.form.get("to", ""), request.form.get("duplicate_of")
        outcome = triage.change_state(session, submission, to, g.user, duplicate_of=original)
        if outcome.kind == "proposed":
            return _("Proposed as verified. A second reviewer must confirm it.")
        return None

    return _triage(submission_id, change)


@bp.post("/submissions/<submission_id>/assign")
@requires("reviewer", key=True)
def assign(submission_id: str) -> Response:
    def change(session: Session, submission: Submission) -> None:
        choice = request.form.get("assignee", "")
        assignee = g.user if choice == "me" else session.get(User, int(choice)) if choice.isdigit() else None
        if choice not in ("", "me") and assignee is None:
            raise triage.BadAssignee(choice)
        triage.assign(session, submission, assignee, g.user)

    return _triage(submission_id, change)


@bp.post("/submissions/<submission_id>/tags")
@requires("reviewer", key=True)
def tag_add(submission_id: str) -> Response:
    def change(session: Session, submission: Submission) -> None:
        triage.add_tag(session, submission, request.form.get("tag", ""), g.user)

    return _triage(submission_id, change)


@bp.post("/submissions/<submission_id>/tags/<int:tag_id>/remove")
@requires("reviewer", key=True)
def tag_remove(submission_id: str, tag_id: int) -> Response:
    def change(session: Session, submission: Submission) -> None:
        triage.remove_tag(session, submission, tag_id, g.user)

    return _triage(submission_id, change)


# ---- Ciphertext: envelopes and notes ------------------------------------------------------------------


def _ciphertext_response(envelope: Envelope, download_name: str | None = None) -> Response:
    stream = submissions.open_envelope(envelope)
    response = Response(
        wrap_file(request.environ, stream, buffer_size=_STREAM_BYTES),
        mimetype="application/octet-stream",
        direct_passthrough=True,
    )
    response.content_length = envelope.ciphertext_size
    if download_name is not None:
        response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    return _no_store(response)


@bp.get("/api/envelopes/<int:envelope_id>")
@requires("reviewer", key=True)
def envelope_fetch(envelope_id: int) -> Response:
    """The envelope's ciphertext, streamed from the blob store or its row."""
    session = db.session()
    envelope = _or_404(session, Envelope, envelope_id)
    audit.record(
        session, g.user, "envelope.fetch", f"envelope:{envelope.id}", submission=envelope.submission_id
    )
    session.commit()
    return _ciphertext_response(envelope)


@bp.get("/envelopes/<int:envelope_id>/export")
@requires("reviewer", key=True, fresh=True)
def envelope_export(envelope_id: int) -> Response:
    """The envelope as a file for ``sori decrypt`` offline: ``<submission>-<n>.sori``."""
    session = db.session()
    envelope = _or_404(session, Envelope, envelope_id)
    name = f"{envelope.submission_id}-{envelope.sequence}.sori"
    audit.record(
        session, g.user, "envelope.export", f"envelope:{envelope.id}", submission=envelope.submission_id
    )
    session.commit()
    return _ciphertext_response(envelope, name)


@bp.post("/api/submissions/<submission_id>/notes")
@requires("reviewer", key=True)
def note_create(submission_id: str) -> Response:
    """A note's envelope, sealed in the browser to every active recipient; answers 201 ``{"id": …}``."""
    session = db.session()
    submission = session.get(Submission, submission_id)
    if submission is None:
        return _json_error(404, "not_found")
    length = request.content_length
    if length is None or length > triage.NOTE_MAX_BYTES:
        return _json_error(413, "too_large")
    try:
        note = triage.add_note(session, submission, request.get_data(cache=False), g.user)
    except triage.TriageError as error:
        session.rollback()
        return _json_error(409 if error.code == "recipients_changed" else 400, error.code)
    session.commit()
    response = jsonify(id=note.id, url=url_for(".note_fetch", note_id=note.id))
    response.status_code = 201
    return response


@bp.get("/api/notes/<int:note_id>")
@requires("reviewer", key=True)
def note_fetch(note_id: int) -> Response:
    """A note's ciphertext."""
    session = db.session()
    note = session.get(Note, note_id)
    if note is None:
        return _json_error(404, "not_found")
    audit.record(session, g.user, "note.fetch", f"note:{note.id}", submission=note.submission_id)
    session.commit()
    response = Response(note.ciphertext, mimetype="application/octet-stream")
    return _no_store(response)


def _json_error(status: int, code: str) -> Response:
    response = jsonify(error=code)
    response.status_code = status
    return response


def _no_store(response: Response | str) -> Response:
    if isinstance(response, str):
        response = Response(response)
    response.headers["Cache-Control"] = "no-store"
    return response
