"""Faults other than a kill: the database becomes unavailable, the disk fills (DESIGN.md section 2.6).

Database: in-process with the Flask test client. The engine is made to fail as an unreachable server
would: every connection attempt and every statement raises the driver's own OperationalError (SQLite or
psycopg alike), which SQLAlchemy wraps as it would a real outage; or only the INSERTs fail, so that the
database goes away after the envelope has been written and renamed into the blob store (mid-request).
Sources get the translated 503 page (the browser path: JSON with the translated message), ``/health``
says unavailable, nothing the error carries is shown or logged, the failed request leaves no blob and no
temporary file, and what was accepted before is intact.

Disk full: a real gunicorn whose file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored) makes every write past
6 MiB fail with EFBIG, as a full disk fails with ENOSPC. Sources get the same 503 page ("nothing you sent
was kept"); on SQLite the database file hits the limit too and answers 503 the same way. Afterwards the
store is consistent (every row's envelope decrypts, no orphan blob, SQLite's integrity check passes,
``sori check`` clean), the upload in pieces that hit the limit is still resumable, and the server accepts
submissions again once there is room.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import resource
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import gettext
from sqlalchemy import event, text

from core import db, form_nonces, receipts, submissions
from core.errors import unavailable_message
from crypto.envelope import encrypt_parts
from crypto.keys import Identity
from sori import create_app
from tests.databases import fresh_database
from tests.intake.source_helpers import csrf_token, open_envelope, stored, vet_reviewer
from tests.reliability.harness import (
    KIB,
    MIB,
    SOURCE_KEY,
    Instance,
    Source,
    audit,
    run_check,
    seal,
    sori_check_available,
)

JSON = {"Content-Type": "application/json"}
FAILURE_TEXT = "could not connect: server at 10.9.8.7 refused"  # what must never reach a page or a log


@contextlib.contextmanager
def database_down(app: Flask, only: str | None = None) -> Iterator[None]:
    """Make the database fail like an unreachable server: new connections and statements raise the
    driver's OperationalError; with ``only``, just the statements starting with that word."""
    engine = db.database(app).engine
    error = engine.dialect.loaded_dbapi.OperationalError

    def fail_connect(*_args: object) -> None:
        raise error(FAILURE_TEXT)

    def fail_execute(_cursor: object, statement: str, *_args: object) -> None:
        if only is None or statement.lstrip().upper().startswith(only):
            raise error(FAILURE_TEXT)

    if only is None:
        engine.dispose()  # pooled connections would hide the outage
        event.listen(engine, "do_connect", fail_connect)
    event.listen(engine, "do_execute", fail_execute)
    try:
        yield
    finally:
        event.remove(engine, "do_execute", fail_execute)
        if only is None:
            event.remove(engine, "do_connect", fail_connect)


def _envelope(identity: Identity, size: int) -> bytes:
    out = io.BytesIO()
    encrypt_parts(
        out,
        [identity.public_key],
        [
            ("answers.json", "application/json", b'{"format":"sori-answers/1","fields":{}}'),
            ("a.bin", "application/octet-stream", b"x" * size),
        ],
    )
    return out.getvalue()


def _single(client: FlaskClient, token: str, envelope: bytes, key: bytes):
    return client.post(
        "/api/submissions?lang=en",
        data=envelope,
        content_type="application/octet-stream",
        headers={
            "X-CSRFToken": token,
            "X-Form-Nonce": form_nonces.new(),
            "X-Receipt-Key": receipts.encode_key(key),
            "X-Source-Key": SOURCE_KEY,
        },
    )


def _nojs(client: FlaskClient, token: str, lang: str = "en"):
    form = {
        "csrf_token": token,
        "form_nonce": form_nonces.new(),
        "submitter": "survivor",
        "what_happened": "보위부 구류장",
        "attachments": (io.BytesIO(b"y" * 400_000), "scan.bin"),
    }
    return client.post(f"/submit?lang={lang}", data=form, content_type="multipart/form-data")


def _blobs_and_temp(app: Flask) -> tuple[set[str], list[Path]]:
    with app.app_context():
        store = submissions.blob_store()
        return set(store.blob_ids()), list(store.tmp.iterdir())


def _accept_some(app: Flask, client: FlaskClient, reviewer: Identity) -> str:
    """Three accepted submissions, one on each way of storing: inline, a blob, the no-JS path."""
    token = csrf_token(client)
    assert _single(client, token, _envelope(reviewer, 1000), b"\x01" * 32).status_code == 201
    assert _single(client, token, _envelope(reviewer, 400_000), b"\x02" * 32).status_code == 201
    assert re.search(r'id="receipt-value"[^>]*>\d{4} ', _nojs(client, token).get_data(as_text=True))
    return token


