"""The conversation with the source (issue 11), through the pages and APIs: a reviewer writes to the source,
sealed to the source's key and every reviewer; the source reads it with the receipt and answers; the source
withdraws, changes consent or asks for deletion; the inbox shows where each conversation stands."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core import db, form_nonces, receipts, submissions
from core.models import AuditEntry, Envelope, ReplyTemplate, Submission
from crypto.envelope import decrypt_all, encrypt_parts
from crypto.keys import Identity, PublicKey
from reviewer.models import User
from reviewer.records.sources import consent_covers, record_source
from tests.intake.source_helpers import controls
from tests.reviewer.helpers import PASSWORD, csrf_token, log_in, make_user
from tests.reviewer.reading_helpers import give_vetted_key

RECEIPT = re.compile(r'id="receipt-value">([0-9 ]{19})<')
QUESTION = "QUESTION-SENTINEL 대략 언제였는지 말씀해 주실 수 있습니까?"


@pytest.fixture
def kim(app: Flask, client: FlaskClient) -> Identity:
    """A logged-in reviewer with a vetted key (an active recipient)."""
    user_id, secret = make_user(app, "kim", "reviewer")
    identity = give_vetted_key(app, user_id)
    log_in(client, "kim", PASSWORD, secret)
    return identity


def _source_submits(app: Flask) -> tuple[str, str]:
    """A source sends an account without JavaScript; returns its receipt digits and submission id."""
    source = app.test_client()
    page = source.post(
        "/submit?lang=en",
        data={**controls(source), "what_happened": "회령 구류장에서 있었던 일"},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    digits = RECEIPT.search(page).group(1).replace(" ", "")
    with app.app_context():
        keys = receipts.derive(digits, submissions.receipt_salt(db.session()))
        found = submissions.find_by_lookup_key(db.session(), keys.lookup_key)
        return digits, found.id


def _message(
    app: Flask, submission_id: str, text: str = QUESTION, extra: list[PublicKey] | None = None
) -> bytes:
    """A message sealed as the reviewer's browser seals it: to the source and every active reviewer."""
    with app.app_context():
        session = db.session()
        source_key = session.get(Submission, submission_id).source_public_key
        keys = [*submissions.recipient_keys(session), PublicKey.parse(source_key), *(extra or [])]
    out = io.BytesIO()
    encrypt_parts(out, keys, [("message.txt", "text/plain; charset=utf-8", text.encode())])
    return out.getvalue()


def _send(client: FlaskClient, submission_id: str, body: bytes):
    return client.post(
        f"/reviewer/api/submissions/{submission_id}/messages",
        data=body,
        content_type="application/octet-stream",
        headers={"X-CSRFToken": csrf_token(client, f"/reviewer/submissions/{submission_id}")},
    )


def _status(app: Flask, digits: str):
    source = app.test_client()
    return source.post("/status?lang=en", data={**controls(source, "/status"), "receipt": digits})


def test_a_reviewer_asks_and_the_source_reads_it_with_the_receipt(
    app: Flask, client: FlaskClient, kim: Identity
) -> None:
    digits, submission_id = _source_submits(app)
    assert _send(client, submission_id, _message(app, submission_id)).status_code == 201

    with app.app_context():
        session = db.session()
        [message] = session.scalars(select(Envelope).where(Envelope.kind == "reviewer")).all()
        # Kept sealed; a colleague (any vetted reviewer) can open it, and audited without content.
        with submissions.open_envelope(message) as file:
            data = file.read()
        assert QUESTION.encode() not in data
        assert (
            dict((i.name, d) for i, d in decrypt_all(io.BytesIO(data), kim))["message.txt"]
            == QUESTION.encode()
        )
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "reply.send")).all()
        assert entry.actor == "kim" and entry.subject == f"submission:{submission_id}"
        assert QUESTION not in entry.details

    first = _status(app, digits).get_data(as_text=True)
    assert QUESTION in first and "There is 1 new message from a reviewer." in first
    assert "our server unlocked them with your receipt for this page only" in first
    again = _status(app, digits).get_data(as_text=True)
    assert QUESTION in again and "Nothing new since you last looked." in again


