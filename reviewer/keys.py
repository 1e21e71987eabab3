"""Reviewer keys: enrolment in the browser, vetting and revocation by an admin, fetching one's own wrapped
identity, and grants of envelope keys to colleagues vetted later.

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

The envelope bytes come from the inbox's ``GET /reviewer/api/envelopes/<envelope id>`` (reviewer/inbox.py,
octet-stream, audited ``envelope.fetch``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Flask,
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
from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from core import audit, db, recipients
from core.assets import sri, versioned
from core.models import Envelope, Recipient
from crypto import keys as crypto_keys
from crypto.errors import CryptoError
from reviewer.access import requires, vetted_key
from reviewer.models import KeyGrant, ReviewerKey, User

bp = Blueprint("reviewer_keys", __name__, url_prefix="/reviewer")

#: An identity file is about 400 bytes; anything much larger is not one.
IDENTITY_FILE_MAX = 4096
#: The sealed file key: crypto_box_seal of 32 bytes.
SEALED_KEY_BYTES = 80
#: Grants accepted in one request, and envelopes listed in one page of pending work.
GRANT_BATCH = 200
PENDING_LIMIT = 200


class KeyRefused(Exception):
    """A refused key operation; ``code`` names the case for the JSON answer and the page."""

    def __init__(self, code: str, status: int = 400, index: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.index = index


# ---- Services -----------------------------------------------------------------------------------------


def enrol(session: Session, user: User, public_key_text: Any, identity_file: Any) -> ReviewerKey:
    """Store a key the user's browser generated: its public key and its wrapped identity file, not vetted.

    Raises :class:`KeyRefused` (``bad_key``, ``bad_identity``, ``key_mismatch``, ``weak_kdf``,
    ``key_in_use``, ``key_active``)."""
    if not isinstance(public_key_text, str) or len(public_key_text) > 200:
        raise KeyRefused("bad_key")
    if not isinstance(identity_file, str) or len(identity_file) > IDENTITY_FILE_MAX:
        raise KeyRefused("bad_identity")
    try:
        key = crypto_keys.PublicKey.parse(public_key_text)
    except CryptoError as exc:
        raise KeyRefused("bad_key") from exc
    try:
        declared = crypto_keys.read_identity_public_key(identity_file)
    except CryptoError as exc:
        raise KeyRefused("bad_identity") from exc
    if declared.raw != key.raw:
        raise KeyRefused("key_mismatch")
    kdf = json.loads(identity_file)["kdf"]
    # The key passphrase is the only thing between a stolen database and the reviewer's key: the wrapping
    # must cost at least what FORMAT.md writers use.
    if kdf["opslimit"] < crypto_keys.DEFAULT_OPSLIMIT or kdf["memlimit"] < crypto_keys.DEFAULT_MEMLIMIT:
        raise KeyRefused("weak_kdf")
    if vetted_key(user) is not None:
        raise KeyRefused("key_active", 409)
    taken = session.scalar(
        select(ReviewerKey.id).where(ReviewerKey.public_key == key.text)
    ) or session.scalar(select(Recipient.id).where(Recipient.public_key == key.text))
    if taken is not None:
        raise KeyRefused("key_in_use", 409)
    replaced = list(
        session.scalars(
            select(ReviewerKey).where(ReviewerKey.user_id == user.id, ReviewerKey.recipient_id.is_(None))
        )
    )
    for old in replaced:
        session.delete(old)
    session.flush()
    reviewer_key = ReviewerKey(
        user_id=user.id,
        public_key=key.text,
        fingerprint=key.fingerprint,
        wrapped_identity=identity_file,
    )
    session.add(reviewer_key)
    session.flush()
    audit.record(
        session,
        user,
        "key.enrol",
        f"user:{user.login}",
        key_id=key.key_id.hex(),
        fingerprint=key.fingerprint,
        replaced=[old.fingerprint for old in replaced],
    )
    return reviewer_key


def key_state(reviewer_key: ReviewerKey, recipient: Recipient | None) -> str:
    """``pending``, ``vetted`` or ``revoked``."""
    if reviewer_key.recipient_id is None:
        return "pending"
    return "revoked" if recipient is not None and recipient.revoked_at is not None else "vetted"


def approve(session: Session, admin: User, reviewer_key: ReviewerKey) -> Recipient:
    """Vet a pending key: it becomes a recipient of every new testimony. Raises :class:`KeyRefused`
    (``not_pending``, ``key_active``, ``key_in_use``, ``not_reviewer``)."""
    if reviewer_key.recipient_id is not None:
        raise KeyRefused("not_pending", 409)
    owner = session.get(User, reviewer_key.user_id)
    assert owner is not None
    if not owner.is_reviewer or owner.disabled_at is not None:
        raise KeyRefused("not_reviewer", 409)
    if _active_key(session, owner) is not None:
        raise KeyRefused("key_active", 409)
    name = _free_recipient_name(session, owner.login)
    try:
        recipient = recipients.add(session, name, reviewer_key.public_key)
    except recipients.RecipientError as exc:
        raise KeyRefused("key_in_use", 409) from exc
    reviewer_key.recipient_id = recipient.id
    reviewer_key.vetted_by_id = admin.id
    reviewer_key.vetted_at = datetime.now(UTC)
    session.flush()
    audit.record(
        session,
        admin,
        "key.vet",
        f"user:{owner.login}",
        recipient=recipient.name,
        key_id=recipient.key_id,
        fingerprint=recipient.fingerprint,
    )
    return recipient


def revoke(session: Session, admin: User, reviewer_key: ReviewerKey) -> Recipient:
    """Stop sealing new testimony to a vetted key; raises :class:`KeyRefused` (``not_vetted``,
    ``already_revoked``)."""
    if reviewer_key.recipient_id is None:
        raise KeyRefused("not_vetted", 409)
    recipient = session.get(Recipient, reviewer_key.recipient_id)
    assert recipient is not None
    try:
        recipients.revoke(session, recipient.name)
    except recipients.AlreadyRevoked as exc:
        raise KeyRefused("already_revoked", 409) from exc
    owner = session.get(User, reviewer_key.user_id)
    audit.record(
        session,
        admin,
        "key.revoke",
        f"user:{owner.login if owner else reviewer_key.user_id}",
        recipient=recipient.name,
        key_id=recipient.key_id,
        fingerprint=recipient.fingerprint,
    )
    return recipient


def colleagues(session: Session, user: User) -> list[tuple[User, ReviewerKey, Recipient]]:
    """Other reviewers with a vetted, unrevoked key: who can be granted access."""
    query = (
        select(User, ReviewerKey, Recipient)
        .join(ReviewerKey, ReviewerKey.user_id == User.id)
        .join(Recipient, Recipient.id == ReviewerKey.recipient_id)
        .where(
            Recipient.revoked_at.is_(None),
            User.id != user.id,
            User.is_reviewer.is_(True),
            User.disabled_at.is_(None),
        )
        .order_by(User.display_name, User.id)
    )
    return [(u, k, r) for u, k, r in session.execute(query)]


def _sealed_to(key_id: str) -> Any:
    # recipient_key_ids is a JSON list of 16-hex-digit ids: the quoted id is found as a substring.
    return Envelope.recipient_key_ids.like(f'%"{key_id}"%')


def _granted_to(recipient_id: int) -> Any:
    return exists().where(KeyGrant.envelope_id == Envelope.id, KeyGrant.recipient_id == recipient_id)


def openable(own: Recipient) -> Any:
    """The condition on ``Envelope`` that ``own``'s holder can open it: sealed to it, or granted."""
    return or_(_sealed_to(own.key_id), _granted_to(own.id))


