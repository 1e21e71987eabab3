"""While a source's body streams in, no database connection is held (issue 18: a pool has a few, an upload
may take a quarter of an hour and hundreds may stream at once); and uploads in pieces are capped for the
whole installation, abandoned ones cleaned up after hours."""

from __future__ import annotations

import io
import os
import time
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder

from core import db, form_nonces, receipts, submissions
from intake import uploads
from tests.intake.source_helpers import SOURCE_KEY, csrf_token, stored, vet_reviewer
from tests.reliability.harness import seal


class Watched(io.BytesIO):
    """A request body that notes, at every read, how many pooled connections are checked out."""

    def __init__(self, data: bytes, app: Flask) -> None:
        super().__init__(data)
        self.pool = db.database(app).engine.pool
        self.held: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.held.append(self.pool.checkedout())  # type: ignore[attr-defined]
        return super().read(size)

    def readinto(self, buffer: Any) -> int:
        self.held.append(self.pool.checkedout())  # type: ignore[attr-defined]
        return super().readinto(buffer)


def test_no_connection_is_held_while_the_form_streams_in(app: Flask, client: FlaskClient) -> None:
    vet_reviewer(app)
    token = csrf_token(client)
    fields = {
        "csrf_token": token,
        "form_nonce": form_nonces.new(),
        "what_happened": "streaming",
        "consent_documentation": "yes",
    }
    form = EnvironBuilder(
        method="POST", data={**fields, "attachments": (io.BytesIO(os.urandom(300_000)), "photo.jpg")}
    ).get_environ()
    body = form["wsgi.input"].read()
    watched = Watched(body, app)
    page = client.post(
        "/submit?lang=ko",
        input_stream=watched,
        content_length=len(body),
        content_type=form["CONTENT_TYPE"],
    )
    assert page.status_code == 200 and "receipt-value" in page.get_data(as_text=True)
    assert len(watched.held) > 4 and set(watched.held) == {0}
    assert len(stored(app)) == 1


def test_no_connection_is_held_while_an_envelope_streams_in(app: Flask, client: FlaskClient) -> None:
    identity = vet_reviewer(app)
    token = csrf_token(client)
    envelope = seal(identity, 400_000, "streaming").data  # over the inline size: streamed to a blob
    watched = Watched(envelope, app)
    response = client.post(
        "/api/submissions?lang=ko",
        input_stream=watched,
        content_length=len(envelope),
        content_type="application/octet-stream",
        headers={
            "X-CSRFToken": token,
            "X-Form-Nonce": form_nonces.new(),
            "X-Source-Key": SOURCE_KEY,
            "X-Receipt-Key": receipts.encode_key(os.urandom(32)),
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert watched.held and set(watched.held) == {0}


def test_open_uploads_are_capped_for_the_installation_and_abandoned_ones_removed(
    app: Flask, client: FlaskClient
) -> None:
    vet_reviewer(app)
    app.config["SORI_OPEN_UPLOADS"] = 2
    token = csrf_token(client)

    def start() -> Any:
        return client.post("/api/uploads?lang=en", json={"size": 1000}, headers={"X-CSRFToken": token})

    assert start().status_code == 201 and start().status_code == 201
    full = start()
    assert full.status_code == 503 and full.headers["Retry-After"] == "60"
    answer = full.get_json()
    assert answer["error"] == "uploads_full" and "try again in a minute" in answer["message"]

    with app.app_context():
        store = submissions.blob_store()
        abandoned = sorted(store.tmp.glob("upload-*"))[0]
        old = time.time() - uploads.ABANDONED_AFTER - 60
        os.utime(abandoned, (old, old))
    assert start().status_code == 201
    assert not abandoned.exists()