def test_the_source_s_browser_gets_the_message_sealed_and_opens_it_with_its_own_key(
    app: Flask, client: FlaskClient, kim: Identity
) -> None:
    digits, submission_id = _source_submits(app)
    _send(client, submission_id, _message(app, submission_id))
    with app.app_context():
        keys = receipts.derive(digits, submissions.receipt_salt(db.session()))
    source = app.test_client()
    answer = source.post(
        "/api/status?lang=en",
        json={
            "lookup_key": receipts.encode_key(keys.lookup_key),
            "source_key": keys.identity.public_key.text,
            "form_nonce": form_nonces.new(),
        },
        headers={"X-CSRFToken": csrf_token(source, "/status")},
    )
    html = answer.get_json()["html"]
    assert QUESTION not in html
    sealed = re.search(r'data-sealed="([^"]+)"', html).group(1)
    import base64

    opened = dict((i.name, d) for i, d in decrypt_all(io.BytesIO(base64.b64decode(sealed)), keys.identity))
    assert opened["message.txt"] == QUESTION.encode()


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("missing the source", "wrong_recipients"),
        ("an extra key", "wrong_recipients"),
        ("not an envelope", "bad_message"),
    ],
)
def test_a_message_sealed_to_the_wrong_keys_is_refused(
    app: Flask, client: FlaskClient, kim: Identity, case: str, code: str
) -> None:
    _, submission_id = _source_submits(app)
    if case == "missing the source":
        out = io.BytesIO()
        with app.app_context():
            encrypt_parts(
                out, submissions.recipient_keys(db.session()), [("message.txt", "text/plain", b"x")]
            )
        body = out.getvalue()
    elif case == "an extra key":
        body = _message(app, submission_id, extra=[Identity.generate().public_key])
    else:
        body = b"SORI-ENV" + bytes(100)
    answer = _send(client, submission_id, body)
    assert answer.get_json()["error"] == code and answer.status_code in (400, 409)
    with app.app_context():
        assert db.session().scalars(select(Envelope).where(Envelope.kind == "reviewer")).all() == []


def test_a_source_without_a_key_cannot_be_written_to(app: Flask, client: FlaskClient, kim: Identity) -> None:
    _, submission_id = _source_submits(app)
    with app.app_context():
        db.session().get(Submission, submission_id).source_public_key = None
        db.session().commit()
    page = client.get(f"/reviewer/submissions/{submission_id}").get_data(as_text=True)
    assert 'id="no-source-key"' in page and 'id="message-composer"' not in page
    answer = _send(client, submission_id, b"SORI-ENV")
    assert answer.status_code == 409 and answer.get_json()["error"] == "no_source_key"


def test_a_legacy_receipt_is_upgraded_and_gets_its_key_when_the_source_comes_back(
    app: Flask, client: FlaskClient, kim: Identity
) -> None:
    digits, submission_id = _source_submits(app)
    with app.app_context():
        session = db.session()
        keys = receipts.derive(digits, submissions.receipt_salt(session))
        row = session.get(Submission, submission_id)
        row.receipt_hash, row.receipt_scheme, row.source_public_key = keys.legacy_hash, 1, None
        session.commit()
    source = app.test_client()
    token = csrf_token(source, "/status")
    payload = {
        "lookup_key": receipts.encode_key(keys.lookup_key),
        "source_key": keys.identity.public_key.text,
    }
    first = source.post(
        "/api/status", json={**payload, "form_nonce": form_nonces.new()}, headers={"X-CSRFToken": token}
    )
    assert first.status_code == 403 and first.get_json()["legacy"] is True
    retry = source.post(
        "/api/status",
        json={**payload, "receipt": digits, "form_nonce": first.get_json()["form_nonce"]},
        headers={"X-CSRFToken": token},
    )
    assert retry.status_code == 200
    with app.app_context():
        row = db.session().get(Submission, submission_id)
        assert row.receipt_scheme == 2 and row.receipt_hash == receipts.stored_hash(keys.lookup_key)
        assert row.source_public_key == keys.identity.public_key.text
        assert not submissions.has_legacy_receipts(db.session())


