"""The pages sources see: welcome, the testimony form, who can read it, receipts, and the upload endpoints.

Three paths end in the same envelope (docs/source-intake.md): the browser encrypts and sends it in one
request (``/api/submissions``) or, when large, in pieces (``/api/uploads``); or the form posts to
``/submit`` and is sealed in memory as it streams in. A receipt is shown only once the envelope is durably
stored (in its row, or flushed into the blob store) and its row committed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from core import answers, db, divisions, receipts, request_bodies, submissions
from core.assets import sri, versioned
from core.models import Submission
from core.security import csrf
from crypto.envelope import CHUNK, FramingChecker
from crypto.errors import CryptoError
from intake import uploads
from intake.form_sealing import Controls, FormRefused, seal_form

bp = Blueprint("source", __name__)

_throttle = receipts.Throttle()

#: Where a submission stands, as its source is told: never more than these three words.
STATUS_LABELS: dict[str, Callable[[], str]] = {
    "received": lambda: _("Received, waiting to be read"),
    "in_review": lambda: _("Being reviewed"),
    "reviewed": lambda: _("Reviewed"),
}

REFUSALS: dict[str, Callable[[], str]] = {
    "csrf": lambda: _(
        "This form was open too long or was sent from another page, so for your safety it was not accepted. "
        "Open the form again and send it once more."
    ),
    "no_recipients": lambda: _("No reviewer can receive accounts at the moment. Please try again later."),
    "unknown_receipt": lambda: _("This receipt is not known. Come back with your receipt and try again."),
    "empty": lambda: _("The form was empty. Write what happened or choose a file, then send it."),
    "too_much_text": lambda: _("The text is too long to send at once. Send it in parts, using your receipt."),
    "bad_form": lambda: _("The form could not be read. Open the form again and send it once more."),
    "recipients_changed": lambda: _(
        "The reviewers changed while you were sending. Please send it once more."
    ),
    "too_large": lambda: _("The files are too large to send together. Remove some files and send again."),
    "bad_envelope": lambda: _("The encrypted account arrived damaged. Please send it once more."),
    "unknown_upload": lambda: _("This upload is no longer open. Please send it once more."),
    "uploads_full": lambda: _(
        "Many people are sending at the moment, so the upload could not begin. Please try again in a minute."
    ),
    "offset": lambda: _("Part of the upload was lost on the way; the page will resend it."),
}


def _no_store(response: Response) -> Response:
    # Forms and receipts must not linger in a shared or seized browser's cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(template: str, status: int = 200, **context: Any) -> Response:
    return _no_store(Response(render_template(template, **context), status=status))


def _intake_context() -> dict[str, Any]:
    """What the forms' browser script needs: recipient keys, receipt salt, limits, libsodium's scripts."""
    session = db.session()
    max_bytes = current_app.config["MAX_CONTENT_LENGTH"]
    scripts = [
        url_for("assets.vendor", name="libsodium-sumo.js"),
        url_for("assets.vendor", name="libsodium-wrappers-sumo.js"),
        url_for("assets.crypto_js", name="sori-envelope.js"),
    ]
    return {
        "recipients": [key.text for key in submissions.recipient_keys(session)],
        "receipt_salt": receipts.encode_key(submissions.receipt_salt(session)),
        "max_bytes": max_bytes,
        "single_max_bytes": uploads.PIECE_BYTES,
        "max_size_label": _size_label(max_bytes),
        "sodium": [{"src": versioned(src), "integrity": sri(src)} for src in scripts],
    }


def _size_label(size: int) -> str:
    gib, mib = 1024**3, 1024**2
    if size >= gib:
        return _("%(num)s GB", num=format_decimal(round(size / gib, 1)))
    return _("%(num)s MB", num=format_decimal(round(size / mib, 1)))


@bp.get("/")
def home() -> str:
    return render_template("home.html")


@bp.get("/readers")
def readers() -> str:
    keys = submissions.recipient_keys(db.session())
    return render_template("source/readers.html", fingerprints=[key.fingerprint for key in keys])


@bp.get("/submit")
def submit_form() -> Response:
    return _page(
        "source/submit.html",
        intake=_intake_context(),
        submitters=answers.SUBMITTERS,
        when_kinds=answers.WHEN_KINDS,
        seasons=answers.SEASONS,
        violations=answers.VIOLATIONS,
        consents=answers.CONSENTS,
        person_blocks=answers.PERSON_BLOCKS,
        divisions=divisions.choices(get_locale().language),
    )


@bp.post("/submit")
@csrf.exempt  # checked by authorise() before anything is sealed: CSRFProtect would parse (spool) the files
@request_bodies.upload_slot
def submit() -> Response:
    """The server path: seal the posted form as it streams in, then show the receipt."""
    boundary = request.mimetype_params.get("boundary", "").encode("latin-1")
    if request.mimetype != "multipart/form-data" or not boundary:
        return _refused("bad_form", 400)
    session = db.session()
    keys = submissions.recipient_keys(session)
    if not keys:
        return _refused("no_recipients", 409)
    db.release()  # no database connection is held while the form streams in
    found: list[Submission] = []

    def authorise(controls: Controls) -> None:
        try:
            validate_csrf(controls.csrf_token)
        except ValidationError as exc:
            raise FormRefused("csrf") from exc
        if controls.follow_up_key is not None:
            submission = submissions.find_by_receipt_key(session, receipts.decode_key(controls.follow_up_key))
            if submission is None:
                raise FormRefused("unknown_receipt")
            found.append(submission)
        db.release()

    try:
        with submissions.blob_store().writing() as pending:
            sealed = seal_form(
                request.stream, boundary, keys, pending.file, lang=get_locale().language, authorise=authorise
            )
            if found:
                submissions.add_envelope(
                    session, found[0].id, pending, sealed.size, sealed.key_ids, path="server"
                )
                return _page("source/added.html")
            digits = receipts.new_receipt()
            receipt_key = receipts.derive_key(digits, submissions.receipt_salt(session))
            submissions.new_submission(
                session, receipt_key, pending, sealed.size, sealed.key_ids, path="server"
            )
    except FormRefused as refusal:
        _drain()
        return _refused(refusal.code, 403 if refusal.code in ("csrf", "unknown_receipt") else 400)
    return _page("source/receipt.html", receipt=receipts.grouped(digits))


def _drain() -> None:
    """Read what is left of a refused request, so the browser gets our page rather than a broken
    connection; nothing read is kept."""
    while request.stream.read(65536):
        pass


def _refused(code: str, status: int) -> Response:
    return _page("source/refused.html", status=status, message=REFUSALS[code]())


@bp.route("/status", methods=["GET", "POST"])
def status() -> Response:
    """Come back with a receipt: see where the submission stands and add to it."""
    if request.method == "GET":
        return _page("source/status.html", submission=None, intake=_intake_context(), error=None)
    if _throttle.blocked():
        return _status_error(
            _("Too many wrong receipts were tried. Please wait a few minutes and try again."), 429
        )
    session = db.session()
    receipt_key = receipts.decode_key(request.form.get("receipt_key"))
    if receipt_key is None:
        digits = receipts.normalize(request.form.get("receipt", ""))
        if digits is None:
            return _status_error(_("A receipt has 16 digits. Check what you typed and try again."), 400)
        receipt_key = receipts.derive_key(digits, submissions.receipt_salt(session))
    submission = submissions.find_by_receipt_key(session, receipt_key)
    if submission is None:
        _throttle.failed()
        return _status_error(_("This receipt is not known. Check what you typed and try again."), 403)
    return _page(
        "source/status.html",
        submission=submission,
        status_label=STATUS_LABELS[submission.source_status](),
        envelope_count=len(submission.envelopes),
        follow_up_key=receipts.encode_key(receipt_key),
        intake=_intake_context(),
    )


def _status_error(message: str, status: int) -> Response:
    return _page(
        "source/status.html", status=status, submission=None, intake=_intake_context(), error=message
    )


def _api_error(code: str, status: int, **extra: Any) -> Response:
    response = jsonify(error=code, message=REFUSALS[code](), **extra)
    response.status_code = status
    return _no_store(response)


@bp.post("/api/uploads")
def upload_start() -> Response:
    """Begin the browser path's upload of an envelope of an announced size."""
    body = request.get_json(silent=True)
    size = body.get("size") if isinstance(body, dict) else None
    if type(size) is not int:
        return _api_error("bad_form", 400)
    if not submissions.recipient_keys(db.session()):
        return _api_error("no_recipients", 409)
    config = current_app.config
    try:
        upload_id = uploads.start(
            submissions.blob_store(), size, config["MAX_CONTENT_LENGTH"], config["SORI_OPEN_UPLOADS"]
        )
    except uploads.TooManyUploads as exc:
        response = _api_error(exc.code, 503)
        response.headers["Retry-After"] = "60"
        return response
    except uploads.UploadError as exc:
        return _api_error(exc.code, 413 if isinstance(exc, uploads.UploadTooLarge) else 400)
    response = jsonify(id=upload_id, piece_bytes=uploads.PIECE_BYTES)
    response.status_code = 201
    return _no_store(response)


