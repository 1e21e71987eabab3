"""The reviewer keys' pages and JSON APIs: enrolment in the browser, vetting and revocation by an admin,
fetching one's own wrapped identity, and grants of envelope keys to colleagues vetted later.

The server only ever holds public keys, identity files wrapped under a key passphrase it never sees
(crypto/FORMAT.md section 3), and file keys sealed to a recipient's public key. Every act is audited in
the same transaction (core/audit.py).

Pages (HTML; ``?lang=`` carried):

- ``GET /reviewer/keys`` (``my_keys``, reviewer): the user's keys and their fingerprints; enrolment form
  (the browser generates and wraps the key, static/js/reviewer-keys.js).
- ``GET /reviewer/keys/identity-file`` (``identity_file``, reviewer, vetted key, fresh re-authentication):
  the identity file as the attachment ``sori-identity-<login>.json`` for ``sori decrypt -i``; audited
  ``key.download``.
- ``GET /reviewer/keys/grants`` (``grants``, reviewer, vetted key): colleagues lacking access to envelopes
  this reviewer can open, with a button per colleague that runs the grant in the browser.
- ``GET /reviewer/admin/keys`` (``vetting``, admin): keys waiting to be vetted, vetted and revoked keys.
- ``POST /reviewer/admin/keys/<key id>/approve`` and ``.../revoke`` (admin, fresh re-authentication, CSRF
  form field): vet a key (it becomes a recipient named ``<login>``, or ``<login>-2``…; ``key.vet``) or
  revoke it (new testimony is no longer sealed to it; ``key.revoke``).

JSON APIs (refusals are ``{"error": code}`` with 401/403/404/400/409; POSTs need the ``X-CSRFToken``
header):

- ``POST /reviewer/api/keys`` (reviewer): ``{"public_key": "sori-pk1-…", "identity_file": "<JSON text>"}``
  → 201 ``{"id", "public_key", "fingerprint", "key_id"}``; 400 ``bad_key``, ``bad_identity``,
  ``key_mismatch``, ``weak_kdf``; 409 ``key_in_use``, ``key_active`` (the user has a vetted key). A pending
  key of the same user is replaced. Audited ``key.enrol``.
- ``GET /reviewer/api/keys/mine`` (reviewer, vetted key, fresh re-authentication): the body is the identity
  file itself (``application/json``, FORMAT.md section 3), so a page does
  ``sori.unwrapIdentity(await response.text(), passphrase)``. Audited ``key.fetch``.
- ``GET /reviewer/api/envelopes/<envelope id>/grant`` (reviewer, vetted key): the file key of an envelope
  that is not sealed to the user's key but was granted to it:
  ``{"envelope_id": 7, "sealed_key": "<base64url of 80 bytes>", "granted_by": "login",
  "granted_at": "ISO 8601"}``; open it with ``sodium.crypto_box_seal_open(sealed, pk, sk)`` and read the
  envelope with ``openEnvelope(source, {fileKey})``. 404 ``no_grant``. Audited ``key.grant_fetch``.
- ``GET /reviewer/api/grants/pending?recipient_id=<id>&after=<envelope id>&limit=<n>`` (reviewer, vetted
  key): the next envelopes (ascending id, after ``after``) that the user can open and the colleague
  cannot: ``{"recipient": {"id", "name", "public_key", "fingerprint"},
  "envelopes": [{"id": 7, "via": "stanza" | "grant"}], "more": bool}``.
- ``POST /reviewer/api/grants`` (reviewer, vetted key): ``{"grants": [{"envelope_id": 7, "recipient_id": 3,
  "sealed_key": "<base64url of crypto_box_seal(file_key, colleague pk)>"}, …]}`` (at most
  :data:`GRANT_BATCH` at once) → ``{"granted": n, "already": m}``. All or nothing: 400
  ``{"error": code, "index": i}`` names the first bad grant (``bad_request``, ``bad_sealed_key``,
  ``unknown_envelope``, ``no_access``, ``bad_recipient``, ``own_recipient``). Audited ``key.grant`` once per
  colleague and batch, listing the envelopes.

The envelope bytes come from the inbox's ``GET /reviewer/api/envelopes/<envelope id>``
(reviewer/inbox/views.py, octet-stream, audited ``envelope.fetch``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, db
from core.assets import sodium_scripts
from core.models import Recipient
from crypto import keys as crypto_keys
from reviewer.access import requires, vetted_key
from reviewer.keys.enrolment import KeyRefused, approve, enrol, key_state, revoke
from reviewer.keys.grants import (
    PENDING_LIMIT,
    colleagues,
    encode_sealed_key,
    grant,
    grant_of,
    own_recipient,
    pending_count,
    pending_envelopes,
    vetted_colleague,
)
from reviewer.models import ReviewerKey, User

bp = Blueprint("reviewer_keys", __name__, url_prefix="/reviewer")

MESSAGES = {
    "bad_key": lambda: _("This is not a valid public key."),
    "bad_identity": lambda: _("The key file is damaged or not a Sori identity file."),
    "key_mismatch": lambda: _("The key file does not belong to this public key."),
    "weak_kdf": lambda: _("The key was protected too weakly. Generate it again with the default settings."),
    "key_in_use": lambda: _("This key is in use already."),
    "key_active": lambda: _("This reviewer already has a vetted key. Revoke it first."),
    "not_pending": lambda: _("This key was vetted already."),
    "not_vetted": lambda: _("This key is not vetted."),
    "already_revoked": lambda: _("This key was revoked already."),
    "not_reviewer": lambda: _("This person is not an active reviewer."),
}


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(template: str, **context: Any) -> Response:
    return _no_store(Response(render_template(template, **context)))


def _json_error(error: KeyRefused) -> Response:
    body: dict[str, Any] = {"error": error.code}
    if error.index is not None:
        body["index"] = error.index
    response = jsonify(body)
    response.status_code = error.status
    return _no_store(response)


@bp.get("/keys")
@requires("reviewer")
def my_keys() -> Response:
    session = db.session()
    user: User = g.user
    rows = session.execute(
        select(ReviewerKey, Recipient)
        .outerjoin(Recipient, Recipient.id == ReviewerKey.recipient_id)
        .where(ReviewerKey.user_id == user.id)
        .order_by(ReviewerKey.created_at.desc(), ReviewerKey.id.desc())
    ).all()
    keys = [{"key": k, "state": key_state(k, r), "recipient": r} for k, r in rows]
    can_enrol = not any(k["state"] == "vetted" for k in keys)
    return _page(
        "reviewer/keys/mine.html",
        keys=keys,
        can_enrol=can_enrol,
        has_vetted=not can_enrol,
        sodium=sodium_scripts(),
        messages={code: message() for code, message in MESSAGES.items()},
    )


def _json_change(change: Callable[[Session, dict[str, Any]], Response]) -> Response:
    """Apply a JSON request's ``change`` and commit; a body that is not an object, or a refused change,
    answers ``{"error": code}`` with nothing written."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return _json_error(KeyRefused("bad_request"))
    session = db.session()
    try:
        response = change(session, payload)
    except KeyRefused as error:
        session.rollback()
        return _json_error(error)
    session.commit()
    return _no_store(response)


