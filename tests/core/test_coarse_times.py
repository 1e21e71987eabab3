"""Blob files keep no finer time than the database does: once its row is committed, an envelope's file and
its shard folder carry midnight (UTC) of the day as their modification and access times."""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from core import db, form_nonces, receipts, submissions
from core.models import Envelope
from tests.intake.source_helpers import SOURCE_KEY, csrf_token, vet_reviewer
from tests.reliability.harness import seal


def test_a_stored_blob_carries_only_the_day(app: Flask, client: FlaskClient) -> None:
    identity = vet_reviewer(app)
    envelope = seal(identity, 400_000, "coarse").data
    response = client.post(
        "/api/submissions",
        data=envelope,
        content_type="application/octet-stream",
        headers={
            "X-CSRFToken": csrf_token(client),
            "X-Form-Nonce": form_nonces.new(),
            "X-Source-Key": SOURCE_KEY,
            "X-Receipt-Key": receipts.encode_key(os.urandom(32)),
        },
    )
    assert response.status_code == 201
    with app.app_context():
        blob_id = db.session().query(Envelope.blob_id).scalar()
        path: Path = submissions.blob_store().path(blob_id)
    midnight = (time.time() // 86400) * 86400
    for each in (path, path.parent):
        status = each.stat()
        assert status.st_mtime == status.st_atime == midnight, each
