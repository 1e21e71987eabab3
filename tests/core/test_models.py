"""Submissions: random ids, the day only, envelopes in order behind each row, status as a source sees it."""

from __future__ import annotations

import datetime
import io

from flask import Flask

from core import db
from core.blobs_on_disk import FileBlobs
from core.models import Envelope, Submission


def test_submission_keeps_a_day_and_its_envelopes_in_order(app: Flask) -> None:
    store = FileBlobs(app.config["SORI_DATA_DIR"] / "blobs")
    with app.app_context():
        session = db.session()
        rows = []
        for n in range(2):
            submission = Submission(receipt_hash=f"{n:064x}")
            for sequence in (1, 2):
                blob_id, size = store.put(io.BytesIO(b"SORI-ENV..."))
                submission.envelopes.append(
                    Envelope(
                        sequence=sequence,
                        blob_id=blob_id,
                        ciphertext_size=size,
                        recipient_key_ids='["0000000000000000"]',
                        path="browser",
                    )
                )
            rows.append(submission)
        session.add_all(rows)
        session.commit()
        ids = [row.id for row in rows]

    with app.app_context():
        stored = db.session().get(Submission, ids[0])
        assert stored is not None
        assert type(stored.received_on) is datetime.date  # a day, never a time
        assert stored.received_on == datetime.datetime.now(datetime.UTC).date()
        assert [e.sequence for e in stored.envelopes] == [1, 2]
        assert all(store.exists(e.blob_id) and e.ciphertext_size == 11 for e in stored.envelopes)
        assert stored.state == "new" and stored.source_status == "received"
    assert ids[0] != ids[1] and all(
        len(i) >= 22 and i.replace("-", "").replace("_", "").isalnum() for i in ids
    )


def test_sources_see_only_three_coarse_states() -> None:
    seen = {
        state: Submission(state=state).source_status
        for state in ("new", "in_review", "needs_follow_up", "verified", "rejected", "duplicate", "withdrawn")
    }
    assert seen == {
        "new": "received",
        "in_review": "in_review",
        "needs_follow_up": "in_review",
        "verified": "reviewed",
        "rejected": "reviewed",
        "duplicate": "reviewed",
        "withdrawn": "reviewed",
    }
