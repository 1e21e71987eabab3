"""Submissions: random ids, the day only, and a blob behind each row."""

from __future__ import annotations

import datetime
import io

from flask import Flask

from intake import db
from intake.blobstore import BlobStore
from intake.models import Submission


def test_submission_from_the_blob_store(app: Flask) -> None:
    store = BlobStore(app.config["SORI_DATA_DIR"] / "blobs")
    with app.app_context():
        session = db.session()
        rows = []
        for _ in range(2):
            blob_id, size = store.put(io.BytesIO(b"SORI-ENV..."))
            rows.append(Submission(blob_id=blob_id, ciphertext_size=size, recipient_key_ids=["00" * 8]))
        session.add_all(rows)
        session.commit()
        ids = [row.id for row in rows]

    with app.app_context():
        stored = db.session().get(Submission, ids[0])
        assert stored is not None
        assert type(stored.received_on) is datetime.date  # a day, never a time
        assert stored.received_on == datetime.datetime.now(datetime.UTC).date()
        assert stored.recipient_key_ids == ["00" * 8]
        assert store.exists(stored.blob_id) and stored.ciphertext_size == 11
    assert ids[0] != ids[1] and all(
        len(i) >= 22 and i.replace("-", "").replace("_", "").isalnum() for i in ids
    )
