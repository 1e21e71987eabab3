"""Every source form can be posted once (core/form_nonces.py): a replay from a phone's history stores
nothing again and shows a neutral "expired" page in the page's language: no receipt, no status, no hint
that anything was sent."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core import db, form_nonces, receipts
from core.models import SpentNonce
from tests.intake.source_helpers import SOURCE_KEY, controls, csrf_token, stored, vet_reviewer

RECEIPT = re.compile(r'id="receipt-value">([0-9 ]{19})<')


def _account(form_controls: dict[str, str], **extra: object) -> dict[str, object]:
    return {**form_controls, "submitter": "survivor", "what_happened": "회령 구류장", **extra}


def _post(client: FlaskClient, data: dict, path: str = "/submit?lang=ko"):
    return client.post(path, data=data, content_type="multipart/form-data")


def _looks_expired(response, lang: str = "ko") -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == 410
    assert f'<html lang="{lang}">' in page
    assert ("기한이 지났습니다" in page) if lang == "ko" else ("This page has expired" in page)
    assert RECEIPT.search(page) is None and "receipt-value" not in page and 'class="status"' not in page
    assert response.headers["Cache-Control"] == "no-store"


def test_a_resent_form_stores_nothing_and_shows_no_receipt(app: Flask, client: FlaskClient) -> None:
    vet_reviewer(app)
    form = controls(client)
    first = _post(client, _account(form, attachments=[(io.BytesIO(b"photo"), "a.jpg", "image/jpeg")]))
    assert first.status_code == 200 and RECEIPT.search(first.get_data(as_text=True))
    again = _post(client, _account(form, attachments=[(io.BytesIO(b"photo"), "a.jpg", "image/jpeg")]))
    _looks_expired(again)
    assert len(stored(app)) == 1


def test_a_form_without_its_nonce_is_expired_in_english_too(app: Flask, client: FlaskClient) -> None:
    vet_reviewer(app)
    response = _post(client, _account({"csrf_token": csrf_token(client)}), path="/submit?lang=en")
    _looks_expired(response, "en")
    assert stored(app) == []


def test_a_resent_receipt_lookup_shows_no_status(app: Flask, client: FlaskClient) -> None:
    vet_reviewer(app)
    receipt = RECEIPT.search(_post(client, _account(controls(client))).get_data(as_text=True)).group(1)
    lookup = {**controls(client, "/status"), "receipt": receipt}
    assert client.post("/status?lang=en", data=lookup).status_code == 200
    _looks_expired(client.post("/status?lang=en", data=lookup), "en")


def test_a_resent_wrong_receipt_is_expired_too(app: Flask, client: FlaskClient) -> None:
    lookup = {**controls(client, "/status"), "receipt": "1234 5678 9012 3456"}
    assert client.post("/status", data=lookup).status_code == 403
    _looks_expired(client.post("/status", data=lookup))


def test_a_resent_addition_is_not_added_twice(app: Flask, client: FlaskClient) -> None:
    vet_reviewer(app)
    _post(client, _account(controls(client)))
    [(submission, _)] = stored(app)
    with app.app_context():
        key = receipts.encode_key(bytes(32))
        db.session().get(type(submission), submission.id).receipt_hash = receipts.stored_hash(bytes(32))
        db.session().commit()
    addition = {**controls(client), "follow_up_key": key, "what_happened": "더"}
    assert _post(client, addition).status_code == 200
    _looks_expired(_post(client, addition))
    [(_, envelopes)] = stored(app)
    assert len(envelopes) == 2


def test_the_browser_path_spends_the_nonce_with_the_envelope(app: Flask, client: FlaskClient) -> None:
    from tests.intake.test_source_uploads import _envelope

    reviewer = vet_reviewer(app)
    headers = {
        "X-CSRFToken": csrf_token(client),
        "X-Form-Nonce": form_nonces.new(),
        "X-Receipt-Key": receipts.encode_key(bytes(32)),
        "X-Source-Key": SOURCE_KEY,
    }
    envelope = _envelope([reviewer.public_key], 1000)
    first = client.post(
        "/api/submissions", data=envelope, content_type="application/octet-stream", headers=headers
    )
    assert first.status_code == 201
    again = client.post(
        "/api/submissions", data=envelope, content_type="application/octet-stream", headers=headers
    )
    assert again.status_code == 409 and again.get_json()["error"] == "expired"
    assert len(stored(app)) == 1


def test_a_refused_form_can_be_corrected_and_sent_with_the_same_page(app: Flask, client: FlaskClient) -> None:
    """Nothing stored, nothing spent: Back, fix the form and send it again works."""
    vet_reviewer(app)
    form = controls(client)
    assert _post(client, _account(form, what_happened="   ")).status_code == 400
    assert _post(client, _account(form)).status_code == 200


def test_spent_nonces_are_forgotten_after_their_keeping_time(app: Flask, runner) -> None:
    with app.app_context():
        session = db.session()
        old = datetime.now(UTC).date() - timedelta(days=form_nonces.KEEP_DAYS + 1)
        session.add(SpentNonce(digest="a" * 64, spent_on=old))
        session.add(SpentNonce(digest="b" * 64, spent_on=datetime.now(UTC).date()))
        session.commit()
    result = runner.invoke(args=["check", "--clean-stale"])
    assert "forgot 1 spent form nonce" in result.output
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(SpentNonce)) == 1


def test_a_form_page_shared_by_everyone_still_gives_each_visitor_their_own_token_and_nonces(
    app: Flask,
) -> None:
    """Source pages are rendered once and reused (intake/responses.py shared_page): what is per visitor is
    put in on each request, and nothing of one visitor reaches another."""
    vet_reviewer(app)
    first, second = app.test_client(), app.test_client()
    pages = [client.get("/status?lang=en").get_data(as_text=True) for client in (first, second, first)]
    nonces = [re.findall(r'name="form_nonce" value="([^"]+)"', page) for page in pages]
    tokens = [re.search(r'name="csrf_token" value="([^"]+)"', page).group(1) for page in pages]
    assert all(len(found) == 1 for found in nonces) and len({n[0] for n in nonces}) == 3
    assert tokens[0] != tokens[1]
    assert "\x00" not in "".join(pages)
    # The home page has no form: no token, so no cookie.
    assert "Set-Cookie" not in app.test_client().get("/").headers