def pending_envelopes(
    session: Session, own: Recipient, colleague: Recipient, *, after: int = 0, limit: int = PENDING_LIMIT
) -> list[tuple[int, str]]:
    """Envelopes ``own`` can open and ``colleague`` cannot, as ``(id, via)`` with ``via`` ``stanza`` or
    ``grant``, in ascending id after ``after``."""
    query = (
        select(Envelope.id, _sealed_to(own.key_id))
        .where(
            Envelope.id > after,
            openable(own),
            ~_sealed_to(colleague.key_id),
            ~_granted_to(colleague.id),
        )
        .order_by(Envelope.id)
        .limit(limit)
    )
    return [(envelope_id, "stanza" if sealed else "grant") for envelope_id, sealed in session.execute(query)]


def pending_count(session: Session, own: Recipient, colleague: Recipient) -> int:
    """How many envelopes ``colleague`` still needs from ``own``."""
    query = (
        select(func.count())
        .select_from(Envelope)
        .where(openable(own), ~_sealed_to(colleague.key_id), ~_granted_to(colleague.id))
    )
    return session.scalar(query) or 0


def grant(session: Session, granter: User, items: Any) -> tuple[int, int]:
    """Store sealed file keys for colleagues; all or nothing. Returns (granted, already there).

    Raises :class:`KeyRefused` with the index of the first bad item."""
    own_key = vetted_key(granter)
    if own_key is None:
        raise KeyRefused("no_vetted_key", 403)
    own = session.get(Recipient, own_key.recipient_id)
    assert own is not None
    if not isinstance(items, list) or not 1 <= len(items) <= GRANT_BATCH:
        raise KeyRefused("bad_request")
    granted: dict[int, list[int]] = {}
    already = 0
    targets: dict[int, tuple[Recipient, User]] = {}
    for index, item in enumerate(items):
        envelope_id, recipient_id, sealed = _grant_item(item, index)
        target = targets.get(recipient_id) or _grantee(session, recipient_id, own, index)
        targets[recipient_id] = target
        recipient = target[0]
        envelope = session.get(Envelope, envelope_id)
        if envelope is None:
            raise KeyRefused("unknown_envelope", index=index)
        key_ids = json.loads(envelope.recipient_key_ids)
        if own.key_id not in key_ids and _grant_of(session, envelope_id, own.id) is None:
            raise KeyRefused("no_access", index=index)
        if recipient.key_id in key_ids or _grant_of(session, envelope_id, recipient.id) is not None:
            already += 1
            continue
        if envelope_id in granted.get(recipient_id, []):
            already += 1
            continue
        session.add(
            KeyGrant(
                envelope_id=envelope_id,
                recipient_id=recipient_id,
                sealed_key=sealed,
                granted_by_id=granter.id,
            )
        )
        granted.setdefault(recipient_id, []).append(envelope_id)
    session.flush()
    for recipient_id, envelope_ids in granted.items():
        recipient, grantee = targets[recipient_id]
        audit.record(
            session,
            granter,
            "key.grant",
            f"user:{grantee.login}",
            recipient=recipient.name,
            envelopes=envelope_ids,
            count=len(envelope_ids),
        )
    return sum(len(ids) for ids in granted.values()), already