def _choose(app: Flask, digits: str, choice: str, **answers: str):
    page = _status(app, digits).get_data(as_text=True)
    follow_up_key = re.search(r'name="follow_up_key" value="([^"]+)"', page).group(1)
    source = app.test_client()
    base = {**controls(source, "/status"), "follow_up_key": follow_up_key, "choice": choice}
    second = source.post("/status/choice?lang=en", data=base)
    assert second.status_code == 200 and "Confirm your choice" in second.get_data(as_text=True)
    confirm = {
        **base,
        "form_nonce": re.search(r'name="form_nonce" value="([^"]+)"', second.get_data(as_text=True)).group(1),
        **answers,
    }
    done = source.post("/status/choice/confirm?lang=en", data=confirm)
    assert done.status_code == 200
    # Confirmed once: the same confirmation again changes nothing and shows nothing.
    assert source.post("/status/choice/confirm?lang=en", data=confirm).status_code == 410
    return done


def test_the_source_withdraws_and_exports_leave_the_testimony_out(
    app: Flask, client: FlaskClient, kim: Identity
) -> None:
    digits, submission_id = _source_submits(app)
    _choose(app, digits, "withdraw")
    with app.app_context():
        assert db.session().get(Submission, submission_id).state == "withdrawn"
        assert consent_covers(db.session(), [submission_id], "sanctions") == set()
    assert "You withdrew this account." in _status(app, digits).get_data(as_text=True)


def test_a_no_the_source_sets_takes_effect_at_once_and_a_yes_waits_for_a_reviewer(
    app: Flask, client: FlaskClient, kim: Identity
) -> None:
    digits, submission_id = _source_submits(app)
    with app.app_context():
        session = db.session()
        kim_user = session.scalars(select(User).where(User.login == "kim")).one()
        yes = {"consent_sanctions": True, "consent_documentation": True}
        record_source(session, kim_user, session.get(Submission, submission_id), ref=None, consents=yes)
        session.commit()
    with app.app_context():
        assert consent_covers(db.session(), [submission_id], "sanctions") == {submission_id}
    _choose(app, digits, "consent", consent_documentation="yes", consent_sanctions="no")
    with app.app_context():
        assert consent_covers(db.session(), [submission_id], "sanctions") == set()
    page = client.get(f"/reviewer/submissions/{submission_id}").get_data(as_text=True)
    assert 'id="source-consent"' in page


def test_a_deletion_request_tops_the_inbox(app: Flask, client: FlaskClient, kim: Identity) -> None:
    digits, submission_id = _source_submits(app)
    _source_submits(app)
    _choose(app, digits, "delete")
    inbox = client.get("/reviewer/inbox").get_data(as_text=True)
    top = inbox.index('id="deletion-requests"')
    assert top < inbox.index("submission-row") and submission_id in inbox[top : inbox.index("submission-row")]
    only = client.get("/reviewer/inbox?talk=deletion").get_data(as_text=True)
    assert only.count("submission-row") == 1
    with app.app_context():
        assert (
            db.session()
            .scalars(select(AuditEntry).where(AuditEntry.action == "source.deletion_request"))
            .one()
        )


def test_the_inbox_tells_who_is_waiting_for_whom(app: Flask, client: FlaskClient, kim: Identity) -> None:
    digits, asked = _source_submits(app)
    _, untouched = _source_submits(app)
    _send(client, asked, _message(app, asked))
    waiting = client.get("/reviewer/inbox?talk=waiting").get_data(as_text=True)
    assert asked in waiting and untouched not in waiting
    source = app.test_client()
    page = _status(app, digits).get_data(as_text=True)
    follow_up_key = re.search(r'name="follow_up_key" value="([^"]+)"', page).group(1)
    source.post(
        "/submit?lang=en",
        data={**controls(source), "follow_up_key": follow_up_key, "what_happened": "ANSWER 2019년 겨울"},
        content_type="multipart/form-data",
    )
    answered = client.get("/reviewer/inbox?talk=answered").get_data(as_text=True)
    assert asked in answered and untouched not in answered
    assert "The source answered" in client.get(f"/reviewer/submissions/{asked}").get_data(as_text=True)


