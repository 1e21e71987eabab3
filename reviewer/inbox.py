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
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError
from werkzeug.wsgi import wrap_file

from core import answers, audit, db, divisions, submissions
from core.assets import sri, versioned
from core.models import Envelope, Recipient, Submission
from reviewer import triage
from reviewer.access import requires
from reviewer.models import Note, SubmissionTag, Tag, Triage, User

bp = Blueprint("reviewer_inbox", __name__, url_prefix="/reviewer")

PAGE_SIZE = 50
PATHS = ("browser", "server")
_STREAM_BYTES = 64 * 1024

STATE_LABELS = {
    "new": _l("New"),
    "in_review": _l("In review"),
    "needs_follow_up": _l("Needs follow-up"),
    "verified": _l("Verified"),
    "rejected": _l("Rejected"),
    "duplicate": _l("Duplicate"),
    "withdrawn": _l("Consent withdrawn"),
}
#: The button that moves a submission to each state.
ACTION_LABELS = {
    "in_review": _l("Start review"),
    "needs_follow_up": _l("Needs follow-up"),
    "verified": _l("Propose as verified"),
    "rejected": _l("Reject"),
    "duplicate": _l("Mark as duplicate of"),
    "withdrawn": _l("Source withdrew consent"),
}
ERRORS = {
    "transition": _l("This change of state is not allowed."),
    "same_reviewer": _l("You proposed this as verified: a second, different reviewer must confirm it."),
    "bad_original": _l("A duplicate must name another submission that exists."),
    "bad_assignee": _l("Submissions can be assigned only to active reviewers."),
    "bad_tag": _l("A tag has 1 to 100 characters."),
}


# ---- The inbox ----------------------------------------------------------------------------------------


@dataclass
class InboxFilters:
    """The inbox's filters, read from the query string; unknown or malformed values are ignored."""

    state: str = ""
    received_from: date | None = None
    received_to: date | None = None
    tag: str = ""
    assignee: str = ""  # "", "me", "nobody" or a user id
    path: str = ""
    after: tuple[date, str] | None = None

    @classmethod
    def from_args(cls, args: Any) -> InboxFilters:
        state = args.get("state", "")
        assignee = args.get("assignee", "")
        path = args.get("path", "")
        return cls(
            state=state if state in triage.STATES else "",
            received_from=_parse_date(args.get("from", "")),
            received_to=_parse_date(args.get("to", "")),
            tag=" ".join(args.get("tag", "").split())[: triage.TAG_MAX_CHARS],
            assignee=assignee if assignee in ("me", "nobody") or assignee.isdigit() else "",
            path=path if path in PATHS else "",
            after=_parse_cursor(args.get("after", "")),
        )

    def query_args(self) -> dict[str, str]:
        """The filters (not the cursor) as query-string arguments, for links to the next page."""
        values = {
            "state": self.state,
            "from": self.received_from.isoformat() if self.received_from else "",
            "to": self.received_to.isoformat() if self.received_to else "",
            "tag": self.tag,
            "assignee": self.assignee,
            "path": self.path,
        }
        return {key: value for key, value in values.items() if value}


@dataclass
class InboxRow:
    """One line of the inbox."""

    id: str
    received_on: date
    state: str
    assignee: str | None
    envelope_count: int
    path: str | None
    tags: list[str] = field(default_factory=list)