@bp.put("/api/uploads/<upload_id>")
@request_bodies.upload_slot
def upload_piece(upload_id: str) -> Response:
    """Append one piece of ciphertext at the offset the browser names."""
    try:
        offset = int(request.headers.get("X-Upload-Offset", ""))
    except ValueError:
        return _api_error("bad_form", 400)
    try:
        received = uploads.append(submissions.blob_store(), upload_id, offset, request.stream)
    except uploads.OffsetMismatch as exc:
        return _api_error("offset", 409, received=exc.received)
    except uploads.UnknownUpload:
        return _api_error("unknown_upload", 404)
    except uploads.UploadTooLarge:
        return _api_error("too_large", 413)
    return _no_store(jsonify(received=received))


@bp.post("/api/uploads/<upload_id>/finish")
def upload_finish(upload_id: str) -> Response:
    """Check the complete envelope, store it and commit its row: after this answer, the receipt counts."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _api_error("bad_form", 400)
    claim = _claim(body.get("follow_up_key"), body.get("receipt_key"))
    if isinstance(claim, Response):
        return claim
    store = submissions.blob_store()
    try:
        path, header, size = uploads.finish(store, upload_id)
        submissions.check_recipients(db.session(), header.key_ids)
    except uploads.UnknownUpload:
        return _api_error("unknown_upload", 404)
    except uploads.BadEnvelope:
        uploads.discard(store, upload_id)
        return _api_error("bad_envelope", 400)
    except submissions.RecipientsChanged:
        uploads.discard(store, upload_id)
        return _api_error("recipients_changed", 409)
    return _store_browser_envelope(claim, store.adopt(path), size, header.key_ids)


@bp.post("/api/submissions")
@request_bodies.upload_slot
def submit_envelope() -> Response:
    """The browser path in one request, for an envelope no larger than one upload piece (most accounts):
    one round trip over Tor instead of three. The body is the envelope; the receipt or follow-up key
    comes in the ``X-Receipt-Key`` or ``X-Follow-Up-Key`` header."""
    size = request.content_length
    if size is None or size > uploads.PIECE_BYTES:
        return _api_error("too_large", 413)
    claim = _claim(request.headers.get("X-Follow-Up-Key"), request.headers.get("X-Receipt-Key"))
    if isinstance(claim, Response):
        return claim
    db.release()  # no database connection is held while the envelope streams in
    if size <= submissions.INLINE_MAX:
        # Small enough to keep in its row: no file to create, one commit makes it durable.
        envelope = request.stream.read(size)
        return _check_and_store(claim, lambda checker: checker.feed(envelope), envelope)
    with submissions.blob_store().writing() as pending:

        def copy(checker: FramingChecker) -> None:
            while piece := request.stream.read(CHUNK):
                checker.feed(piece)
                pending.file.write(piece)

        return _check_and_store(claim, copy, pending)


def _check_and_store(
    claim: str | bytes, feed: Callable[[FramingChecker], None], ciphertext: submissions.Ciphertext
) -> Response:
    """Check an envelope's framing and recipients as ``feed`` hands it over, then store it for ``claim``."""
    checker = FramingChecker()
    try:
        feed(checker)
        header = checker.finish()
        submissions.check_recipients(db.session(), header.key_ids)
    except CryptoError:
        return _api_error("bad_envelope", 400)
    except submissions.RecipientsChanged:
        return _api_error("recipients_changed", 409)
    return _store_browser_envelope(claim, ciphertext, checker.size, header.key_ids)


def _claim(follow_up_text: object, receipt_text: object) -> str | bytes | Response:
    """What a browser envelope joins: the id of the submission a follow-up key opens, or a new receipt
    key; an error answer otherwise."""
    if follow_up_text is not None:
        follow_up = submissions.find_by_receipt_key(db.session(), receipts.decode_key(_text(follow_up_text)))
        return follow_up.id if follow_up is not None else _api_error("unknown_receipt", 403)
    receipt_key = receipts.decode_key(_text(receipt_text))
    return receipt_key if receipt_key is not None else _api_error("bad_form", 400)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _store_browser_envelope(
    claim: str | bytes, ciphertext: submissions.Ciphertext, size: int, key_ids: tuple[bytes, ...]
) -> Response:
    session = db.session()
    if isinstance(claim, str):
        submissions.add_envelope(session, claim, ciphertext, size, key_ids, path="browser")
    else:
        try:
            submissions.new_submission(session, claim, ciphertext, size, key_ids, path="browser")
        except submissions.ReceiptInUse:
            # A receipt key already in use would link two sources' accounts: never accept it.
            return _api_error("bad_form", 400)
    response = jsonify(status_url=url_for("source.status"))
    response.status_code = 201
    return _no_store(response)