@bp.post("/api/keys")
@requires("reviewer")
def enrol_key() -> Response:
    def change(session: Session, payload: dict[str, Any]) -> Response:
        reviewer_key = enrol(session, g.user, payload.get("public_key"), payload.get("identity_file"))
        key = crypto_keys.PublicKey.parse(reviewer_key.public_key)
        response = jsonify(
            id=reviewer_key.id, public_key=key.text, fingerprint=key.fingerprint, key_id=key.key_id.hex()
        )
        response.status_code = 201
        return response

    return _json_change(change)


@bp.get("/api/keys/mine")
@requires("reviewer", key=True, fresh=True)
def fetch_my_key() -> Response:
    session = db.session()
    reviewer_key = vetted_key(g.user)
    assert reviewer_key is not None  # requires(key=True)
    audit.record(session, g.user, "key.fetch", f"user:{g.user.login}", fingerprint=reviewer_key.fingerprint)
    session.commit()
    return _no_store(Response(reviewer_key.wrapped_identity, mimetype="application/json"))


@bp.get("/keys/identity-file")
@requires("reviewer", key=True, fresh=True)
def identity_file() -> Response:
    session = db.session()
    reviewer_key = vetted_key(g.user)
    assert reviewer_key is not None
    audit.record(
        session, g.user, "key.download", f"user:{g.user.login}", fingerprint=reviewer_key.fingerprint
    )
    session.commit()
    safe_login = re.sub(r"[^\w.@-]", "_", g.user.login)
    response = Response(reviewer_key.wrapped_identity, mimetype="application/json")
    name = f"sori-identity-{safe_login}.json"
    # The login may be Korean: an ASCII name for old clients, the real one in filename* (RFC 6266).
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    disposition = f'attachment; filename="{ascii_name}"'
    if ascii_name != name:
        disposition += f"; filename*=UTF-8''{quote(name)}"
    response.headers["Content-Disposition"] = disposition
    return _no_store(response)