def inbox_page(
    session: Session, filters: InboxFilters, user: User, limit: int = PAGE_SIZE
) -> tuple[list[InboxRow], str | None]:
    """One page of the inbox, newest first, and the cursor of the next page (or ``None``).

    Keyset pagination on (received_on, id), both descending: two queries whatever the page, one for the
    rows (with their assignee, envelope count and first path) and one for their tags."""
    envelope_count = (
        select(func.count(Envelope.id))
        .where(Envelope.submission_id == Submission.id)
        .correlate(Submission)
        .scalar_subquery()
    )
    first_path = (
        select(Envelope.path)
        .where(Envelope.submission_id == Submission.id, Envelope.sequence == 1)
        .correlate(Submission)
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(
            Submission.id,
            Submission.received_on,
            Submission.state,
            User.display_name,
            envelope_count.label("envelope_count"),
            first_path.label("path"),
        )
        .outerjoin(Triage, Triage.submission_id == Submission.id)
        .outerjoin(User, User.id == Triage.assignee_id)
        .order_by(Submission.received_on.desc(), Submission.id.desc())
        .limit(limit + 1)
    )
    if filters.state:
        query = query.where(Submission.state == filters.state)
    if filters.received_from:
        query = query.where(Submission.received_on >= filters.received_from)
    if filters.received_to:
        query = query.where(Submission.received_on <= filters.received_to)
    if filters.tag:
        tagged = select(SubmissionTag.submission_id).join(Tag, Tag.id == SubmissionTag.tag_id)
        query = query.where(Submission.id.in_(tagged.where(Tag.name == filters.tag)))
    if filters.assignee == "me":
        query = query.where(Triage.assignee_id == user.id)
    elif filters.assignee == "nobody":
        query = query.where(Triage.assignee_id.is_(None))
    elif filters.assignee:
        query = query.where(Triage.assignee_id == int(filters.assignee))
    if filters.path:
        query = query.where(first_path == filters.path)
    if filters.after:
        day, last_id = filters.after
        query = query.where(
            or_(
                Submission.received_on < day,
                and_(Submission.received_on == day, Submission.id < last_id),
            )
        )
    found = session.execute(query).all()
    rows = [
        InboxRow(r.id, r.received_on, r.state, r.display_name, r.envelope_count, r.path)
        for r in found[:limit]
    ]
    by_id = {row.id: row for row in rows}
    if by_id:
        tags = session.execute(
            select(SubmissionTag.submission_id, Tag.name)
            .join(Tag, Tag.id == SubmissionTag.tag_id)
            .where(SubmissionTag.submission_id.in_(list(by_id)))
            .order_by(Tag.name)
        )
        for submission_id, name in tags:
            by_id[submission_id].tags.append(name)
    cursor = None
    if len(found) > limit:
        last = rows[-1]
        cursor = f"{last.received_on.isoformat()}.{last.id}"
    return rows, cursor


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _parse_cursor(text: str) -> tuple[date, str] | None:
    day_text, _dot, last_id = text.partition(".")
    day = _parse_date(day_text)
    if day is None or not last_id or len(last_id) > 32:
        return None
    return day, last_id


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
        )
    )


@bp.get("/inbox/", endpoint="inbox_slash")
@requires("reviewer", key=True)
def inbox_with_slash() -> Response:
    """The inbox reached as the records and dossier lists are written, with a trailing slash."""
    query = request.query_string.decode("ascii", "replace")
    return redirect(url_for(".inbox") + (f"?{query}" if query else ""), code=308)


# ---- One submission -----------------------------------------------------------------------------------


def _submission_or_404(session: Session, submission_id: str) -> Submission:
    submission = session.get(Submission, submission_id)
    if submission is None:
        abort(404)
    return submission


def _sodium_scripts() -> list[dict[str, str]]:
    scripts = [
        url_for("assets.vendor", name="libsodium-sumo.js"),
        url_for("assets.vendor", name="libsodium-wrappers-sumo.js"),
        url_for("assets.crypto_js", name="sori-envelope.js"),
    ]
    return [{"src": versioned(src), "integrity": sri(src)} for src in scripts]


