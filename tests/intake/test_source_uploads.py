"""The browser path's upload: pieces of ciphertext, resumable, checked before they become a submission."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core import form_nonces, receipts, submissions
from crypto.envelope import encrypt_parts, header_length
from crypto.keys import Identity, PublicKey
from intake.uploads import PIECE_BYTES
from tests.intake.source_helpers import SOURCE_KEY, csrf_token, open_envelope, stored, vet_reviewer

HEADER = header_length(1)


def _envelope(recipients: list[PublicKey], size: int = 300_000) -> bytes:
    out = io.BytesIO()
    encrypt_parts(
        out,
        recipients,
        [
            ("answers.json", "application/json", b'{"format":"sori-answers/1","fields":{}}'),
            ("photo.jpg", "image/jpeg", bytes(range(256)) * (size // 256)),
        ],
    )
    return out.getvalue()


class Browser:
    """What submit.js does, over the test client."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.csrf = csrf_token(client)

    @property
    def headers(self) -> dict[str, str]:
        """The headers of one request: the CSRF token, and a fresh form nonce as each page load has."""
        return {"X-CSRFToken": self.csrf, "X-Form-Nonce": form_nonces.new(), "X-Source-Key": SOURCE_KEY}

    def start(self, size: int):
        return self.client.post("/api/uploads", json={"size": size}, headers=self.headers)

    def put(self, upload_id: str, offset: int, data: bytes):
        return self.client.put(
            f"/api/uploads/{upload_id}",
            data=data,
            headers={**self.headers, "X-Upload-Offset": str(offset)},
            content_type="application/octet-stream",
        )

    def finish(self, upload_id: str, **body: str):
        body.setdefault("form_nonce", form_nonces.new())
        body.setdefault("source_key", SOURCE_KEY)
        return self.client.post(f"/api/uploads/{upload_id}/finish", json=body, headers=self.headers)

    def upload(self, envelope: bytes, piece: int = 100_000) -> str:
        started = self.start(len(envelope))
        assert started.status_code == 201 and started.get_json()["piece_bytes"] == PIECE_BYTES
        upload_id = started.get_json()["id"]
        for offset in range(0, len(envelope), piece):
            assert self.put(upload_id, offset, envelope[offset : offset + piece]).status_code == 200
        return upload_id


def _key() -> str:
    return receipts.encode_key(bytes(range(32)))


def test_an_envelope_uploaded_in_pieces_becomes_a_submission(app: Flask, client: FlaskClient) -> None:
    reviewer = vet_reviewer(app)
    browser = Browser(client)
    envelope = _envelope([reviewer.public_key])
    upload_id = browser.upload(envelope)
    finished = browser.finish(upload_id, receipt_key=_key())
    assert finished.status_code == 201 and finished.get_json() == {"status_url": "/status"}
    [(submission, [stored_envelope])] = stored(app)
    assert stored_envelope.path == "browser" and stored_envelope.ciphertext_size == len(envelope)
    assert submission.receipt_hash == receipts.stored_hash(bytes(range(32)))
    assert open_envelope(app, stored_envelope, reviewer)["photo.jpg"][:3] == b"\x00\x01\x02"
    assert list((Path(app.config["SORI_DATA_DIR"]) / "blobs" / "tmp").iterdir()) == []


def test_a_piece_sent_again_or_out_of_place_tells_the_browser_where_to_resume(app, client) -> None:
    reviewer = vet_reviewer(app)
    browser = Browser(client)
    envelope = _envelope([reviewer.public_key])
    upload_id = browser.start(len(envelope)).get_json()["id"]
    assert browser.put(upload_id, 0, envelope[:1000]).get_json() == {"received": 1000}
    again = browser.put(upload_id, 0, envelope[:1000])  # the answer was lost; the browser retries
    assert again.status_code == 409 and again.get_json()["received"] == 1000
    ahead = browser.put(upload_id, 5000, envelope[5000:6000])
    assert ahead.status_code == 409 and ahead.get_json()["received"] == 1000
    assert browser.put(upload_id, 1000, envelope[1000:]).get_json() == {"received": len(envelope)}
    assert browser.finish(upload_id, receipt_key=_key()).status_code == 201


def test_a_follow_up_upload_joins_the_submission_its_key_opens(app, client) -> None:
    reviewer = vet_reviewer(app)
    browser = Browser(client)
    first = browser.upload(_envelope([reviewer.public_key]))
    assert browser.finish(first, receipt_key=_key()).status_code == 201
    second = browser.upload(_envelope([reviewer.public_key], 1000))
    assert browser.finish(second, follow_up_key=_key()).status_code == 201
    [(_, envelopes)] = stored(app)
    assert [e.sequence for e in envelopes] == [1, 2]
    unknown = browser.upload(_envelope([reviewer.public_key], 1000))
    assert browser.finish(unknown, follow_up_key=receipts.encode_key(b"\x07" * 32)).status_code == 403


def test_an_envelope_for_other_keys_is_refused_so_the_browser_encrypts_again(app, client) -> None:
    reviewer = vet_reviewer(app)
    browser = Browser(client)
    for recipients in (
        [Identity.generate().public_key],
        [reviewer.public_key, Identity.generate().public_key],
    ):
        upload_id = browser.upload(_envelope(recipients))
        answer = browser.finish(upload_id, receipt_key=_key())
        assert answer.status_code == 409 and answer.get_json()["error"] == "recipients_changed"
    assert stored(app) == []
    assert list((Path(app.config["SORI_DATA_DIR"]) / "blobs" / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda e: b"NOTSORI!" + e[8:],
        lambda e: e[:HEADER] + b"\xff\xff\xff\xff" + e[HEADER + 4 :],
    ],
    ids=["not an envelope", "absurd chunk length"],
)
def test_uploads_whose_framing_is_broken_are_refused(app, client, damage) -> None:
    reviewer = vet_reviewer(app)
    browser = Browser(client)
    upload_id = browser.upload(damage(_envelope([reviewer.public_key])))
    answer = browser.finish(upload_id, receipt_key=_key())
    assert answer.status_code == 400 and answer.get_json()["error"] == "bad_envelope"
    assert stored(app) == []


