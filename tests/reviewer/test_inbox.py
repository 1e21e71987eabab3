"""The inbox and submission routes (reviewer/inbox/): who gets in, filters and pagination, ciphertext
served and audited, triage over HTTP with CSRF, notes stored as ciphertext only."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from core import audit, db, submissions
from core.models import AuditEntry, Submission
from crypto.envelope import decrypt_all, encrypt_parts
from reviewer import triage
from reviewer.inbox.listing import InboxFilters, inbox_page
from reviewer.models import Note, Triage, User
from tests.reviewer.helpers import csrf_token, log_in, make_user, reauthenticate
from tests.reviewer.reading_helpers import add_submission, give_vetted_key, revoke_all_keys_of

SENTINEL = "INBOX-SENTINEL-회령-4417"


@pytest.fixture
def reviewer(app: Flask) -> dict:
    """Reviewer "kim" with a vetted key, and one submission sealed to it."""
    user_id, secret = make_user(app, "kim", "reviewer", name="김 검토자")
    identity = give_vetted_key(app, user_id)
    sid, eid = add_submission(
        app,
        {"what_happened": SENTINEL, "submitter": "survivor"},
        attachments=[("photo.jpg", "image/jpeg", b"\xff\xd8" + b"J" * 70000)],
    )
    return {"id": user_id, "secret": secret, "identity": identity, "submission": sid, "envelope": eid}


@pytest.fixture
def kim(app: Flask, client: FlaskClient, reviewer: dict) -> FlaskClient:
    log_in(client, "kim", totp_secret=reviewer["secret"])
    return client


def _routes(r: dict) -> list[tuple[str, str]]:
    sid, eid = r["submission"], r["envelope"]
    return [
        ("GET", "/reviewer/inbox"),
        ("GET", "/reviewer/inbox/"),
        ("GET", f"/reviewer/submissions/{sid}"),
        ("GET", f"/reviewer/api/envelopes/{eid}"),
        ("GET", f"/reviewer/envelopes/{eid}/export"),
        ("POST", f"/reviewer/submissions/{sid}/state"),
        ("POST", f"/reviewer/submissions/{sid}/assign"),
        ("POST", f"/reviewer/submissions/{sid}/tags"),
        ("POST", f"/reviewer/submissions/{sid}/tags/1/remove"),
        ("POST", f"/reviewer/api/submissions/{sid}/notes"),
        ("GET", "/reviewer/api/notes/1"),
    ]


def _call(client: FlaskClient, method: str, path: str) -> int:
    if method == "GET":
        return client.get(path).status_code
    token = csrf_token(client, "/reviewer/login")
    if "/api/" in path:
        return client.post(path, data=b"x", headers={"X-CSRFToken": token}).status_code
    return client.post(path, data={"csrf_token": token, "to": "in_review", "tag": "t"}).status_code


def _refused(status: int, path: str) -> bool:
    return status in (401, 403) if "/api/" in path else status in (302, 403)


def test_anonymous_users_are_refused_everywhere(app: Flask, client: FlaskClient, reviewer: dict) -> None:
    for method, path in _routes(reviewer):
        status = _call(client, method, path)
        assert _refused(status, path), (method, path, status)
    assert client.get("/reviewer/api/envelopes/1").get_json() == {"error": "login"}


def test_a_password_without_totp_is_not_a_login(app: Flask, client: FlaskClient, reviewer: dict) -> None:
    token = csrf_token(client, "/reviewer/login")
    from tests.reviewer.helpers import PASSWORD

    first = client.post("/reviewer/login", data={"login": "kim", "password": PASSWORD, "csrf_token": token})
    assert first.status_code == 302
    for method, path in _routes(reviewer):
        assert _refused(_call(client, method, path), path), (method, path)


@pytest.mark.parametrize("roles", [("admin",), ("case_team",), ("admin", "case_team")])
def test_other_roles_are_refused(app: Flask, client: FlaskClient, reviewer: dict, roles: tuple) -> None:
    user_id, secret = make_user(app, "other", *roles)
    give_vetted_key(app, user_id)  # even with a key: reading is for reviewers
    log_in(client, "other", totp_secret=secret)
    for method, path in _routes(reviewer):
        assert _call(client, method, path) == 403, (method, path)


def test_reviewers_without_a_vetted_key_are_refused(app: Flask, client: FlaskClient, reviewer: dict) -> None:
    _user_id, secret = make_user(app, "lee", "reviewer")
    log_in(client, "lee", totp_secret=secret)
    for method, path in _routes(reviewer):
        assert _call(client, method, path) == 403, (method, path)
    assert client.get(f"/reviewer/api/envelopes/{reviewer['envelope']}").get_json() == {
        "error": "no_vetted_key"
    }


def test_a_revoked_key_is_refused_at_once(app: Flask, kim: FlaskClient, reviewer: dict) -> None:
    assert kim.get("/reviewer/inbox").status_code == 200
    revoke_all_keys_of(app, reviewer["id"])
    for method, path in _routes(reviewer):
        assert _call(kim, method, path) == 403, (method, path)


def test_the_inbox_with_a_trailing_slash_leads_to_the_inbox(kim: FlaskClient) -> None:
    # As /reviewer/records/ and /reviewer/dossiers/ are written; the filters come along.
    response = kim.get("/reviewer/inbox/?state=new&tag=%ED%9A%8C%EB%A0%B9")
    assert response.status_code == 308
    assert response.headers["Location"] == "/reviewer/inbox?state=new&tag=%ED%9A%8C%EB%A0%B9"
    assert kim.get("/reviewer/inbox/", follow_redirects=True).status_code == 200


def test_posts_need_the_csrf_token(app: Flask, kim: FlaskClient, reviewer: dict) -> None:
    sid = reviewer["submission"]
    assert kim.post(f"/reviewer/submissions/{sid}/state", data={"to": "in_review"}).status_code == 400
    assert kim.post(f"/reviewer/api/submissions/{sid}/notes", data=b"x").status_code == 400
    with app.app_context():
        assert db.session().get(Submission, sid).state == "new"


def test_the_envelope_is_served_as_ciphertext_and_audited(
    app: Flask, kim: FlaskClient, reviewer: dict
) -> None:
    sid_blob, eid_blob = add_submission(app, {"what_happened": SENTINEL}, in_blob_store=True)
    for eid in (reviewer["envelope"], eid_blob):
        response = kim.get(f"/reviewer/api/envelopes/{eid}")
        assert response.status_code == 200
        assert response.mimetype == "application/octet-stream"
        assert response.headers["Cache-Control"] == "no-store"
        body = response.get_data()
        assert int(response.headers["Content-Length"]) == len(body)
        assert SENTINEL.encode() not in body
        parts = decrypt_all(io.BytesIO(body), reviewer["identity"])
        assert SENTINEL in parts[0][1].decode()
        with app.app_context():
            entry = audit.entries(db.session(), limit=1)[0]
            assert (entry.action, entry.actor, entry.subject) == ("envelope.fetch", "kim", f"envelope:{eid}")
    assert kim.get("/reviewer/api/envelopes/999999").status_code == 404


def test_an_envelope_kept_in_the_database_is_served_alike(
    app: Flask, kim: FlaskClient, reviewer: dict
) -> None:
    app.config["SORI_BLOB_STORE"] = "database"  # as on several app hosts (core/blobs_in_database.py)
    _sid, eid = add_submission(app, {"what_happened": SENTINEL}, in_blob_store=True)
    response = kim.get(f"/reviewer/api/envelopes/{eid}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_data()
    assert int(response.headers["Content-Length"]) == len(body)
    assert SENTINEL in decrypt_all(io.BytesIO(body), reviewer["identity"])[0][1].decode()
    assert [p for p in (app.config["SORI_DATA_DIR"] / "blobs").rglob("*") if p.is_file()] == []


def test_export_needs_a_fresh_login_and_names_the_file(app: Flask, kim: FlaskClient, reviewer: dict) -> None:
    eid, sid = reviewer["envelope"], reviewer["submission"]
    with kim.session_transaction() as session:
        session["reviewer_reauth_at"] = 0
    stale = kim.get(f"/reviewer/envelopes/{eid}/export")
    assert stale.status_code == 302 and "/reviewer/reauth" in stale.headers["Location"]
    reauthenticate(kim)
    response = kim.get(f"/reviewer/envelopes/{eid}/export")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="{sid}-1.sori"'
    assert decrypt_all(io.BytesIO(response.get_data()), reviewer["identity"])[1][1][:2] == b"\xff\xd8"
    with app.app_context():
        assert audit.entries(db.session(), limit=1)[0].action == "envelope.export"


def test_the_submission_page_carries_what_the_script_needs_and_no_plaintext(
    app: Flask, kim: FlaskClient, reviewer: dict
) -> None:
    sid = reviewer["submission"]
    page = kim.get(f"/reviewer/submissions/{sid}?lang=ko").get_data(as_text=True)
    assert SENTINEL not in page
    assert 'id="reader"' in page and "data-sodium=" in page and "reviewer-read.js" in page
    assert reviewer["identity"].public_key.text in page  # data-recipients, for notes
    assert reviewer["identity"].public_key.key_id.hex() in page  # data-key-ids of the envelope
    assert f'data-url="/reviewer/api/envelopes/{reviewer["envelope"]}' in page
    labels = json.loads(html.unescape(re.search(r'data-labels="([^"]+)"', page).group(1)))
    assert labels["fields"]["what_happened"] != "What happened?"  # Korean, from the source form's catalog
    assert labels["values"]["violations"]["forced_labour"]
    english = kim.get(f"/reviewer/submissions/{sid}?lang=en").get_data(as_text=True)
    labels = json.loads(html.unescape(re.search(r'data-labels="([^"]+)"', english).group(1)))
    assert labels["fields"]["what_happened"] == "What happened?"
    assert 'lang="ko"' in page
    assert "<script>" not in page.replace('<script src="', "")  # no inline script
    assert kim.get("/reviewer/submissions/nope").status_code == 404


def test_triage_over_http_with_four_eyes(
    app: Flask, client: FlaskClient, kim: FlaskClient, reviewer: dict
) -> None:
    sid = reviewer["submission"]
    page = f"/reviewer/submissions/{sid}"

    def post(c: FlaskClient, path: str, **data: str):
        return c.post(path, data={"csrf_token": csrf_token(c, page), **data})

    assert post(kim, f"{page}/state", to="verified").status_code == 409  # new → verified is not a move
    assert post(kim, f"{page}/state", to="in_review").status_code == 303
    assert post(kim, f"{page}/state", to="verified").status_code == 303
    refused = post(kim, f"{page}/state", to="verified")
    assert refused.status_code == 409 and "second, different reviewer" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session().get(Submission, sid).state == "in_review"
    other = app.test_client()
    other_id, secret = make_user(app, "park", "reviewer")
    give_vetted_key(app, other_id)
    log_in(other, "park", totp_secret=secret)
    assert post(other, f"{page}/state", to="verified").status_code == 303
    with app.app_context():
        assert db.session().get(Submission, sid).state == "verified"
    assert post(other, f"{page}/state", to="duplicate", duplicate_of=sid).status_code == 409
    assert post(other, f"{page}/state", to="withdrawn").status_code == 303
    with app.app_context():
        assert db.session().get(Submission, sid).state == "withdrawn"


def test_assign_and_tag_over_http(app: Flask, kim: FlaskClient, reviewer: dict) -> None:
    sid = reviewer["submission"]
    page = f"/reviewer/submissions/{sid}"
    token = csrf_token(kim, page)
    assert kim.post(f"{page}/assign", data={"csrf_token": token, "assignee": "me"}).status_code == 303
    assert kim.post(f"{page}/tags", data={"csrf_token": token, "tag": "회령"}).status_code == 303
    assert kim.post(f"{page}/tags", data={"csrf_token": token, "tag": " "}).status_code == 409
    admin_id, _ = make_user(app, "boss", "admin")
    bad = kim.post(f"{page}/assign", data={"csrf_token": token, "assignee": str(admin_id)})
    assert bad.status_code == 409
    html = kim.get(page).get_data(as_text=True)
    assert "회령" in html and "김 검토자" in html
    with app.app_context():
        tag_id = db.session().execute(select(triage.Tag.id)).scalar_one()
        assert db.session().get(Triage, sid).assignee_id == reviewer["id"]
    assert kim.post(f"{page}/tags/{tag_id}/remove", data={"csrf_token": token}).status_code == 303
    assert "회령" not in kim.get(page).get_data(as_text=True)


def test_notes_are_ciphertext_only(app: Flask, kim: FlaskClient, reviewer: dict) -> None:
    sid = reviewer["submission"]
    note_text = "NOTE-PLAINTEXT-보위부-9921"
    token = csrf_token(kim, f"/reviewer/submissions/{sid}")
    with app.app_context():
        keys = submissions.recipient_keys(db.session())
    out = io.BytesIO()
    encrypt_parts(out, keys, [("note.txt", "text/plain", note_text.encode())])
    url = f"/reviewer/api/submissions/{sid}/notes"
    headers = {"X-CSRFToken": token, "Content-Type": "application/octet-stream"}
    created = kim.post(url, data=out.getvalue(), headers=headers)
    assert created.status_code == 201
    note_url = created.get_json()["url"]
    assert kim.post(url, data=note_text.encode(), headers=headers).status_code == 400
    assert kim.post(url, data=b"x" * (triage.NOTE_MAX_BYTES + 1), headers=headers).status_code == 413
    fetched = kim.get(note_url)
    assert fetched.status_code == 200 and fetched.get_data() == out.getvalue()
    assert decrypt_all(io.BytesIO(fetched.get_data()), reviewer["identity"])[0][1] == note_text.encode()
    with app.app_context():
        session = db.session()
        for note in session.scalars(select(Note)):
            assert note_text.encode() not in note.ciphertext
        for entry in session.scalars(select(AuditEntry)):
            assert note_text not in entry.details
        assert [e.action for e in audit.entries(session, limit=2)] == ["note.fetch", "note.write"]
    assert 'class="note"' in kim.get(f"/reviewer/submissions/{sid}").get_data(as_text=True)


# ---- Inbox: filters and pagination ----------------------------------------------------------------------


@pytest.fixture
def filled(app: Flask, reviewer: dict) -> dict:
    """Submissions on different days, states, tags, assignees and paths."""
    today = date(2026, 3, 10)
    ids = {}
    ids["old_server"], _ = add_submission(app, path="server", received_on=today - timedelta(days=30))
    ids["tagged"], _ = add_submission(app, received_on=today - timedelta(days=3))
    ids["mine"], _ = add_submission(app, received_on=today - timedelta(days=2))
    ids["review"], _ = add_submission(app, received_on=today - timedelta(days=1))
    with app.app_context():
        session = db.session()
        kim = session.get(User, reviewer["id"])
        triage.add_tag(session, session.get(Submission, ids["tagged"]), "회령", kim)
        triage.assign(session, session.get(Submission, ids["mine"]), kim, kim)
        triage.change_state(session, session.get(Submission, ids["review"]), "in_review", kim)
        session.commit()
    return ids


def _inbox_ids(kim: FlaskClient, query: str) -> list[str]:
    html = kim.get("/reviewer/inbox?" + query).get_data(as_text=True)
    return re.findall(r'data-submission-id="([^"]+)"', html)


def test_inbox_filters(app: Flask, kim: FlaskClient, reviewer: dict, filled: dict) -> None:
    everything = _inbox_ids(kim, "")
    assert len(everything) == 5 and everything[-1] == filled["old_server"]
    assert _inbox_ids(kim, "state=in_review") == [filled["review"]]
    assert _inbox_ids(kim, "tag=회령") == [filled["tagged"]]
    assert _inbox_ids(kim, "assignee=me") == [filled["mine"]]
    assert _inbox_ids(kim, f"assignee={reviewer['id']}") == [filled["mine"]]
    assert filled["mine"] not in _inbox_ids(kim, "assignee=nobody")
    assert len(_inbox_ids(kim, "assignee=nobody")) == 4
    assert _inbox_ids(kim, "path=server") == [filled["old_server"]]
    assert _inbox_ids(kim, "from=2026-03-07&to=2026-03-08") == [filled["mine"], filled["tagged"]]
    assert _inbox_ids(kim, "state=bogus&from=nonsense") == everything  # ignored, not an error
    html = kim.get("/reviewer/inbox?tag=회령&lang=ko").get_data(as_text=True)
    assert "회령" in html and "<table" in html


def test_inbox_pages_with_a_cursor(app: Flask, kim: FlaskClient, reviewer: dict) -> None:
    for n in range(12):
        add_submission(app, received_on=date(2026, 1, 1) + timedelta(days=n % 4))
    with app.app_context():
        session = db.session()
        user = session.get(User, reviewer["id"])
        seen: list[str] = []
        filters = InboxFilters()
        while True:
            rows, cursor = inbox_page(session, filters, user, limit=5)
            seen += [row.id for row in rows]
            if cursor is None:
                break
            filters = InboxFilters.from_args({"after": cursor})
        everything = session.execute(
            select(Submission.id).order_by(Submission.received_on.desc(), Submission.id.desc())
        ).scalars()
        assert seen == list(everything) and len(seen) == 13
    html = kim.get("/reviewer/inbox").get_data(as_text=True)
    assert 'rel="next"' not in html  # 13 fit on one page of 50


def test_the_inbox_costs_the_same_queries_whatever_the_page_size(
    app: Flask, kim: FlaskClient, reviewer: dict
) -> None:
    made = [add_submission(app)[0] for _ in range(30)]
    with app.app_context():
        session = db.session()
        user = session.get(User, reviewer["id"])
        for n, sid in enumerate(made):
            triage.add_tag(session, session.get(Submission, sid), f"tag-{n % 3}", user)
            triage.assign(session, session.get(Submission, sid), user, user)
        session.commit()
        engine = db.database(app).engine
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            for limit in (2, 30):
                statements.clear()
                rows, _cursor = inbox_page(db.session(), InboxFilters(), user, limit=limit)
                assert len(rows) == limit and sum(bool(row.tags) for row in rows) >= limit - 1
                assert len(statements) == 2, statements
        finally:
            event.remove(engine, "before_cursor_execute", count)


def test_json_errors_of_the_note_api(app: Flask, kim: FlaskClient, reviewer: dict) -> None:
    token = csrf_token(kim, "/reviewer/inbox")
    response = kim.post("/reviewer/api/submissions/nope/notes", data=b"x", headers={"X-CSRFToken": token})
    assert response.status_code == 404 and response.get_json() == {"error": "not_found"}
    assert kim.get("/reviewer/api/notes/424242").status_code == 404
    assert json.loads(kim.get("/reviewer/api/notes/424242").get_data()) == {"error": "not_found"}