def _grant_item(item: Any, index: int) -> tuple[int, int, bytes]:
    if not isinstance(item, dict):
        raise KeyRefused("bad_request", index=index)
    envelope_id, recipient_id, text = (
        item.get("envelope_id"),
        item.get("recipient_id"),
        item.get("sealed_key"),
    )
    if type(envelope_id) is not int or type(recipient_id) is not int or not isinstance(text, str):
        raise KeyRefused("bad_request", index=index)
    sealed = _b64decode(text)
    if sealed is None or len(sealed) != SEALED_KEY_BYTES:
        raise KeyRefused("bad_sealed_key", index=index)
    return envelope_id, recipient_id, sealed


def _grantee(session: Session, recipient_id: int, own: Recipient, index: int) -> tuple[Recipient, User]:
    """The recipient to grant to, if it is an active, vetted reviewer key."""
    if recipient_id == own.id:
        raise KeyRefused("own_recipient", index=index)
    row = session.execute(
        select(Recipient, User)
        .join(ReviewerKey, ReviewerKey.recipient_id == Recipient.id)
        .join(User, User.id == ReviewerKey.user_id)
        .where(Recipient.id == recipient_id)
    ).first()
    if row is None:
        raise KeyRefused("bad_recipient", index=index)
    recipient, user = row
    if recipient.revoked_at is not None or not user.is_reviewer or user.disabled_at is not None:
        raise KeyRefused("bad_recipient", index=index)
    return recipient, user


def _grant_of(session: Session, envelope_id: int, recipient_id: int) -> KeyGrant | None:
    return session.scalars(
        select(KeyGrant).where(KeyGrant.envelope_id == envelope_id, KeyGrant.recipient_id == recipient_id)
    ).first()


