"""The browser path's endpoints (docs/source-intake.md, "Upload protocol"): the source's browser encrypts and
sends the envelope in one request (``/api/submissions``) or, when large, in pieces (``/api/uploads``).

Every envelope is checked (framing, recipients) before anything about its receipt is looked up, so that an
unknown follow-up key is answered alike whatever the body: a key cannot be tested with a garbage body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, current_app, jsonify, request, url_for

from core import db, form_nonces, receipts, request_bodies, submissions
from crypto.envelope import CHUNK
from crypto.errors import CryptoError
from crypto.framing import FramingChecker
from crypto.keys import PublicKey
from intake import uploads
from intake.responses import api_error, bp, no_store, wrong_receipt_code


@bp.post("/api/uploads")
def upload_start() -> Response:
    """Begin the browser path's upload of an envelope of an announced size."""
    body = request.get_json(silent=True)
    size = body.get("size") if isinstance(body, dict) else None
    if type(size) is not int:
        return api_error("bad_form")
    if not submissions.recipient_keys(db.session()):
        return api_error("no_recipients")
    config = current_app.config
    try:
        upload_id = uploads.start(
            submissions.blob_store(), size, config["MAX_CONTENT_LENGTH"], config["SORI_OPEN_UPLOADS"]
        )
    except uploads.TooManyUploads as exc:
        response = api_error(exc.code, 503)
        response.headers["Retry-After"] = "60"
        return response
    except uploads.UploadError as exc:
        return api_error(exc.code, 413 if isinstance(exc, uploads.UploadTooLarge) else 400)
    response = jsonify(id=upload_id, piece_bytes=uploads.PIECE_BYTES)
    response.status_code = 201
    return no_store(response)


@bp.put("/api/uploads/<upload_id>")
@request_bodies.upload_slot
def upload_piece(upload_id: str) -> Response:
    """Append one piece of ciphertext at the offset the browser names."""
    try:
        offset = int(request.headers.get("X-Upload-Offset", ""))
    except ValueError:
        return api_error("bad_form")
    try:
        received = uploads.append(submissions.blob_store(), upload_id, offset, request.stream)
    except uploads.OffsetMismatch as exc:
        return api_error("offset", 409, received=exc.received)
    except uploads.UnknownUpload:
        return api_error("unknown_upload", 404)
    except uploads.UploadTooLarge:
        return api_error("too_large", 413)
    return no_store(jsonify(received=received))


@bp.post("/api/uploads/<upload_id>/finish")
def upload_finish(upload_id: str) -> Response:
    """Check the complete envelope, store it and commit its row: after this answer, the receipt counts."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return api_error("bad_form")
    nonce = _fresh_nonce(body.get("form_nonce"))
    if isinstance(nonce, Response):
        return nonce
    store = submissions.blob_store()
    try:
        path, header, size = uploads.finish(store, upload_id)
        submissions.check_recipients(db.session(), header.key_ids)
    except uploads.UnknownUpload:
        return api_error("unknown_upload", 404)
    except uploads.BadEnvelope:
        uploads.discard(store, upload_id)
        return api_error("bad_envelope")
    except submissions.RecipientsChanged:
        uploads.discard(store, upload_id)
        return api_error("recipients_changed", 409)
    claim = _claim(body.get("follow_up_key"), body.get("receipt_key"), body.get("source_key"), nonce)
    if isinstance(claim, Response):
        uploads.discard(store, upload_id)
        return claim
    return _store(claim, store.adopt(path), size, header.key_ids)


@bp.post("/api/submissions")
@request_bodies.upload_slot
def submit_envelope() -> Response:
    """The browser path in one request, for an envelope no larger than one upload piece (most accounts):
    one round trip over Tor instead of three. The body is the envelope; the receipt's lookup key and the
    source's public key, or the follow-up key, come in the ``X-Receipt-Key`` and ``X-Source-Key`` or the
    ``X-Follow-Up-Key`` header, the form's nonce in ``X-Form-Nonce``."""
    size = request.content_length
    if size is None or size > uploads.PIECE_BYTES:
        return api_error("too_large", 413)
    nonce = _fresh_nonce(request.headers.get("X-Form-Nonce"))
    if isinstance(nonce, Response):
        return nonce
    db.release()  # no database connection is held while the envelope streams in
    if size <= submissions.INLINE_MAX:
        # Small enough to keep in its row: no file to create, one commit makes it durable.
        envelope = request.stream.read(size)
        return _check_and_store(nonce, lambda checker: checker.feed(envelope), envelope)
    with submissions.blob_store().writing() as pending:

        def copy(checker: FramingChecker) -> None:
            while piece := request.stream.read(CHUNK):
                checker.feed(piece)
                pending.file.write(piece)

        return _check_and_store(nonce, copy, pending)


def _check_and_store(
    nonce: bytes, feed: Callable[[FramingChecker], None], ciphertext: submissions.Ciphertext
) -> Response:
    """Check an envelope's framing and recipients as ``feed`` hands it over, then store it for its claim."""
    checker = FramingChecker()
    try:
        feed(checker)
        header = checker.finish()
        submissions.check_recipients(db.session(), header.key_ids)
    except CryptoError:
        return api_error("bad_envelope")
    except submissions.RecipientsChanged:
        return api_error("recipients_changed", 409)
    claim = _claim(
        request.headers.get("X-Follow-Up-Key"),
        request.headers.get("X-Receipt-Key"),
        request.headers.get("X-Source-Key"),
        nonce,
    )
    if isinstance(claim, Response):
        return claim
    return _store(claim, ciphertext, checker.size, header.key_ids)


@dataclass(frozen=True)
class _Claim:
    """What a browser envelope joins: the id of the submission a follow-up key opens, or a new receipt's
    lookup key with the source's public key; and the form nonce it spends."""

    target: str | bytes
    source_public_key: str | None
    nonce: bytes


def _fresh_nonce(text: object) -> bytes | Response:
    nonce = form_nonces.parse(text)
    if nonce is None or form_nonces.is_spent(db.session(), nonce):
        return api_error("expired", 409)
    return nonce


def _claim(follow_up: object, lookup: object, source_key: object, nonce: bytes) -> _Claim | Response:
    """The claim of a checked browser envelope; an error answer when its keys are not ours."""
    if follow_up is not None:
        found = submissions.find_by_lookup_key(db.session(), receipts.decode_key(_text(follow_up)))
        if found is None:
            return api_error(wrong_receipt_code())
        return _Claim(found.id, None, nonce)
    lookup_key = receipts.decode_key(_text(lookup))
    try:
        public = PublicKey.parse(_text(source_key) or "").text
    except CryptoError:
        return api_error("bad_form")
    return _Claim(lookup_key, public, nonce) if lookup_key is not None else api_error("bad_form")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _store(
    claim: _Claim, ciphertext: submissions.Ciphertext, size: int, key_ids: tuple[bytes, ...]
) -> Response:
    session = db.session()
    try:
        if isinstance(claim.target, str):
            submissions.add_envelope(
                session, claim.target, ciphertext, size, key_ids, path="browser", nonce=claim.nonce
            )
        else:
            submissions.new_submission(
                session,
                claim.target,
                ciphertext,
                size,
                key_ids,
                path="browser",
                source_public_key=claim.source_public_key,
                nonce=claim.nonce,
            )
    except form_nonces.NonceSpent:
        return api_error("expired", 409)
    except submissions.ReceiptInUse:
        # A receipt key already in use would link two sources' accounts: never accept it.
        return api_error("bad_form")
    response = jsonify(status_url=url_for("source.status"))
    response.status_code = 201
    return no_store(response)
