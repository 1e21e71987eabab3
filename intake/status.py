"""Coming back with a receipt (docs/source-intake.md, "Coming back"): where the testimony stands, the whole
conversation with the reviewers, the form to answer or add more, and the source's choices (withdraw,
change consent, ask for deletion), each confirmed on a second page.

Two ways in, one page:
- With JavaScript and WebAssembly the browser derives the receipt's keys, posts the lookup key and the
  source's public key to ``/api/status``, gets the page's part as HTML with the reviewers' messages still
  sealed, and opens them itself with the source's key, which never leaves it.
- Without them the form posts the 16 digits to ``/status``; the server derives the keys in memory for this
  one request, opens the messages, renders them and forgets (the page says so in plain words).

Every post here is single-use (core/form_nonces.py). A wrong receipt is counted for the whole instance and
answered alike on every path (core/receipts.py); a right one is always answered, and the receipt of a
deleted testimony is told that it was deleted, and when (core/tombstones.py).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

from flask import Response, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core import conversation, db, form_nonces, receipts, source_choices, submissions, tombstones
from core.answers import CONSENTS
from core.models import Envelope, Submission
from crypto.envelope import decrypt_all
from crypto.errors import CryptoError
from crypto.keys import Identity, PublicKey
from intake.responses import (
    REFUSALS,
    STATUS_LABELS,
    STATUSES,
    api_error,
    bp,
    expired,
    form_keys,
    intake_context,
    no_store,
    page,
    shared_page,
    wrong_receipt_code,
)

#: The choices a source may make from the status page, each confirmed on a second page.
CHOICES = ("withdraw", "consent", "delete")


@dataclass(frozen=True)
class Message:
    """One entry of the conversation as the status page shows it: the source's own (only its day), or a
    reviewer's, opened (``text``, server path) or still sealed (``sealed``, for the source's browser)."""

    entry: conversation.Entry
    text: str | None = None
    sealed: str | None = None
    unreadable: bool = False


@bp.get("/status")
def status_form() -> Response:
    return shared_page(
        "source/status.html",
        vary=form_keys(),
        context=lambda: {"result": None, "intake": intake_context(), "error": None},
    )


@bp.post("/status")
def status() -> Response:
    """The server path: the 16 digits posted, the keys derived here for this request only."""
    session = db.session()
    nonce = form_nonces.parse(request.form.get("form_nonce"))
    if nonce is None or form_nonces.is_spent(session, nonce):
        return expired()
    digits = receipts.normalize(request.form.get("receipt", ""))
    if digits is None:
        return _status_error(_("A receipt has 16 digits. Check what you typed and try again."), 400)
    receipts.admit()
    db.release()  # no database connection is held while the receipt waits for its turn
    keys = receipts.derive(digits, submissions.receipt_salt(session))
    submission = submissions.find_by_receipt(session, keys)
    if not _spend(session, nonce):
        return expired()
    if submission is None:
        deleted_on = tombstones.deleted_on(session, [receipts.stored_hash(keys.lookup_key), keys.legacy_hash])
        if deleted_on is not None:
            return page("source/status.html", result=None, deleted_on=deleted_on, intake=intake_context())
        code = wrong_receipt_code()
        return _status_error(REFUSALS[code](), STATUSES[code])
    submissions.learn_source_key(submission, keys.identity.public_key.text)
    context = _result(session, submission, keys.lookup_key, opener=keys.identity)
    return page("source/status.html", result=context, intake=intake_context(), error=None)


@bp.post("/api/status")
def status_api() -> Response:
    """The browser path: the lookup key and the source's public key (or, for a receipt issued before the
    lookup key existed, the digits: FORMAT.md 6.3); answers the page's part with the messages sealed."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return api_error("bad_form", form_nonce=form_nonces.new())
    session = db.session()
    nonce = form_nonces.parse(body.get("form_nonce"))
    if nonce is None or form_nonces.is_spent(session, nonce):
        return api_error("expired", 409)
    lookup_key = receipts.decode_key(
        body.get("lookup_key") if isinstance(body.get("lookup_key"), str) else None
    )
    try:
        source_key = (
            PublicKey.parse(body["source_key"]).text if isinstance(body.get("source_key"), str) else None
        )
    except CryptoError:
        return api_error("bad_form")
    if lookup_key is None or source_key is None:
        return api_error("bad_form")
    submission = submissions.find_by_lookup_key(session, lookup_key)
    digits = receipts.normalize(_text(body.get("receipt")) or "")
    stored_hashes = [receipts.stored_hash(lookup_key)]
    if submission is None and digits is not None:
        receipts.admit()
        keys = receipts.derive(digits, submissions.receipt_salt(session))
        if keys.lookup_key == lookup_key:
            submission = submissions.find_by_receipt(session, keys)
            stored_hashes.append(keys.legacy_hash)
    if not _spend(session, nonce):
        return api_error("expired", 409)
    deleted_on = tombstones.deleted_on(session, stored_hashes) if submission is None else None
    if deleted_on is not None:
        return no_store(jsonify(html=render_template("source/_status_deleted.html", deleted_on=deleted_on)))
    if submission is None:
        # Whether receipts issued before the lookup key still wait is the same for every receipt; the fresh
        # nonce is for the next try on the same page.
        return api_error(
            wrong_receipt_code(),
            legacy=submissions.has_legacy_receipts(session),
            form_nonce=form_nonces.new(),
        )
    submissions.learn_source_key(submission, source_key)
    context = _result(session, submission, lookup_key, opener=None)
    html = render_template("source/_status_result.html", result=context, intake=intake_context())
    return no_store(jsonify(html=html))