def _url_or(endpoint: str, fallback: str, **values: Any) -> str:
    """``url_for`` of a route another module adds, or a fixed path while that module is not there yet."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return fallback


def answer_labels() -> dict[str, Any]:
    """The translated labels reviewer-read.js shows beside the answers: field names, then the values of the
    fields that hold a code (who is telling, when, violations, consent)."""
    yes_no = {"yes": _("Yes"), "no": _("No")}
    locale = get_locale().language
    fields = {
        "submitter": _("Who is telling this account?"),
        "on_behalf_of": _(
            "If you are entering someone else's account: a pseudonym or initials for that person "
            "(never their real name)"
        ),
        "what_happened": _("What happened?"),
        "when_kind": _("When did it happen?"),
        "when_date": _("The day"),
        "when_year": _("Year"),
        "when_month": _("Month"),
        "when_season": _("Season"),
        "when_from_year": _("From (year)"),
        "when_from_month": _("month"),
        "when_to_year": _("To (year)"),
        "when_to_month": _("month"),
        "where_facility": _(
            "The place, as you knew it (for example the holding centre, detention centre or camp)"
        ),
        "where_division": _("Province and city or county"),
        "where_other": _("Anything else about the place"),
        "violations": _("What was done? Choose all that apply."),
    }
    values: dict[str, dict[str, str]] = {
        "submitter": {k: str(v) for k, v in answers.SUBMITTERS.items()},
        "when_kind": {k: str(v) for k, v in answers.WHEN_KINDS.items()},
        "when_season": {k: str(v) for k, v in answers.SEASONS.items()},
        "violations": {k: str(v) for k, v in answers.VIOLATIONS.items()},
        # The place picker sends a code; reviewers read "함경북도 회령시" / "Hoeryong, North Hamgyong".
        "where_division": {
            code: divisions.label(code, locale)
            for _province, entries in divisions.choices(locale)
            for code, _name in entries
        },
    }
    for name, (title, _text) in answers.CONSENTS.items():
        fields[name] = str(title)
        values[name] = yes_no
    return {
        "fields": fields,
        "values": values,
        "person": {
            "heading": _("Person %(n)s", n="{n}"),
            "name": _("Name or nickname"),
            "position": _("Position or rank"),
            "unit": _("Unit or office"),
            "description": _("Description"),
        },
    }


@bp.get("/submissions/<submission_id>")
@requires("reviewer", key=True)
def submission_view(submission_id: str) -> Response:
    return _submission_page(submission_id)


def _submission_page(submission_id: str, error: str | None = None, status: int = 200) -> Response:
    session = db.session()
    submission = _submission_or_404(session, submission_id)
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
            reader={
                "sodium": _sodium_scripts(),
                "identity_url": _url_or("reviewer_keys.fetch_my_key", "/reviewer/api/keys/mine"),
                "grant_url": "/reviewer/api/envelopes/{id}/grant",
                "reauth_url": _url_or("reviewer_auth.reauth", f"/reviewer/reauth?next={here}", next=here),
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
        "key_ids": json.loads(envelope.recipient_key_ids),
        "url": url_for(".envelope_fetch", envelope_id=envelope.id),
        "export_url": url_for(".envelope_export", envelope_id=envelope.id),
    }


# ---- Triage -------------------------------------------------------------------------------------------


def _after_change(submission: Submission) -> Response:
    return redirect(url_for(".submission_view", submission_id=submission.id), code=303)


@bp.post("/submissions/<submission_id>/state")
@requires("reviewer", key=True)
def state_change(submission_id: str) -> Response:
    session = db.session()
    submission = _submission_or_404(session, submission_id)
    try:
        outcome = triage.change_state(
            session,
            submission,
            request.form.get("to", ""),
            g.user,
            duplicate_of=request.form.get("duplicate_of"),
        )
    except triage.TriageError as error:
        session.rollback()
        return _submission_page(submission_id, error.code, 409)
    session.commit()
    if outcome.kind == "proposed":
        flash(_("Proposed as verified. A second reviewer must confirm it."))
    return _after_change(submission)


@bp.post("/submissions/<submission_id>/assign")
@requires("reviewer", key=True)
def assign(submission_id: str) -> Response:
    session = db.session()
    submission = _submission_or_404(session, submission_id)
    choice = request.form.get("assignee", "")
    assignee: User | None = None
    if choice == "me":
        assignee = g.user
    elif choice.isdigit():
        assignee = session.get(User, int(choice))
        if assignee is None:
            return _submission_page(submission_id, "bad_assignee", 409)
    elif choice:
        return _submission_page(submission_id, "bad_assignee", 409)
    try:
        triage.assign(session, submission, assignee, g.user)
    except triage.TriageError as error:
        session.rollback()
        return _submission_page(submission_id, error.code, 409)
    session.commit()
    return _after_change(submission)


@bp.post("/submissions/<submission_id>/tags")
@requires("reviewer", key=True)
def tag_add(submission_id: str) -> Response:
    session = db.session()
    submission = _submission_or_404(session, submission_id)
    try:
        triage.add_tag(session, submission, request.form.get("tag", ""), g.user)
    except triage.TriageError as error:
        session.rollback()
        return _submission_page(submission_id, error.code, 409)
    session.commit()
    return _after_change(submission)


@bp.post("/submissions/<submission_id>/tags/<int:tag_id>/remove")
@requires("reviewer", key=True)
def tag_remove(submission_id: str, tag_id: int) -> Response:
    session = db.session()
    submission = _submission_or_404(session, submission_id)
    triage.remove_tag(session, submission, tag_id, g.user)
    session.commit()
    return _after_change(submission)


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


def _envelope_or_404(session: Session, envelope_id: int) -> Envelope:
    envelope = session.get(Envelope, envelope_id)
    if envelope is None:
        abort(404)
    return envelope


@bp.get("/api/envelopes/<int:envelope_id>")
@requires("reviewer", key=True)
def envelope_fetch(envelope_id: int) -> Response:
    """The envelope's ciphertext, streamed from the blob store or its row."""
    session = db.session()
    envelope = _envelope_or_404(session, envelope_id)
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
    envelope = _envelope_or_404(session, envelope_id)
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
