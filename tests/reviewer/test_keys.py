"""Reviewer keys (reviewer/keys/): enrolment refuses what is not a matching, strongly wrapped key; vetting
makes a key a recipient and revocation stops it at once; only the owner fetches a wrapped key, freshly
re-authenticated; grants reach only vetted colleagues and let them open what they could not; and every act
is in an audit trail that verifies.

One file of about 600 lines: enrolment, vetting and revocation act on the same keys and share their
fixtures."""

from __future__ import annotations

import base64
import io
import json
import os
import time
from dataclasses import dataclass
from functools import cache

import nacl.bindings
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core import audit, db, recipients, submissions
from core.models import AuditEntry, Envelope
from crypto.envelope import EnvelopeReader, encrypt_parts
from crypto.keys import Identity
from reviewer.models import KeyGrant, ReviewerKey
from tests.intake.source_helpers import SOURCE_KEY
from tests.reviewer.helpers import PASSWORD, csrf_token, log_in, make_user, reauthenticate

PASSPHRASE = "열쇠 암호는 로그인 암호와 다르다 correct"


@cache
def identity_file(n: int) -> tuple[Identity, str]:
    """Identity number ``n`` and its file, wrapped at the default cost (made once per test run)."""
    identity = Identity.generate()
    return identity, identity.wrap(PASSPHRASE)


@dataclass
class Person:
    login: str
    user_id: int
    secret: str
    client: FlaskClient


def person(app: Flask, login: str, *roles: str, logged_in: bool = True) -> Person:
    user_id, secret = make_user(app, login, *roles)
    client = app.test_client()
    if logged_in:
        log_in(client, login, PASSWORD, secret)
    return Person(login, user_id, secret, client)


def api_csrf(client: FlaskClient) -> dict[str, str]:
    return {"X-CSRFToken": csrf_token(client, "/reviewer/keys")}