@bp.post("/status/choice")
def choice() -> Response:
    """The second page of a choice: what it means, and the button that confirms it."""
    session = db.session()
    found = _choice_target(session)
    if isinstance(found, Response):
        return found
    submission, chosen, follow_up_key = found
    if not _spend(session, form_nonces.parse(request.form.get("form_nonce"))):
        return expired()
    return page(
        "source/choice.html",
        choice=chosen,
        follow_up_key=follow_up_key,
        consents=CONSENTS,
        current=source_choices.consent_of(submission),
    )


@bp.post("/status/choice/confirm")
def choice_confirm() -> Response:
    """Apply a confirmed choice, spending the form's nonce in the same transaction."""
    session = db.session()
    found = _choice_target(session)
    if isinstance(found, Response):
        return found
    submission, chosen, _follow_up_key = found
    if chosen == "withdraw":
        source_choices.withdraw(session, submission)
    elif chosen == "consent":
        given = {scope: request.form.get(scope) == "yes" for scope in CONSENTS}
        source_choices.set_consent(session, submission, given)
    else:
        source_choices.request_deletion(session, submission)
    if not _spend(session, form_nonces.parse(request.form.get("form_nonce"))):
        return expired()
    return page("source/choice_done.html", choice=chosen)


def _choice_target(session: Session) -> tuple[Submission, str, str] | Response:
    nonce = form_nonces.parse(request.form.get("form_nonce"))
    if nonce is None or form_nonces.is_spent(session, nonce):
        return expired()
    chosen = request.form.get("choice", "")
    follow_up_key = request.form.get("follow_up_key", "")
    if chosen not in CHOICES:
        return page("source/refused.html", status=400, message=REFUSALS["bad_form"]())
    submission = submissions.find_by_lookup_key(session, receipts.decode_key(follow_up_key))
    if submission is None:
        code = wrong_receipt_code()
        return page("source/refused.html", status=STATUSES[code], message=REFUSALS[code]())
    return submission, chosen, follow_up_key


def _spend(session: Session, nonce: bytes | None) -> bool:
    """Spend a form's nonce with whatever the request changed, and commit; ``False`` if it was spent."""
    if nonce is None:
        return False
    try:
        form_nonces.spend(session, nonce)
        session.commit()
    except form_nonces.NonceSpent:
        session.rollback()
        return False
    return True


def _result(
    session: Session, submission: Submission, lookup_key: bytes, *, opener: Identity | None
) -> dict[str, Any]:
    """What the status page's result shows; the source has now seen every message (committed)."""
    entries = conversation.thread(session, submission)
    messages = [_message(session, entry, opener) for entry in entries]
    context = {
        "submission": submission,
        "status_label": STATUS_LABELS[submission.source_status](),
        "messages": messages,
        "new_count": sum(1 for entry in entries if entry.new_to_source),
        "follow_up_key": receipts.encode_key(lookup_key),
        "opened_here": opener is not None,
        "withdrawn": submission.state == "withdrawn",
        "deletion_requested_on": submission.deletion_requested_on,
        "consent": source_choices.consent_of(submission),
    }
    conversation.mark_seen(submission, entries)
    session.commit()
    return context


def _message(session: Session, entry: conversation.Entry, opener: Identity | None) -> Message:
    """A conversation entry for the page: a reviewer's message sealed for the browser, or opened here."""
    if entry.kind != "reviewer":
        return Message(entry)
    envelope = session.get(Envelope, entry.envelope_id)
    with submissions.open_envelope(envelope) as file:
        data = file.read(conversation.MESSAGE_MAX_BYTES + 1)
    if opener is None:
        return Message(entry, sealed=base64.b64encode(data).decode("ascii"))
    try:
        for info, content in decrypt_all(io.BytesIO(data), opener):
            if info.name == conversation.MESSAGE_PART:
                return Message(entry, text=content.decode("utf-8", "replace"))
    except CryptoError:
        pass
    return Message(entry, unreadable=True)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _status_error(message: str, status: int) -> Response:
    return page("source/status.html", status=status, result=None, intake=intake_context(), error=message)