@bp.get("/keys/grants")
@requires("reviewer", key=True)
def grants() -> Response:
    session = db.session()
    own = own_recipient(session, g.user)
    assert own is not None  # requires(key=True)
    rows = [
        {"user": u, "recipient": r, "pending": pending_count(session, own, r)}
        for u, _k, r in colleagues(session, g.user)
    ]
    return _page(
        "reviewer/keys/grants.html",
        colleagues=rows,
        own=own,
        sodium=sodium_scripts(),
        # The inbox's envelope download, with 0 where the envelope id goes.
        envelope_url=url_for("reviewer_inbox.envelope_fetch", envelope_id=0),
        reauth_url=url_for("reviewer_auth.reauth", next=request.full_path),
    )


@bp.get("/api/grants/pending")
@requires("reviewer", key=True)
def pending_grants() -> Response:
    session = db.session()
    own = own_recipient(session, g.user)
    assert own is not None  # requires(key=True)
    try:
        recipient_id = int(request.args.get("recipient_id", ""))
        after = int(request.args.get("after", "0"))
        limit = max(1, min(PENDING_LIMIT, int(request.args.get("limit", str(PENDING_LIMIT)))))
    except ValueError:
        return _json_error(KeyRefused("bad_request"))
    try:
        recipient, _user = vetted_colleague(session, recipient_id, own, 0)
    except KeyRefused as error:
        error.index = None
        return _json_error(error)
    rows = pending_envelopes(session, own, recipient, after=after, limit=limit + 1)
    return _no_store(
        jsonify(
            recipient={
                "id": recipient.id,
                "name": recipient.name,
                "public_key": recipient.public_key,
                "fingerprint": recipient.fingerprint,
            },
            envelopes=[{"id": envelope_id, "via": via} for envelope_id, via in rows[:limit]],
            more=len(rows) > limit,
        )
    )


@bp.post("/api/grants")
@requires("reviewer", key=True)
def create_grants() -> Response:
    def change(session: Session, payload: dict[str, Any]) -> Response:
        granted, already = grant(session, g.user, payload.get("grants"))
        return jsonify(granted=granted, already=already)

    return _json_change(change)


@bp.get("/api/envelopes/<int:envelope_id>/grant")
@requires("reviewer", key=True)
def envelope_grant(envelope_id: int) -> Response:
    session = db.session()
    own_key = vetted_key(g.user)
    assert own_key is not None
    found = grant_of(session, envelope_id, own_key.recipient_id or 0)
    if found is None:
        return _json_error(KeyRefused("no_grant", 404))
    granter = session.get(User, found.granted_by_id)
    audit.record(session, g.user, "key.grant_fetch", f"envelope:{envelope_id}")
    session.commit()
    return _no_store(
        jsonify(
            envelope_id=envelope_id,
            sealed_key=encode_sealed_key(found.sealed_key),
            granted_by=granter.login if granter else None,
            granted_at=found.granted_at.astimezone(UTC).isoformat(),
        )
    )


@bp.get("/admin/keys")
@requires("admin")
def vetting() -> Response:
    session = db.session()
    rows = session.execute(
        select(ReviewerKey, User, Recipient)
        .join(User, User.id == ReviewerKey.user_id)
        .outerjoin(Recipient, Recipient.id == ReviewerKey.recipient_id)
        .order_by(ReviewerKey.created_at.desc(), ReviewerKey.id.desc())
    ).all()
    keys = [{"key": k, "user": u, "recipient": r, "state": key_state(k, r)} for k, u, r in rows]
    return _page(
        "reviewer/keys/vetting.html",
        pending=[k for k in keys if k["state"] == "pending"],
        vetted=[k for k in keys if k["state"] == "vetted"],
        revoked=[k for k in keys if k["state"] == "revoked"],
    )


def _admin_act(key_id: int, act: Any, done: str) -> Response:
    session = db.session()
    reviewer_key = session.get(ReviewerKey, key_id)
    if reviewer_key is None:
        abort(404)
    try:
        act(session, g.user, reviewer_key)
    except KeyRefused as error:
        session.rollback()
        flash(MESSAGES.get(error.code, lambda: _("This could not be done."))(), "error")
    else:
        session.commit()
        flash(done, "done")
    return redirect(url_for("reviewer_keys.vetting"), code=303)


@bp.post("/admin/keys/<int:key_id>/approve")
@requires("admin", fresh=True)
def approve_key(key_id: int) -> Response:
    return _admin_act(key_id, approve, _("The key is vetted: new testimony is now sealed to it."))


@bp.post("/admin/keys/<int:key_id>/revoke")
@requires("admin", fresh=True)
def revoke_key(key_id: int) -> Response:
    return _admin_act(key_id, revoke, _("The key is revoked: new testimony is no longer sealed to it."))