def _b64decode(text: str) -> bytes | None:
    """Strict base64url without padding, or ``None``."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if _b64encode(raw) == text else None


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _active_key(session: Session, user: User) -> ReviewerKey | None:
    return session.scalars(
        select(ReviewerKey)
        .join(Recipient, Recipient.id == ReviewerKey.recipient_id)
        .where(ReviewerKey.user_id == user.id, Recipient.revoked_at.is_(None))
    ).first()


def _free_recipient_name(session: Session, login: str) -> str:
    """``login``, or ``login-2``, ``login-3``… : recipient names stay unique for ever."""
    base = login[: recipients.NAME_MAX - 8]
    taken = set(session.scalars(select(Recipient.name).where(Recipient.name.startswith(base))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# ---- Views ------------------------------------------------------------------------------------------

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


def _sodium_scripts() -> list[dict[str, str]]:
    scripts = [
        url_for("assets.vendor", name="libsodium-sumo.js"),
        url_for("assets.vendor", name="libsodium-wrappers-sumo.js"),
        url_for("assets.crypto_js", name="sori-envelope.js"),
    ]
    return [{"src": versioned(src), "integrity": sri(src)} for src in scripts]


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


def _reauth_url() -> str | None:
    """Where to confirm the password again and come back here (the accounts part's page)."""
    try:
        return url_for("reviewer_auth.reauth", next=request.full_path)
    except BuildError:
        return None


def _envelope_url_template() -> str:
    """The inbox's envelope download, with ``0`` where the envelope id goes."""
    try:
        return url_for("reviewer_inbox.envelope_fetch", envelope_id=0)
    except BuildError:  # the inbox is not installed: its documented path
        return url_for("reviewer_keys.my_keys").replace("/keys", "/api/envelopes/0", 1)


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
        sodium=_sodium_scripts(),
        messages={code: message() for code, message in MESSAGES.items()},
    )


@bp.post("/api/keys")
@requires("reviewer")
def enrol_key() -> Response:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return _json_error(KeyRefused("bad_request"))
    session = db.session()
    try:
        reviewer_key = enrol(session, g.user, payload.get("public_key"), payload.get("identity_file"))
    except KeyRefused as error:
        session.rollback()
        return _json_error(error)
    session.commit()
    key = crypto_keys.PublicKey.parse(reviewer_key.public_key)
    response = jsonify(
        id=reviewer_key.id,
        public_key=key.text,
        fingerprint=key.fingerprint,
        key_id=key.key_id.hex(),
    )
    response.status_code = 201
    return _no_store(response)


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
    own_key = vetted_key(g.user)
    assert own_key is not None
    own = session.get(Recipient, own_key.recipient_id)
    assert own is not None
    rows = [
        {"user": u, "recipient": r, "pending": pending_count(session, own, r)}
        for u, _k, r in colleagues(session, g.user)
    ]
    return _page(
        "reviewer/keys/grants.html",
        colleagues=rows,
        own=own,
        sodium=_sodium_scripts(),
        envelope_url=_envelope_url_template(),
        reauth_url=_reauth_url(),
    )


@bp.get("/api/grants/pending")
@requires("reviewer", key=True)
def pending_grants() -> Response:
    session = db.session()
    own_key = vetted_key(g.user)
    assert own_key is not None
    own = session.get(Recipient, own_key.recipient_id)
    assert own is not None
    try:
        recipient_id = int(request.args.get("recipient_id", ""))
        after = int(request.args.get("after", "0"))
        limit = max(1, min(PENDING_LIMIT, int(request.args.get("limit", str(PENDING_LIMIT)))))
    except ValueError:
        return _json_error(KeyRefused("bad_request"))
    try:
        recipient, _user = _grantee(session, recipient_id, own, 0)
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
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return _json_error(KeyRefused("bad_request"))
    session = db.session()
    try:
        granted, already = grant(session, g.user, payload.get("grants"))
    except KeyRefused as error:
        session.rollback()
        return _json_error(error)
    session.commit()
    return _no_store(jsonify(granted=granted, already=already))


@bp.get("/api/envelopes/<int:envelope_id>/grant")
@requires("reviewer", key=True)
def envelope_grant(envelope_id: int) -> Response:
    session = db.session()
    own_key = vetted_key(g.user)
    assert own_key is not None
    found = _grant_of(session, envelope_id, own_key.recipient_id or 0)
    if found is None:
        return _json_error(KeyRefused("no_grant", 404))
    granter = session.get(User, found.granted_by_id)
    audit.record(session, g.user, "key.grant_fetch", f"envelope:{envelope_id}")
    session.commit()
    return _no_store(
        jsonify(
            envelope_id=envelope_id,
            sealed_key=_b64encode(found.sealed_key),
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


def init_app(app: Flask) -> None:
    """Register the keys pages and APIs on ``app``."""
    app.register_blueprint(bp)
