"""Sori with ``SORI_BLOB_STORE=database``: envelopes of every path kept in the database and nothing on disk,
`sori check` and backups through the same interface, blobs moved between backends while they are read, and
the warnings of a host that does not share what several hosts must."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select, update

from core import db, migrate, several_hosts, submissions
from core.blobs_in_database import CHUNK_BYTES
from core.models import BlobChunk, Envelope, StoredBlob
from sori import create_app
from tests.core.store_helpers import SENTINEL, envelope_bytes, store_submission
from tests.core.test_backup import assert_same_instance, backup_identity, make_backup, restore  # noqa: F401
from tests.databases import fresh_database
from tests.intake.source_helpers import controls, open_envelope, stored, vet_reviewer
from tests.intake.test_source_uploads import Browser, _envelope, _key


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """The application of conftest.py, its blobs in the database."""
    migrate.upgrade(database_url)
    app = create_app(
        {
            "TESTING": True,
            "SORI_DATA_DIR": tmp_path / "data",
            "SORI_DATABASE_URL": database_url,
            "SORI_BLOB_STORE": "database",
        }
    )
    yield app
    db.database(app).engine.dispose()


def _disk_blobs(app: Flask) -> list[Path]:
    return [p for p in (app.config["SORI_DATA_DIR"] / "blobs").rglob("*") if p.is_file()]


def _check(app: Flask, *args: str) -> tuple[int, list[str]]:
    result = app.test_cli_runner().invoke(args=["check", *args])
    return result.exit_code, result.output.splitlines()


def test_every_path_keeps_its_envelope_in_the_database_and_nothing_on_disk(
    app: Flask, client: FlaskClient
) -> None:
    reviewer = vet_reviewer(app)
    # No JavaScript: sealed by the server as it streams in.
    photo = (io.BytesIO(b"\x00\x01" * 200_000), "photo.jpg")
    answer = client.post(
        "/submit",
        data={**controls(client), "what_happened": SENTINEL, "attachments": photo, "consent_contact": "yes"},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200 and "receipt-value" in answer.get_data(as_text=True)
    # The browser path in one request, and in pieces (over a chunk, so the upload spans several rows).
    browser = Browser(client)
    one = _envelope([reviewer.public_key], size=600_000)
    sent = client.post("/api/submissions", data=one, headers={**browser.headers, "X-Receipt-Key": _key()})
    assert sent.status_code == 201, sent.get_json()
    pieces = _envelope([reviewer.public_key], size=CHUNK_BYTES + 300_000)
    upload_id = browser.upload(pieces, piece=400_000)
    finished = browser.finish(upload_id, receipt_key=receipts_key(1))
    assert finished.status_code == 201, finished.get_json()

    rows = [envelope for _submission, envelopes in stored(app) for envelope in envelopes]
    assert len(rows) == 3 and all(envelope.blob_id is not None for envelope in rows)
    for envelope in rows:
        assert "answers.json" in open_envelope(app, envelope, reviewer)
    assert _disk_blobs(app) == []
    with app.app_context():
        assert set(submissions.blob_store().blob_ids()) == {envelope.blob_id for envelope in rows}
    code, lines = _check(app)
    assert code == 0, lines


def receipts_key(n: int) -> str:
    from core import receipts

    return receipts.encode_key(bytes([n]) * 32)


def test_check_names_what_is_wrong_in_the_database_and_cleans_what_is_stale(app: Flask) -> None:
    identity = vet_reviewer(app)
    kept = store_submission(app, identity, in_blob=True, size=CHUNK_BYTES + 10)
    with app.app_context():
        store = submissions.blob_store()
        orphan, _ = store.put(io.BytesIO(envelope_bytes(identity)))
        stale_upload = store.start_upload(100)
        young_upload = store.start_upload(100)
        session = db.session()
        session.execute(update(StoredBlob).where(StoredBlob.id == stale_upload).values(touched=0))
        blob_id = session.scalars(select(Envelope.blob_id).where(Envelope.blob_id.is_not(None))).one()
        session.execute(delete(BlobChunk).where(BlobChunk.blob_id == blob_id, BlobChunk.seq == 1))
        session.commit()
    code, lines = _check(app)
    problems = [line for line in lines if line.startswith("PROBLEM")]
    assert code == 1 and len(problems) == 3, lines
    assert problems[0].startswith("PROBLEM unreadable-blob: envelope") and "ends at" in problems[0]
    assert (
        problems[1]
        == f"PROBLEM orphan-blob: blob {orphan}: no envelope row names the blob '{orphan}' in the database"
    )
    assert problems[2].startswith(f"PROBLEM stale-temp: upload {stale_upload} (in the database): an upload")

    _check(app, "--clean-stale")
    with app.app_context():
        store = submissions.blob_store()
        assert not store.exists(orphan) and store.read_upload(young_upload)[1:] == (0, 100)
        assert [leftover.name for leftover in store.leftovers()] == [
            f"upload {young_upload} (in the database)"
        ]
    assert kept.in_blob


def test_a_backup_of_files_restores_into_the_database_backend(
    tmp_path: Path,
    backup_identity,  # noqa: F811  (the fixture of test_backup.py)
    database_url: str,
) -> None:
    identity, identity_file, passphrase_file = backup_identity
    migrate.upgrade(database_url)
    source = create_app(
        {"TESTING": True, "SORI_DATA_DIR": tmp_path / "files", "SORI_DATABASE_URL": database_url}
    )
    reviewer = vet_reviewer(source)
    kept = [
        store_submission(source, reviewer, in_blob=True, size=CHUNK_BYTES * 2),
        store_submission(source, reviewer, in_blob=False),
    ]
    backup_file = tmp_path / "sori.backup"
    make_backup(source.test_cli_runner(), identity, backup_file)
    (tmp_path / "other").mkdir()
    with fresh_database(tmp_path / "other") as url:
        restored = create_app(
            {
                "TESTING": True,
                "SORI_DATA_DIR": tmp_path / "restored",
                "SORI_DATABASE_URL": url,
                "SORI_BLOB_STORE": "database",
            }
        )
        try:
            result = restore(restored, identity_file, passphrase_file, backup_file)
            assert result.exit_code == 0, result.output
            assert _disk_blobs(restored) == []
            assert_same_instance(source, restored, kept)
        finally:
            db.database(restored).engine.dispose()
    db.database(source).engine.dispose()


def test_blobs_move_between_backends_while_readers_read(app: Flask, tmp_path: Path) -> None:
    identity = vet_reviewer(app)
    files_app = create_app({**app.config, "SORI_BLOB_STORE": "files"})
    kept = [store_submission(files_app, identity, in_blob=True, size=CHUNK_BYTES * 2 + n) for n in range(3)]
    assert len(_disk_blobs(app)) == 3

    moved = app.test_cli_runner().invoke(args=["blobs", "move", "--to", "database"])
    assert moved.exit_code == 0 and "3 blob(s) moved" in moved.output, moved.output
    assert _disk_blobs(app) == []
    with app.app_context():
        # A reader opens a blob in the database; the blob moves to files under it; the reader reads on.
        envelope = db.session().scalars(select(Envelope).order_by(Envelope.id)).first()
        reader = submissions.open_envelope(envelope)
        first = reader.read(1000)
        back = files_app.test_cli_runner().invoke(args=["blobs", "move", "--to", "files"])
        assert back.exit_code == 0 and "3 blob(s) moved" in back.output, back.output
        assert first + reader.read() == kept[0].ciphertext
        reader.close()
        chunks = db.session().execute(select(func.count()).select_from(BlobChunk)).scalar()
        assert chunks == 0 and len(_disk_blobs(app)) == 3
    # The database backend still reads every envelope, from files now; a second move has nothing to do.
    for item, (_submission, envelopes) in zip(kept, stored(app), strict=True):
        assert "answers.json" in open_envelope(app, envelopes[0], identity) and item.in_blob
    again = files_app.test_cli_runner().invoke(args=["blobs", "move", "--to", "files"])
    assert "0 blob(s) moved" in again.output
    code, lines = _check(files_app)
    assert code == 0, lines


def test_a_host_that_does_not_share_what_it_must_is_warned(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        session = db.session()
        found = several_hosts.warnings(session, app.config)
        if session.get_bind().dialect.name != "postgresql":
            assert found == []  # SQLite: one host by nature
            return
        assert [line.split(" ", 1)[0] for line in found] == ["SORI_SECRET_KEY", "SORI_EXPORT_KEY_FILE"]
        shared = {
            **app.config,
            "SECRET_KEY": "the same on every host",
            "SORI_EXPORT_KEY_FILE": tmp_path / "k",
        }
        assert several_hosts.warnings(session, shared) == []
        assert (
            "SORI_BLOB_STORE is files"
            in several_hosts.warnings(session, {**shared, "SORI_BLOB_STORE": "files"})[0]
        )
    code, lines = _check(app)
    assert code == 0 and any(line.startswith("WARNING SORI_SECRET_KEY is not set") for line in lines)