def enrol(who: Person, n: int) -> dict:
    identity, text = identity_file(n)
    response = who.client.post(
        "/reviewer/api/keys",
        json={"public_key": identity.public_key.text, "identity_file": text},
        headers=api_csrf(who.client),
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def key_of(app: Flask, who: Person) -> ReviewerKey:
    with app.app_context():
        key = (
            db.session()
            .scalars(
                select(ReviewerKey).where(ReviewerKey.user_id == who.user_id).order_by(ReviewerKey.id.desc())
            )
            .first()
        )
        assert key is not None
        db.session().expunge(key)
        return key


def admin_post(admin: Person, path: str):
    token = csrf_token(admin.client, "/reviewer/admin/keys")
    return admin.client.post(path, data={"csrf_token": token})


def vet(app: Flask, admin: Person, who: Person) -> ReviewerKey:
    key = key_of(app, who)
    response = admin_post(admin, f"/reviewer/admin/keys/{key.id}/approve")
    assert response.status_code == 303
    return key_of(app, who)


def active_keys(app: Flask) -> list[str]:
    with app.app_context():
        return [r.public_key for r in recipients.active(db.session())]


def trail(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        session = db.session()
        entries = list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        for entry in entries:
            session.expunge(entry)
        return entries


def assert_trail_intact(app: Flask) -> None:
    with app.app_context():
        checked, broken = audit.verify(db.session())
        assert broken is None and checked > 0


def make_stale(client: FlaskClient) -> None:
    """The last password or TOTP check was an hour ago."""
    with client.session_transaction() as session:
        session["reviewer_reauth_at"] = time.time() - 3600


def store_envelope(app: Flask, *identities: Identity, text: bytes = b"testimony") -> int:
    """A submission whose envelope is sealed to ``identities``; returns the envelope's id."""
    out = io.BytesIO()
    encrypt_parts(out, [i.public_key for i in identities], [("answers.json", "application/json", text)])
    data = out.getvalue()
    with app.app_context():
        session = db.session()
        submissions.new_submission(
            session,
            os.urandom(32),
            data,
            len(data),
            tuple(i.public_key.key_id for i in identities),
            "browser",
            source_public_key=SOURCE_KEY,
        )
        session.commit()
        return session.scalars(select(Envelope.id).order_by(Envelope.id.desc())).first()


def file_key(app: Flask, envelope_id: int, identity: Identity) -> bytes:
    with app.app_context():
        envelope = db.session().get(Envelope, envelope_id)
        return EnvelopeReader(submissions.open_envelope(envelope), identity=identity).file_key


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@pytest.fixture
def admin(app: Flask) -> Person:
    return person(app, "admin", "admin")


@pytest.fixture
def kim(app: Flask) -> Person:
    return person(app, "kim", "reviewer")


# ---- Enrolment ------------------------------------------------------------------------------------


def test_enrolment_stores_a_pending_key_and_shows_its_fingerprint(app: Flask, kim: Person) -> None:
    identity, text = identity_file(1)
    answer = enrol(kim, 1)
    assert answer["fingerprint"] == identity.public_key.fingerprint
    assert answer["public_key"] == identity.public_key.text
    key = key_of(app, kim)
    assert key.recipient_id is None and key.vetted_at is None
    assert key.wrapped_identity == text
    assert identity.public_key.text not in active_keys(app)
    page = kim.client.get("/reviewer/keys").get_data(as_text=True)
    assert identity.public_key.fingerprint in page
    [entry] = trail(app, "key.enrol")
    assert entry.actor == "kim" and identity.public_key.fingerprint in entry.details
    assert_trail_intact(app)


def test_enrolment_refuses_a_malformed_or_mismatched_key(app: Flask, kim: Person) -> None:
    identity, text = identity_file(1)
    other, other_text = identity_file(2)
    weak = identity.wrap(PASSPHRASE, opslimit=1, memlimit=8192)
    headers = api_csrf(kim.client)
    cases = [
        ({"public_key": "sori-pk1-nonsense", "identity_file": text}, "bad_key"),
        ({"public_key": identity.public_key.text[:-1] + "A", "identity_file": text}, "bad_key"),
        ({"public_key": identity.public_key.text, "identity_file": "{}"}, "bad_identity"),
        ({"public_key": identity.public_key.text, "identity_file": text[:-40]}, "bad_identity"),
        ({"public_key": identity.public_key.text, "identity_file": other_text}, "key_mismatch"),
        ({"public_key": identity.public_key.text, "identity_file": weak}, "weak_kdf"),
        ({"public_key": 5, "identity_file": text}, "bad_key"),
        ([], "bad_request"),
    ]
    for payload, code in cases:
        response = kim.client.post("/reviewer/api/keys", json=payload, headers=headers)
        assert (response.status_code, response.get_json()) == (400, {"error": code}), payload
    # Without the CSRF header, nothing is stored either.
    response = kim.client.post(
        "/reviewer/api/keys", json={"public_key": identity.public_key.text, "identity_file": text}
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session().scalars(select(ReviewerKey)).all() == []
    assert trail(app, "key.enrol") == []


def test_a_new_enrolment_replaces_a_pending_key_and_a_key_is_never_shared(
    app: Flask, admin: Person, kim: Person
) -> None:
    enrol(kim, 1)
    enrol(kim, 2)
    with app.app_context():
        keys = db.session().scalars(select(ReviewerKey)).all()
        assert [k.public_key for k in keys] == [identity_file(2)[0].public_key.text]
    lee = person(app, "lee", "reviewer")
    identity, text = identity_file(2)
    response = lee.client.post(
        "/reviewer/api/keys",
        json={"public_key": identity.public_key.text, "identity_file": text},
        headers=api_csrf(lee.client),
    )
    assert (response.status_code, response.get_json()) == (409, {"error": "key_in_use"})
    # Once vetted, a reviewer cannot quietly swap in another key.
    vet(app, admin, kim)
    identity3, text3 = identity_file(3)
    response = kim.client.post(
        "/reviewer/api/keys",
        json={"public_key": identity3.public_key.text, "identity_file": text3},
        headers=api_csrf(kim.client),
    )
    assert (response.status_code, response.get_json()) == (409, {"error": "key_active"})


# ---- Vetting and revocation ---------------------------------------------------------------------------


def test_vetting_makes_the_key_a_recipient_and_revoking_stops_it(
    app: Flask, admin: Person, kim: Person
) -> None:
    enrol(kim, 1)
    identity = identity_file(1)[0]
    page = admin.client.get("/reviewer/admin/keys").get_data(as_text=True)
    assert identity.public_key.fingerprint in page and "kim" in page
    key = vet(app, admin, kim)
    assert key.recipient_id is not None and key.vetted_by_id == admin.user_id and key.vetted_at is not None
    assert identity.public_key.text in active_keys(app)
    # The source form seals to it from the next page load.
    assert identity.public_key.text in kim.client.get("/submit").get_data(as_text=True)
    assert kim.client.get("/reviewer/api/keys/mine").status_code == 200
    [vetted] = trail(app, "key.vet")
    assert vetted.actor == "admin" and vetted.subject == "user:kim" and '"recipient":"kim"' in vetted.details

    response = admin_post(admin, f"/reviewer/admin/keys/{key.id}/revoke")
    assert response.status_code == 303
    assert identity.public_key.text not in active_keys(app)
    assert identity.public_key.text not in kim.client.get("/submit").get_data(as_text=True)
    assert kim.client.get("/reviewer/api/keys/mine").get_json() == {"error": "no_vetted_key"}
    assert kim.client.get("/reviewer/keys/grants").status_code == 403
    [revoked] = trail(app, "key.revoke")
    assert revoked.actor == "admin" and revoked.subject == "user:kim"
    # Revoking twice changes nothing; the first revocation stands.
    admin_post(admin, f"/reviewer/admin/keys/{key.id}/revoke")
    assert len(trail(app, "key.revoke")) == 1

    # A new key after a revocation becomes a recipient under a new name: names are never reused.
    enrol(kim, 2)
    vet(app, admin, kim)
    with app.app_context():
        names = {r.name: r.revoked_at is None for r in recipients.list_all(db.session())}
    assert names == {"kim": False, "kim-2": True}
    assert kim.client.get("/reviewer/api/keys/mine").get_data(as_text=True) == identity_file(2)[1]
    assert_trail_intact(app)


def test_vetting_and_revoking_need_a_fresh_login(app: Flask, admin: Person, kim: Person) -> None:
    enrol(kim, 1)
    key = key_of(app, kim)
    make_stale(admin.client)
    response = admin_post(admin, f"/reviewer/admin/keys/{key.id}/approve")
    assert response.status_code == 302 and "/reviewer/reauth" in response.headers["Location"]
    assert key_of(app, kim).recipient_id is None
    reauthenticate(admin.client)
    assert admin_post(admin, f"/reviewer/admin/keys/{key.id}/approve").status_code == 303
    make_stale(admin.client)
    response = admin_post(admin, f"/reviewer/admin/keys/{key.id}/revoke")
    assert response.status_code == 302 and "/reviewer/reauth" in response.headers["Location"]
    assert identity_file(1)[0].public_key.text in active_keys(app)


# ---- Authorization matrix ---------------------------------------------------------------------------

REVIEWER_ROUTES = [
    ("GET", "/reviewer/keys"),
    ("POST", "/reviewer/api/keys"),
]
KEY_ROUTES = [
    ("GET", "/reviewer/api/keys/mine"),
    ("GET", "/reviewer/keys/identity-file"),
    ("GET", "/reviewer/keys/grants"),
    ("GET", "/reviewer/api/grants/pending?recipient_id=1"),
    ("POST", "/reviewer/api/grants"),
    ("GET", "/reviewer/api/envelopes/1/grant"),
]
ADMIN_ROUTES = [
    ("GET", "/reviewer/admin/keys"),
    ("POST", "/reviewer/admin/keys/1/approve"),
    ("POST", "/reviewer/admin/keys/1/revoke"),
]
ALL_ROUTES = REVIEWER_ROUTES + KEY_ROUTES + ADMIN_ROUTES


def call(client: FlaskClient, method: str, path: str):
    """A request with a valid CSRF token, so that only the access rules can refuse it."""
    if method == "GET":
        return client.get(path)
    token = csrf_token(client, "/reviewer/login")
    if "/api/" in path:
        return client.post(path, json={}, headers={"X-CSRFToken": token})
    return client.post(path, data={"csrf_token": token})


def refused(response) -> bool:
    """Refused: 401/403 for APIs and pages, or a redirect to the login or re-authentication page."""
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("Location", "")
    return response.status_code == 302 and ("/reviewer/login" in location or "/reviewer/reauth" in location)


def test_anonymous_visitors_are_refused_everywhere(app: Flask) -> None:
    client = app.test_client()
    for method, path in ALL_ROUTES:
        assert refused(call(client, method, path)), (method, path)


def test_a_login_without_totp_is_refused_everywhere(app: Flask) -> None:
    user_id, secret = make_user(app, "half", "admin", "reviewer")
    client = app.test_client()
    token = csrf_token(client, "/reviewer/login")
    first = client.post("/reviewer/login", data={"login": "half", "password": PASSWORD, "csrf_token": token})
    assert first.status_code == 302 and "/reviewer/login/code" in first.headers["Location"]
    for method, path in ALL_ROUTES:
        assert refused(call(client, method, path)), (method, path)


def test_roles_vetting_revocation_and_freshness_are_enforced(app: Flask, admin: Person, kim: Person) -> None:
    # An admin who is not a reviewer: no reviewer page, no key, no grant.
    for method, path in REVIEWER_ROUTES + KEY_ROUTES:
        assert call(admin.client, method, path).status_code == 403, (method, path)
    assert admin.client.get("/reviewer/api/keys/mine").get_json() == {"error": "forbidden"}
    # A reviewer is no admin.
    for method, path in ADMIN_ROUTES:
        assert call(kim.client, method, path).status_code == 403, (method, path)
    # An unvetted reviewer may enrol, not use a key.
    enrol(kim, 1)
    for method, path in KEY_ROUTES:
        response = call(kim.client, method, path)
        assert response.status_code == 403, (method, path)
    vet(app, admin, kim)
    assert kim.client.get("/reviewer/api/keys/mine").status_code == 200
    # Not fresh: the key and the identity file wait for the password or a code again.
    make_stale(kim.client)
    assert kim.client.get("/reviewer/api/keys/mine").get_json() == {"error": "reauth"}
    response = kim.client.get("/reviewer/keys/identity-file")
    assert response.status_code == 302 and "/reviewer/reauth" in response.headers["Location"]
    reauthenticate(kim.client)
    assert kim.client.get("/reviewer/keys/identity-file").status_code == 200
    # Revoked: refused like an unvetted reviewer.
    admin_post(admin, f"/reviewer/admin/keys/{key_of(app, kim).id}/revoke")
    for method, path in KEY_ROUTES:
        assert call(kim.client, method, path).status_code == 403, (method, path)


def test_a_reviewer_fetches_only_their_own_wrapped_key(app: Flask, admin: Person, kim: Person) -> None:
    lee = person(app, "lee", "reviewer")
    both = person(app, "boss", "admin", "reviewer")
    enrol(kim, 1)
    enrol(lee, 2)
    vet(app, admin, kim)
    # Lee's key is not vetted yet: Lee gets nothing, certainly not Kim's.
    response = lee.client.get("/reviewer/api/keys/mine")
    assert response.status_code == 403 and identity_file(1)[1] not in response.get_data(as_text=True)
    vet(app, admin, lee)
    assert kim.client.get("/reviewer/api/keys/mine").get_data(as_text=True) == identity_file(1)[1]
    assert lee.client.get("/reviewer/api/keys/mine").get_data(as_text=True) == identity_file(2)[1]
    # An admin who is also a reviewer, but without a key of their own, gets none of theirs.
    assert both.client.get("/reviewer/api/keys/mine").get_json() == {"error": "no_vetted_key"}
    assert admin.client.get("/reviewer/api/keys/mine").status_code == 403
    fetched = trail(app, "key.fetch")
    assert [e.actor for e in fetched] == ["kim", "lee"]
    response = kim.client.get("/reviewer/api/keys/mine")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/json"
    assert_trail_intact(app)


def test_the_identity_file_downloads_as_an_attachment(app: Flask, admin: Person, kim: Person) -> None:
    enrol(kim, 1)
    vet(app, admin, kim)
    response = kim.client.get("/reviewer/keys/identity-file")
    assert response.status_code == 200
    assert 'filename="sori-identity-kim.json"' in response.headers["Content-Disposition"]
    assert response.headers["Content-Disposition"].startswith("attachment")
    # What `sori decrypt -i` reads: it opens with the key passphrase.
    assert Identity.unwrap(response.get_data(), PASSPHRASE).public_key == identity_file(1)[0].public_key
    [entry] = trail(app, "key.download")
    assert entry.actor == "kim"


# ---- Grants -------------------------------------------------------------------------------------------


@pytest.fixture
def team(app: Flask, admin: Person) -> dict[str, Person]:
    """Kim, vetted first; Lee, vetted after an envelope was sealed to Kim alone; Park, not vetted."""
    kim = person(app, "kim", "reviewer")
    lee = person(app, "lee", "reviewer")
    park = person(app, "park", "reviewer")
    enrol(kim, 1)
    vet(app, admin, kim)
    enrol(lee, 2)
    vet(app, admin, lee)
    enrol(park, 3)
    return {"kim": kim, "lee": lee, "park": park, "admin": admin}


def recipient_id(app: Flask, who: Person) -> int:
    key = key_of(app, who)
    assert key.recipient_id is not None
    return key.recipient_id


def post_grants(who: Person, grants: list[dict]):
    return who.client.post("/reviewer/api/grants", json={"grants": grants}, headers=api_csrf(who.client))


def test_a_grant_lets_a_colleague_open_an_older_envelope(app: Flask, team: dict[str, Person]) -> None:
    kim, lee = team["kim"], team["lee"]
    kim_identity, lee_identity = identity_file(1)[0], identity_file(2)[0]
    envelope_id = store_envelope(app, kim_identity, text=b'{"what_happened": "secret"}')
    both = store_envelope(app, kim_identity, lee_identity)
    lee_id = recipient_id(app, lee)

    page = kim.client.get("/reviewer/keys/grants").get_data(as_text=True)
    assert "lee" in page and lee_identity.public_key.fingerprint in page and "park" not in page
    pending = kim.client.get(f"/reviewer/api/grants/pending?recipient_id={lee_id}").get_json()
    assert pending["recipient"]["public_key"] == lee_identity.public_key.text
    assert pending["envelopes"] == [{"id": envelope_id, "via": "stanza"}] and pending["more"] is False
    assert both not in [e["id"] for e in pending["envelopes"]]

    # Kim's browser: the file key from Kim's stanza, sealed to Lee.
    sealed = nacl.bindings.crypto_box_seal(
        file_key(app, envelope_id, kim_identity), lee_identity.public_key.raw
    )
    grant = {"envelope_id": envelope_id, "recipient_id": lee_id, "sealed_key": b64(sealed)}
    response = post_grants(kim, [grant])
    assert response.get_json() == {"granted": 1, "already": 0}
    assert post_grants(kim, [grant]).get_json() == {"granted": 0, "already": 1}
    assert kim.client.get(f"/reviewer/api/grants/pending?recipient_id={lee_id}").get_json()["envelopes"] == []

    # Lee's browser: the granted key opens the envelope.
    answer = lee.client.get(f"/reviewer/api/envelopes/{envelope_id}/grant").get_json()
    assert answer["granted_by"] == "kim" and answer["envelope_id"] == envelope_id
    key = nacl.bindings.crypto_box_seal_open(
        base64.urlsafe_b64decode(answer["sealed_key"] + "=="),
        lee_identity.public_key.raw,
        lee_identity.secret_key,
    )
    with app.app_context():
        envelope = db.session().get(Envelope, envelope_id)
        reader = EnvelopeReader(submissions.open_envelope(envelope), file_key=key)
        assert [part.read_all() for part in reader] == [b'{"what_happened": "secret"}']
    assert lee.client.get(f"/reviewer/api/envelopes/{both}/grant").get_json() == {"error": "no_grant"}

    [entry] = trail(app, "key.grant")
    assert entry.actor == "kim" and entry.subject == "user:lee"
    assert json.loads(entry.details) == {"count": 1, "envelopes": [envelope_id], "recipient": "lee"}
    assert [e.actor for e in trail(app, "key.grant_fetch")] == ["lee"]
    with app.app_context():
        [stored] = db.session().scalars(select(KeyGrant)).all()
        assert stored.granted_by_id == kim.user_id and stored.sealed_key == sealed
    assert_trail_intact(app)


def test_a_granted_colleague_can_pass_access_on(app: Flask, team: dict[str, Person]) -> None:
    kim, lee, park, admin = team["kim"], team["lee"], team["park"], team["admin"]
    kim_identity, lee_identity, park_identity = (identity_file(n)[0] for n in (1, 2, 3))
    envelope_id = store_envelope(app, kim_identity)
    key = file_key(app, envelope_id, kim_identity)
    lee_id = recipient_id(app, lee)
    post_grants(
        kim,
        [
            {
                "envelope_id": envelope_id,
                "recipient_id": lee_id,
                "sealed_key": b64(nacl.bindings.crypto_box_seal(key, lee_identity.public_key.raw)),
            }
        ],
    )
    vet(app, admin, park)
    park_id = recipient_id(app, park)
    pending = lee.client.get(f"/reviewer/api/grants/pending?recipient_id={park_id}").get_json()
    assert pending["envelopes"] == [{"id": envelope_id, "via": "grant"}]
    sealed = nacl.bindings.crypto_box_seal(key, park_identity.public_key.raw)
    grant = {"envelope_id": envelope_id, "recipient_id": park_id, "sealed_key": b64(sealed)}
    assert post_grants(lee, [grant]).get_json() == {"granted": 1, "already": 0}
    assert park.client.get(f"/reviewer/api/envelopes/{envelope_id}/grant").status_code == 200


def test_grants_are_validated(app: Flask, team: dict[str, Person]) -> None:
    kim, lee, park, admin = team["kim"], team["lee"], team["park"], team["admin"]
    kim_identity, lee_identity = identity_file(1)[0], identity_file(2)[0]
    mine = store_envelope(app, kim_identity)
    not_mine = store_envelope(app, lee_identity)
    lee_id, kim_id = recipient_id(app, lee), recipient_id(app, kim)
    sealed = b64(nacl.bindings.crypto_box_seal(os.urandom(32), lee_identity.public_key.raw))
    good = {"envelope_id": mine, "recipient_id": lee_id, "sealed_key": sealed}
    with app.app_context():
        demo = recipients.add(db.session(), "cli-recipient", Identity.generate().public_key.text)
        db.session().commit()
        demo_id = demo.id
    cases = [
        ([{**good, "sealed_key": sealed[:-4]}], "bad_sealed_key"),
        ([{**good, "sealed_key": sealed + "="}], "bad_sealed_key"),
        ([{**good, "envelope_id": "1"}], "bad_request"),
        ([{**good, "envelope_id": 9999}], "unknown_envelope"),
        ([{**good, "envelope_id": not_mine}], "no_access"),
        ([{**good, "recipient_id": kim_id}], "own_recipient"),
        ([{**good, "recipient_id": 9999}], "bad_recipient"),
        # A recipient that is no vetted reviewer's key (added on the command line): refused.
        ([{**good, "recipient_id": demo_id}], "bad_recipient"),
        ([good, {**good, "envelope_id": not_mine}], "no_access"),
    ]
    for grants, code in cases:
        response = post_grants(kim, grants)
        assert response.status_code == 400, grants
        assert response.get_json()["error"] == code, grants
    assert post_grants(kim, []).get_json() == {"error": "bad_request"}
    assert post_grants(kim, [good] * 201).get_json() == {"error": "bad_request"}
    # All or nothing: the good grant of the refused batch was not kept.
    with app.app_context():
        assert db.session().scalars(select(KeyGrant)).all() == []
    # An unvetted reviewer cannot grant; nor can anyone grant to a revoked colleague.
    assert post_grants(park, [good]).status_code == 403
    admin_post(admin, f"/reviewer/admin/keys/{key_of(app, lee).id}/revoke")
    assert post_grants(kim, [good]).get_json() == {"error": "bad_recipient", "index": 0}
    assert kim.client.get(f"/reviewer/api/grants/pending?recipient_id={lee_id}").status_code == 400
    assert trail(app, "key.grant") == []
    assert_trail_intact(app)


def test_a_reviewer_whose_display_name_is_the_login_is_named_once(
    app: Flask, admin: Person, kim: Person
) -> None:
    # Kim's display name is the login; Lee's is not, so the login stays beside it.
    lee_id, lee_secret = make_user(app, "lee", "reviewer", name="이 검토자")
    lee = Person("lee", lee_id, lee_secret, app.test_client())
    log_in(lee.client, "lee", PASSWORD, lee_secret)
    enrol(kim, 1)
    enrol(lee, 2)
    vetting = admin.client.get("/reviewer/admin/keys").get_data(as_text=True)
    assert "<p><strong>kim</strong></p>" in vetting and "kim (kim)" not in vetting
    assert "<p><strong>이 검토자</strong> (lee)</p>" in vetting
    assert '<span class="who">admin</span>' in vetting
    assert '<span class="who">이 검토자 (lee)</span>' in lee.client.get("/reviewer/keys").get_data(
        as_text=True
    )


def test_key_pages_render_in_both_languages(app: Flask, admin: Person, kim: Person) -> None:
    enrol(kim, 1)
    for lang, word in (("ko", 'lang="ko"'), ("en", 'lang="en"')):
        for client, path in ((kim.client, "/reviewer/keys"), (admin.client, "/reviewer/admin/keys")):
            response = client.get(f"{path}?lang={lang}")
            assert response.status_code == 200
            page = response.get_data(as_text=True)
            assert f"<html {word}>" in page
            assert "<script>" not in page and "style=" not in page
            assert "Content-Security-Policy" in response.headers
    vet(app, admin, kim)
    page = kim.client.get("/reviewer/keys/grants?lang=en").get_data(as_text=True)
    assert "lang=en" in page  # URLs carry the language