def _assert_intact(app: Flask, reviewer: Identity, count: int) -> None:
    rows = stored(app)
    assert len(rows) == count
    for _submission, envelopes in rows:
        for envelope in envelopes:
            assert "answers.json" in open_envelope(app, envelope, reviewer)


def _message(lang: str, folder: Path) -> str:
    """The 503 page's message in ``lang``, as the catalogs have it."""
    app = create_app({"TESTING": True, "SORI_DATA_DIR": folder / "i18n-only"})
    with app.test_request_context(f"/?lang={lang}"):
        return unavailable_message()


def _assert_503_page(response, lang: str, app: Flask) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] and response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"]  # the security headers still apply
    page = response.get_data(as_text=True)
    with app.test_request_context(f"/?lang={lang}"):
        title, message = gettext("Temporarily unavailable"), unavailable_message()
    assert f'<html lang="{lang}">' in page and title in page and message in page
    for detail in ("10.9.8.7", "OperationalError", "sqlite", "psycopg", "Traceback", "INSERT"):
        assert detail not in page


def test_an_unreachable_database_gets_a_translated_503_and_loses_nothing(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    reviewer = vet_reviewer(app)
    token = _accept_some(app, client, reviewer)
    blobs_before, _ = _blobs_and_temp(app)
    assert client.get("/health").get_json() == {"status": "ok", "database": "ok"}

    with database_down(app):
        for lang in ("ko", "en"):
            _assert_503_page(client.get(f"/submit?lang={lang}"), lang, app)
        _assert_503_page(_nojs(client, token, "ko"), "ko", app)
        health = client.get("/health")
        assert health.status_code == 503 and health.get_json() == {
            "status": "unavailable",
            "database": "unavailable",
        }
        answer = _single(client, token, _envelope(reviewer, 400_000), b"\x03" * 32)
        assert answer.status_code == 503
        assert answer.get_json() == {"error": "unavailable", "message": unavailable_message()}
        status = client.post(
            "/status?lang=en",
            data={"csrf_token": token, "form_nonce": form_nonces.new(), "receipt": "1234567812345678"},
        )
        assert status.status_code == 503

    # The 503 answers log the failure's kind only: its text may carry the statement's parameters. (The
    # health check logs the whole exception for operators; its SELECT 1 has no parameters.)
    answered = [r for r in caplog.records if "answered 503" in r.getMessage()]
    assert len(answered) == 5  # the two form pages, the no-JS post, the browser post, the status page
    for record in answered:
        assert FAILURE_TEXT not in record.getMessage() and record.exc_info is None
    assert _blobs_and_temp(app) == (blobs_before, [])
    _assert_intact(app, reviewer, 3)
    assert client.get("/health").status_code == 200
    assert _single(client, token, _envelope(reviewer, 1000), b"\x04" * 32).status_code == 201  # back again


@pytest.mark.parametrize("path", ["single", "pieces", "nojs"])
def test_a_database_lost_after_the_blob_is_written_leaves_no_blob(
    app: Flask, client: FlaskClient, path: str
) -> None:
    reviewer = vet_reviewer(app)
    token = _accept_some(app, client, reviewer)
    blobs_before, _ = _blobs_and_temp(app)
    envelope = _envelope(reviewer, 600_000)  # a blob, not inline
    with database_down(app, only="INSERT"):
        if path == "single":
            answer = _single(client, token, envelope, b"\x05" * 32)
        elif path == "pieces":
            headers = {"X-CSRFToken": token}
            upload = client.post("/api/uploads", json={"size": len(envelope)}, headers=headers).get_json()[
                "id"
            ]
            put = client.put(
                f"/api/uploads/{upload}",
                data=envelope,
                headers={**headers, "X-Upload-Offset": "0"},
                content_type="application/octet-stream",
            )
            assert put.status_code == 200
            answer = client.post(
                f"/api/uploads/{upload}/finish",
                json={
                    "receipt_key": receipts.encode_key(b"\x06" * 32),
                    "source_key": SOURCE_KEY,
                    "form_nonce": form_nonces.new(),
                },
                headers=headers,
            )
        else:
            answer = _nojs(client, token)
        assert answer.status_code == 503
        assert 'receipt-value">1' not in answer.get_data(as_text=True)
    assert _blobs_and_temp(app) == (blobs_before, [])
    _assert_intact(app, reviewer, 3)


# --------------------------------------------------------------------------------------------------------
# Disk full

LIMIT = 6 * MIB


def _small_disk() -> None:
    """In the server process before exec: writes past LIMIT fail with EFBIG instead of killing it."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


@pytest.mark.slow
def test_a_full_disk_gets_a_clear_error_and_corrupts_nothing(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as database_url:
        instance = Instance(tmp_path, database_url).setup()
        identity = instance.identity
        is_sqlite = database_url.startswith("sqlite")
        server = instance.gunicorn(preexec_fn=_small_disk)
        try:
            source = Source(instance.port)
            source.open_form()
            accepted = [source.single(seal(identity, size, f"ok-{size}")) for size in (1 * KIB, 1 * MIB)]
            accepted.append(source.nojs(100 * KIB))
            assert all(a.shown for a in accepted), [a.error for a in accepted]

            # In pieces: the piece that crosses the limit is refused; the upload keeps what it had.
            big = seal(identity, 7 * MIB, "big")
            status, body, _ = source.request(
                "POST", "/api/uploads", f'{{"size": {len(big.data)}}}'.encode(), JSON
            )
            upload_id = json.loads(body)["id"]
            piece = 2 * MIB
            answers = []
            for offset in range(0, len(big.data), piece):
                status, body, _ = source.request(
                    "PUT",
                    f"/api/uploads/{upload_id}?lang=ko",
                    big.data[offset : offset + piece],
                    {"X-Upload-Offset": str(offset), "Content-Type": "application/octet-stream"},
                )
                answers.append(status)
                if status != 200:
                    break
            assert answers == [200, 200, 200, 503], answers
            assert b'"error":"unavailable"' in body.replace(b" ", b"")
            [upload_file] = [p for p in (instance.data_dir / "blobs" / "tmp").iterdir()]
            assert upload_file.stat().st_size == 3 * piece  # the refused piece was taken back whole

            # One request over the limit, and the no-JS form with a large file: 503, nothing left behind.
            too_big = source.single(seal(identity, 7 * MIB, "single-big"))
            assert too_big.status == 503 and not too_big.shown and "unavailable" in (too_big.error or "")
            nojs = source.nojs(7 * MIB)
            assert nojs.status == 503 and not nojs.shown
            assert '<html lang="ko">' in (nojs.error or "") and _message("ko", tmp_path) in (nojs.error or "")
            assert list((instance.data_dir / "blobs" / "tmp").iterdir()) == [upload_file]

            # The database file reaches the limit too (SQLite): inline envelopes until it is full.
            db_full = None
            if is_sqlite:
                inline = seal(identity, 200 * KIB, "inline")
                for _ in range(60):
                    attempt = source.single(inline)
                    if not attempt.shown:
                        db_full = attempt
                        break
                    accepted.append(attempt)
                assert db_full is not None and db_full.status == 503, "the database never filled"
                assert "unavailable" in (db_full.error or "")
        finally:
            server.stop()

        report = audit(instance, accepted)
        print(
            f"\ndisk full at {LIMIT // MIB} MiB per file: {len(accepted)} accepted before and around it, all "
            f"verified ({report.receipts_verified}); refused with 503: piece upload, {too_big.kind}, nojs"
            + (", the SQLite database's own write" if db_full else "")
        )
        assert not report.problems, report.problems
        assert report.receipts_verified == len(accepted) == report.submissions == report.decrypted
        assert report.orphan_blobs == [] and report.temp_files == [upload_file]
        if is_sqlite:
            with instance.app_context():
                assert db.session().execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        if sori_check_available():
            checked = run_check(instance)
            assert checked.returncode == 0, checked.stdout + checked.stderr

        # With room again, the same upload resumes where it stood and new submissions are accepted.
        server = instance.gunicorn()
        try:
            offset = upload_file.stat().st_size
            status, body, _ = source.request(
                "PUT",
                f"/api/uploads/{upload_id}",
                big.data[offset:],
                {"X-Upload-Offset": str(offset), "Content-Type": "application/octet-stream"},
            )
            assert status == 200, body
            key = b"\x09" * 32
            status, body, _ = source.request(
                "POST",
                f"/api/uploads/{upload_id}/finish",
                json.dumps(
                    {
                        "receipt_key": receipts.encode_key(key),
                        "source_key": SOURCE_KEY,
                        "form_nonce": form_nonces.new(),
                    }
                ).encode(),
                JSON,
            )
            assert status == 201, body
            assert source.single(seal(identity, 1 * KIB, "after")).shown
        finally:
            server.stop()
        assert not audit(instance, accepted).problems
