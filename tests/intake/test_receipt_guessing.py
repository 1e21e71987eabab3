"""Guessing receipts (issue 18, finding 4): wrong receipts are counted for the whole instance in the
database, on every path that takes a receipt or a follow-up key; past the budget they are answered "too
many, wait"; a right receipt is always answered; and an unknown key gets the same answer on every path,
whatever the body that came with it."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core import form_nonces, receipts
from crypto.envelope import encrypt_parts
from crypto.keys import Identity
from sori import create_app
from tests.intake.source_helpers import SOURCE_KEY, controls, csrf_token, vet_reviewer

RECEIPT = re.compile(r'id="receipt-value">([0-9 ]{19})<')
UNKNOWN_KEY = receipts.encode_key(bytes(32))


def _envelope(reviewer: Identity) -> bytes:
    out = io.BytesIO()
    encrypt_parts(out, [reviewer.public_key], [("answers.json", "application/json", b"{}")])
    return out.getvalue()


def _answer(response) -> tuple[int, str]:
    """What an answer tells a guesser: its status and its message, page or JSON alike."""
    if response.is_json:
        return response.status_code, response.get_json()["message"]
    page = response.get_data(as_text=True)
    alert = r'<p class="notice error" id="status-error" role="alert">([^<]+)<'
    message = re.search(alert, page) or re.search(r"<h1>[^<]+</h1>\s*<p>([^<]+)<", page)
    assert message, page[:500]
    return response.status_code, message.group(1)


def _guessers(client: FlaskClient, reviewer: Identity) -> dict[str, Callable[[str], object]]:
    """One wrong guess on each path that takes a receipt or a follow-up key."""
    token = csrf_token(client)
    envelope = _envelope(reviewer)

    def api_headers() -> dict[str, str]:
        return {"X-CSRFToken": token, "X-Form-Nonce": form_nonces.new()}

    def pieces(key: str):
        upload = client.post("/api/uploads", json={"size": len(envelope)}, headers=api_headers()).get_json()
        client.put(
            f"/api/uploads/{upload['id']}", data=envelope, headers={**api_headers(), "X-Upload-Offset": "0"}
        )
        return client.post(
            f"/api/uploads/{upload['id']}/finish?lang=en",
            json={"follow_up_key": key, "form_nonce": form_nonces.new()},
            headers=api_headers(),
        )

    return {
        "status page (digits)": lambda digits: client.post(
            "/status?lang=en", data={**controls(client, "/status"), "receipt": digits}
        ),
        "status API": lambda key: client.post(
            "/api/status?lang=en",
            json={"lookup_key": key, "source_key": SOURCE_KEY, "form_nonce": form_nonces.new()},
            headers={"X-CSRFToken": token},
        ),
        "follow-up form": lambda key: client.post(
            "/submit?lang=en",
            data={**controls(client), "follow_up_key": key, "what_happened": "더"},
            content_type="multipart/form-data",
        ),
        "follow-up in one request": lambda key: client.post(
            "/api/submissions?lang=en",
            data=envelope,
            content_type="application/octet-stream",
            headers={**api_headers(), "X-Follow-Up-Key": key},
        ),
        "follow-up in pieces": pieces,
        "a choice": lambda key: client.post(
            "/status/choice?lang=en",
            data={**controls(client, "/status"), "follow_up_key": key, "choice": "delete"},
        ),
    }


def _wrong(path: str, i: int) -> str:
    return f"{i:016d}" if path == "status page (digits)" else receipts.encode_key(i.to_bytes(32, "big"))


def test_many_wrong_receipts_on_every_path_then_the_right_one_answers(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1,000 wrong keys on each path that takes a key (100 typed receipts on the page that makes the
    server derive them: 40 ms of argon2id each, and the budget is spent long before), then the right
    receipt on each path is answered. (A smaller budget than the shipped one, so that every path meets it.)"""
    monkeypatch.setattr(receipts, "WRONG_PER_MINUTE", 20)
    reviewer = vet_reviewer(app)
    digits = RECEIPT.search(
        client.post(
            "/submit?lang=en",
            data={**controls(client), "what_happened": "회령 구류장"},
            content_type="multipart/form-data",
        ).get_data(as_text=True)
    ).group(1)
    with app.app_context():
        from core import db, submissions

        keys = receipts.derive(receipts.normalize(digits), submissions.receipt_salt(db.session()))
    lookup = receipts.encode_key(keys.lookup_key)
    guessers = _guessers(client, reviewer)
    answers: dict[str, set[int]] = {}
    for path, guess in guessers.items():
        tries = 100 if path == "status page (digits)" else 1000
        answers[path] = {guess(_wrong(path, i)).status_code for i in range(tries)}
    assert all(codes <= {403, 429} and 429 in codes for codes in answers.values()), answers

    right = {
        path: guess(digits if path == "status page (digits)" else lookup) for path, guess in guessers.items()
    }
    assert {path: response.status_code for path, response in right.items()} == {
        "status page (digits)": 200,
        "status API": 200,
        "follow-up form": 200,
        "follow-up in one request": 201,
        "follow-up in pieces": 201,
        "a choice": 200,
    }


def test_an_unknown_key_is_answered_alike_on_every_path(app: Flask, client: FlaskClient) -> None:
    reviewer = vet_reviewer(app)
    for path, guess in _guessers(client, reviewer).items():
        assert _answer(guess("0000 1111 2222 3333" if "digits" in path else UNKNOWN_KEY)) == (
            403,
            "This receipt is not known. Check what you typed and try again.",
        ), path


def test_a_garbage_body_does_not_tell_a_known_follow_up_key_from_an_unknown_one(
    app: Flask, client: FlaskClient
) -> None:
    """The envelope is checked before the key is looked up: a key cannot be tested without a real envelope."""
    vet_reviewer(app)
    token = csrf_token(client)
    answers = []
    for key in (UNKNOWN_KEY, receipts.encode_key(b"\x01" * 32)):
        response = client.post(
            "/api/submissions",
            data=b"SORI-ENV" + bytes(200),
            content_type="application/octet-stream",
            headers={"X-CSRFToken": token, "X-Form-Nonce": form_nonces.new(), "X-Follow-Up-Key": key},
        )
        answers.append((response.status_code, response.get_json()["error"]))
    assert answers == [(400, "bad_envelope")] * 2


def test_the_budget_is_shared_by_every_host_and_survives_a_restart(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two applications on one database (two hosts, or a worker before and after a restart) count into
    one budget."""
    monkeypatch.setattr(receipts, "WRONG_PER_MINUTE", 4)
    other = create_app(
        {
            "TESTING": True,
            "SORI_DATA_DIR": app.config["SORI_DATA_DIR"],
            "SORI_DATABASE_URL": app.config["SORI_DATABASE_URL"],
        }
    )
    other_client = other.test_client()
    codes = []
    for i in range(6):
        host = client if i % 2 else other_client
        codes.append(
            host.post(
                "/api/status",
                json={
                    "lookup_key": _wrong("status API", i),
                    "source_key": SOURCE_KEY,
                    "form_nonce": form_nonces.new(),
                },
                headers={"X-CSRFToken": csrf_token(host, "/status")},
            ).status_code
        )
    assert codes == [403, 403, 403, 403, 429, 429]