def test_reply_templates_are_kept_by_admins_and_offered_to_reviewers(
    app: Flask, client: FlaskClient, kim: Identity
) -> None:
    _, submission_id = _source_submits(app)
    admin = app.test_client()
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    _, secret = make_user(app, "boss", "admin")
    log_in(admin, "boss", PASSWORD, secret)
    token = csrf_token(admin, "/reviewer/admin/reply-templates")
    refused = admin.post("/reviewer/admin/reply-templates", data={"csrf_token": token, "title": "When?"})
    assert refused.status_code == 400 and "in Korean and in English" in refused.get_data(as_text=True)
    saved = admin.post(
        "/reviewer/admin/reply-templates",
        data={
            "csrf_token": token,
            "title": "When?",
            "text_ko": "대략 언제였습니까?",
            "text_en": "Roughly when?",
        },
    )
    assert saved.status_code == 303
    page = client.get(f"/reviewer/submissions/{submission_id}").get_data(as_text=True)
    assert 'data-text="대략 언제였습니까?"' in page and 'data-text="Roughly when?"' in page
    # Only admins keep them.
    assert client.get("/reviewer/admin/reply-templates").status_code == 403
    with app.app_context():
        template_id = db.session().scalars(select(ReplyTemplate.id)).one()
    gone = admin.post(f"/reviewer/admin/reply-templates/{template_id}/delete", data={"csrf_token": token})
    assert gone.status_code == 303
    with app.app_context():
        assert db.session().scalars(select(ReplyTemplate)).all() == []


def test_who_may_write_to_a_source(app: Flask, client: FlaskClient) -> None:
    """A vetted reviewer only: not a reviewer without a vetted key, not the case team, not an admin alone."""
    vetted, _ = make_user(app, "kim", "reviewer")
    give_vetted_key(app, vetted)
    _, submission_id = _source_submits(app)
    for login, roles in (("fresh", ("reviewer",)), ("case", ("case_team",)), ("boss", ("admin",))):
        other = app.test_client()
        _, secret = make_user(app, login, *roles)
        log_in(other, login, PASSWORD, secret)
        answer = other.post(
            f"/reviewer/api/submissions/{submission_id}/messages",
            data=b"x",
            headers={"X-CSRFToken": csrf_token(other, "/reviewer/")},
        )
        assert answer.status_code == 403, login


def test_authorization_matrix_of_the_conversation_routes(
    app: Flask, client: FlaskClient, kim: Identity
) -> None:
    """Each conversation route against each kind of account: only a vetted reviewer writes to a source or
    reads the thread (the submission page, a message envelope), only an admin keeps reply templates; the
    case team sees none of it, and a visitor without an account is sent to log in."""
    _, submission_id = _source_submits(app)
    with app.app_context():
        session = db.session()
        session.add(ReplyTemplate(title="When", text_ko="언제였습니까?", text_en="When was it?"))
        session.commit()
        template_id = session.scalars(select(ReplyTemplate.id)).one()
        envelope_id = session.scalars(select(Envelope.id)).first()
    routes = {
        ("POST", f"/reviewer/api/submissions/{submission_id}/messages"): "vetted",
        ("GET", f"/reviewer/submissions/{submission_id}"): "vetted",
        ("GET", f"/reviewer/api/envelopes/{envelope_id}"): "vetted",
        ("GET", "/reviewer/admin/reply-templates"): "admin",
        ("POST", "/reviewer/admin/reply-templates"): "admin",
        ("POST", f"/reviewer/admin/reply-templates/{template_id}/delete"): "admin",
    }
    accounts = {"anonymous": None, "fresh": ("reviewer",), "case": ("case_team",), "boss": ("admin",)}
    for login, roles in accounts.items():
        other = app.test_client()
        if roles is not None:
            _, secret = make_user(app, login, *roles)
            log_in(other, login, PASSWORD, secret)
        for (method, path), who in routes.items():
            allowed = who == "admin" and login == "boss"
            answer = _call(other, method, path)
            refused = answer.status_code in (401, 403) or (
                answer.status_code == 302 and "/reviewer/login" in answer.headers.get("Location", "")
            )
            assert refused != allowed, (login, method, path, answer.status_code)
    # The vetted reviewer (kim, logged in on ``client``) gets through the access rules of the reviewer routes.
    for (method, path), who in routes.items():
        if who == "vetted" and method == "GET":
            assert _call(client, method, path).status_code == 200, path


def _call(client: FlaskClient, method: str, path: str):
    if method == "GET":
        return client.get(path)
    token = csrf_token(client, "/reviewer/login")
    if "/api/" in path:
        return client.post(path, data=b"x", headers={"X-CSRFToken": token})
    form = {"csrf_token": token, "title": "Where", "text_ko": "어디", "text_en": "Where?"}
    return client.post(path, data=form)
