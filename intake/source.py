"""The pages a source meets first: welcome, who can read an account, the testimony form, and the server path
that seals a posted form in memory as it streams in (docs/source-intake.md).

A receipt is shown only once the envelope is durably stored (in its row, or flushed into the blob store)
and its row committed. The browser path is intake/browser_api.py; coming back with a receipt is
intake/status.py.
"""

from __future__ import annotations

from flask import Response, request
from flask_babel import get_locale
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from core import (
    answers,
    db,
    divisions,
    form_nonces,
    hashing,
    receipts,
    recipients,
    request_bodies,
    submissions,
)
from core.models import Submission
from core.security import csrf
from crypto.keys import PublicKey
from intake.form_sealing import Controls, FormRefused, seal_form
from intake.responses import (
    bp,
    drain,
    expired,
    form_keys,
    intake_context,
    page,
    refused,
    shared_page,
    wrong_receipt_code,
)


@bp.get("/")
def home() -> Response:
    return shared_page("home.html")


@bp.get("/readers")
def readers() -> Response:
    keys = recipients.active_texts(db.session())
    return shared_page(
        "source/readers.html",
        vary=keys,
        context=lambda: {"fingerprints": [PublicKey.parse(text).fingerprint for text in keys]},
    )


@bp.get("/submit")
def submit_form() -> Response:
    return shared_page(
        "source/submit.html",
        vary=form_keys(),
        context=lambda: {
            "intake": intake_context(),
            "submitters": answers.SUBMITTERS,
            "when_kinds": answers.WHEN_KINDS,
            "seasons": answers.SEASONS,
            "violations": answers.VIOLATIONS,
            "consents": answers.CONSENTS,
            "person_blocks": answers.PERSON_BLOCKS,
            "divisions": divisions.choices(get_locale().language),
        },
    )


@bp.post("/submit")
@csrf.exempt  # checked by authorise() before anything is sealed: CSRFProtect would parse (spool) the files
@request_bodies.upload_slot
def submit() -> Response:
    """The server path: seal the posted form as it streams in, then show the receipt."""
    boundary = request.mimetype_params.get("boundary", "").encode("latin-1")
    if request.mimetype != "multipart/form-data" or not boundary:
        return refused("bad_form")
    session = db.session()
    keys = submissions.recipient_keys(session)
    if not keys:
        return refused("no_recipients")
    db.release()  # no database connection is held while the form streams in
    found: list[Submission] = []
    nonce: list[bytes] = []

    def authorise(controls: Controls) -> None:
        try:
            validate_csrf(controls.csrf_token)
        except ValidationError as exc:
            raise FormRefused("csrf") from exc
        form_nonce = form_nonces.parse(controls.form_nonce)
        if form_nonce is None or form_nonces.is_spent(session, form_nonce):
            raise FormRefused("expired")
        nonce.append(form_nonce)
        if controls.follow_up_key is not None:
            submission = submissions.find_by_lookup_key(session, receipts.decode_key(controls.follow_up_key))
            if submission is None:
                raise FormRefused(wrong_receipt_code())
            found.append(submission)
        else:
            # A new account needs a receipt derived here: refused now, before anything is sealed, if the
            # receipt queue is full (a flood); the form stays as it was, to be sent again.
            receipts.admit()
        db.release()

    try:
        with submissions.blob_store().writing() as pending:
            sealed = seal_form(
                request.stream, boundary, keys, pending.file, lang=get_locale().language, authorise=authorise
            )
            if found:
                submissions.add_envelope(
                    session, found[0].id, pending, sealed.size, sealed.key_ids, path="server", nonce=nonce[0]
                )
                return page("source/added.html", not_cleaned=sealed.not_cleaned)
            # The body is in: waiting for the receipt's turn must not keep others' uploads out.
            request_bodies.give_back_upload_slot()
            digits = receipts.new_receipt()
            receipt = receipts.derive(digits, submissions.receipt_salt(session))
            submissions.new_submission(
                session,
                receipt.lookup_key,
                pending,
                sealed.size,
                sealed.key_ids,
                path="server",
                source_public_key=receipt.identity.public_key.text,
                nonce=nonce[0],
            )
    except FormRefused as refusal:
        drain()
        return expired() if refusal.code == "expired" else refused(refusal.code)
    except hashing.Busy:
        drain()  # so that the browser shows the page saying to try again, not a broken connection
        raise
    except form_nonces.NonceSpent:
        return expired()
    return page("source/receipt.html", receipt=receipts.grouped(digits), not_cleaned=sealed.not_cleaned)
