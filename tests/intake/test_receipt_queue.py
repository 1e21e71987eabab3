"""Receipts the server derives wait in a queue of bounded length (core/hashing.py): a new account sent
without JavaScript while the queue is full is told at once, translated, to try again in a minute, before
anything is sealed or spent, and the same form goes through later; an addition, which needs no receipt, is
never refused for it; and an account waiting for its receipt holds no upload slot."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core import hashing, request_bodies
from crypto import receipts as receipt_format
from tests.intake.source_helpers import controls, stored, vet_reviewer

RECEIPT = re.compile(r'id="receipt-value">([0-9 ]{19})<')


def _account(form: dict[str, str], text: str = "회령 구류장") -> dict[str, str]:
    return {**form, "submitter": "survivor", "what_happened": text}


def _post(client: FlaskClient, data: dict, path: str = "/submit?lang=ko"):
    return client.post(path, data=data, content_type="multipart/form-data")


@pytest.fixture
def full_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receipt queue as a flood leaves it: no room for one more."""
    monkeypatch.setattr(hashing.RECEIPTS, "queue_limit", 0)


def test_a_new_account_is_told_to_try_again_while_the_queue_is_full_and_goes_through_later(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    vet_reviewer(app)
    form = _account(controls(client))
    limit = hashing.RECEIPTS.queue_limit
    monkeypatch.setattr(hashing.RECEIPTS, "queue_limit", 0)
    for lang, words in (("ko", "1분쯤 뒤에"), ("en", "try again in a minute")):
        busy = _post(client, form, f"/submit?lang={lang}")
        page = busy.get_data(as_text=True)
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "60", page
        assert words in page and busy.headers["Cache-Control"] == "no-store"
        assert RECEIPT.search(page) is None
    assert stored(app) == []
    monkeypatch.setattr(hashing.RECEIPTS, "queue_limit", limit)
    # Nothing was spent: the page the source still has is accepted as it is.
    accepted = _post(client, form)
    assert accepted.status_code == 200 and RECEIPT.search(accepted.get_data(as_text=True))
    assert len(stored(app)) == 1


def test_an_addition_needs_no_receipt_and_is_never_refused_for_the_queue(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    vet_reviewer(app)
    receipt = RECEIPT.search(_post(client, _account(controls(client))).get_data(as_text=True)).group(1)
    status = client.post("/status?lang=ko", data={**controls(client, "/status"), "receipt": receipt})
    follow_up_key = re.search(r'name="follow_up_key" value="([^"]+)"', status.get_data(as_text=True)).group(1)
    monkeypatch.setattr(hashing.RECEIPTS, "queue_limit", 0)
    addition = {**controls(client), "follow_up_key": follow_up_key, "what_happened": "더 있습니다"}
    added = _post(client, addition)
    assert added.status_code == 200
    [(_submission, envelopes)] = stored(app)
    assert len(envelopes) == 2


def test_coming_back_without_javascript_is_refused_alike_while_the_queue_is_full(
    app: Flask, client: FlaskClient, full_queue: None
) -> None:
    vet_reviewer(app)
    lookup = {**controls(client, "/status"), "receipt": "1" * 16}
    page = client.post("/status?lang=en", data=lookup)
    assert page.status_code == 503 and "try again in a minute" in page.get_data(as_text=True)


def test_an_account_waiting_for_its_receipt_holds_no_upload_slot(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    vet_reviewer(app)
    slots: request_bodies.UploadSlots = app.extensions["sori.upload_slots"]
    taken_while_deriving: list[int] = []
    derive = receipt_format.derive

    def watched(digits: str, salt: bytes) -> receipt_format.ReceiptKeys:
        taken_while_deriving.append(slots.taken)
        return derive(digits, salt)

    monkeypatch.setattr(receipt_format, "derive", watched)
    response = _post(client, _account(controls(client)))
    assert response.status_code == 200
    assert taken_while_deriving == [0] and slots.taken == 0