def test_damage_inside_a_chunk_is_for_the_reviewer_to_find(app, client) -> None:
    # Without a key the server cannot authenticate; it stores the bytes and the reader refuses them.
    reviewer = vet_reviewer(app)
    browser = Browser(client)
    envelope = _envelope([reviewer.public_key])
    upload_id = browser.upload(envelope[:-1] + bytes([envelope[-1] ^ 1]))
    assert browser.finish(upload_id, receipt_key=_key()).status_code == 201


def test_incomplete_or_oversized_uploads_are_refused(app: Flask, client: FlaskClient) -> None:
    reviewer = vet_reviewer(app)
    browser = Browser(client)
    envelope = _envelope([reviewer.public_key])
    upload_id = browser.start(len(envelope)).get_json()["id"]
    browser.put(upload_id, 0, envelope[:1000])
    assert browser.finish(upload_id, receipt_key=_key()).status_code == 400
    assert browser.put(upload_id, 0, b"x").status_code == 404  # refused uploads are gone
    too_big = browser.start(app.config["MAX_CONTENT_LENGTH"] + 1)
    assert too_big.status_code == 413 and too_big.get_json()["error"] == "too_large"
    small = browser.start(10).get_json()["id"]
    assert browser.put(small, 0, b"x" * 11).status_code == 413
    assert browser.put("../../etc", 0, b"x").status_code == 404


def test_the_upload_api_needs_the_csrf_token_and_a_vetted_reviewer(app: Flask, client: FlaskClient) -> None:
    client.get("/submit")
    assert client.post("/api/uploads", json={"size": 100}).status_code == 400
    browser = Browser(client)
    answer = browser.start(100)
    assert answer.status_code == 409 and answer.get_json()["error"] == "no_recipients"


def test_a_small_envelope_arrives_in_one_request(app: Flask, client: FlaskClient) -> None:
    reviewer = vet_reviewer(app)
    browser = Browser(client)
    envelope = _envelope([reviewer.public_key], 5000)
    answer = client.post(
        "/api/submissions",
        data=envelope,
        content_type="application/octet-stream",
        headers={**browser.headers, "X-Receipt-Key": _key()},
    )
    assert answer.status_code == 201
    again = client.post(
        "/api/submissions",
        data=envelope,
        content_type="application/octet-stream",
        headers={**browser.headers, "X-Follow-Up-Key": _key()},
    )
    assert again.status_code == 201
    [(_, envelopes)] = stored(app)
    assert len(envelopes) == 2 and open_envelope(app, envelopes[0], reviewer)["photo.jpg"][:2] == b"\x00\x01"


@pytest.mark.parametrize(
    ("body", "headers", "status", "error"),
    [
        (b"NOTSORI!" * 100, {"X-Receipt-Key": "A" * 43}, 400, "bad_envelope"),
        (None, {}, 400, "bad_form"),
        (None, {"X-Receipt-Key": "short"}, 400, "bad_form"),
        (None, {"X-Follow-Up-Key": "B" * 43}, 403, "unknown_receipt"),
        (b"x" * (PIECE_BYTES + 1), {"X-Receipt-Key": "A" * 43}, 413, "too_large"),
    ],
    ids=["not an envelope", "no key", "bad key", "unknown follow-up", "too large for one request"],
)
def test_one_request_submissions_are_checked_like_uploads(app, client, body, headers, status, error) -> None:
    reviewer = vet_reviewer(app)
    browser = Browser(client)
    answer = client.post(
        "/api/submissions",
        data=body or _envelope([reviewer.public_key], 100),
        content_type="application/octet-stream",
        headers={**browser.headers, **headers},
    )
    assert answer.status_code == status and answer.get_json()["error"] == error
    assert stored(app) == []
    assert list((Path(app.config["SORI_DATA_DIR"]) / "blobs" / "tmp").iterdir()) == []


def test_small_envelopes_live_in_their_row_and_large_ones_in_the_blob_store(app, client) -> None:
    reviewer = vet_reviewer(app)
    browser = Browser(client)
    blobs = Path(app.config["SORI_DATA_DIR"]) / "blobs"
    for size, key in ((5000, bytes(32)), (submissions.INLINE_MAX + 1000, b"\x01" * 32)):
        answer = client.post(
            "/api/submissions",
            data=_envelope([reviewer.public_key], size),
            content_type="application/octet-stream",
            headers={**browser.headers, "X-Receipt-Key": receipts.encode_key(key)},
        )
        assert answer.status_code == 201
    [(_, [small]), (_, [large])] = sorted(stored(app), key=lambda row: row[1][0].ciphertext_size)
    assert small.blob_id is None and large.blob_id is not None
    assert [p.name for p in blobs.rglob("*") if p.is_file()] == [large.blob_id]
    for envelope in (small, large):
        assert open_envelope(app, envelope, reviewer)["photo.jpg"][:2] == b"\x00\x01"


def test_a_receipt_key_already_in_use_is_refused(app: Flask, client: FlaskClient) -> None:
    reviewer = vet_reviewer(app)
    browser = Browser(client)
    answers = [
        client.post(
            "/api/submissions",
            data=_envelope([reviewer.public_key], 100),
            content_type="application/octet-stream",
            headers={**browser.headers, "X-Receipt-Key": _key()},
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 400]
    assert len(stored(app)) == 1
