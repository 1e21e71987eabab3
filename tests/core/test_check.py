"""`sori check`: a clean store passes; each kind of damage is named on its own line with exit status 1;
`--clean-stale` removes exactly the stale temporary files and orphan blobs."""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import text, update

from core import db
from core.models import Envelope
from crypto.envelope import header_length
from crypto.keys import Identity
from tests.core.store_helpers import Stored, blob_store, envelope_bytes, store_submission
from tests.intake.source_helpers import vet_reviewer
from tests.reviewer.helpers import make_user

DAY = 86400


@pytest.fixture
def identity(app: Flask) -> Identity:
    return vet_reviewer(app)


@pytest.fixture
def stored(app: Flask, identity: Identity) -> list[Stored]:
    """Two envelopes in their rows, two in the blob store (one over several chunks), and an audit trail."""
    make_user(app, "admin", "admin")
    make_user(app, "kim", "reviewer")
    return [
        store_submission(app, identity, in_blob=False),
        store_submission(app, identity, in_blob=True, size=300_000),
        store_submission(app, identity, in_blob=False, size=10),
        store_submission(app, identity, in_blob=True),
    ]


def _check(runner: FlaskCliRunner, *args: str) -> tuple[int, list[str]]:
    result = runner.invoke(args=["check", *args])
    return result.exit_code, result.output.splitlines()


def _problems(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("PROBLEM ")]


def _blob_envelope(app: Flask) -> tuple[int, str, Path]:
    with app.app_context():
        row = db.session().query(Envelope).filter(Envelope.blob_id.is_not(None)).order_by(Envelope.id).first()
        return row.id, row.blob_id, blob_store(app).path(row.blob_id)


def _execute(app: Flask, statement) -> None:
    with app.app_context():
        db.session().execute(statement)
        db.session().commit()


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_clean_store_passes(app: Flask, runner: FlaskCliRunner, stored: list[Stored]) -> None:
    code, lines = _check(runner)
    assert code == 0, lines
    assert _problems(lines) == []
    assert lines[-1].startswith("sori check: no problem found (4 envelope(s), 2 blob(s)")
    assert "audit trail" in lines[-1] and "entries" in lines[-1]


def test_an_empty_store_passes(runner: FlaskCliRunner) -> None:
    code, lines = _check(runner)
    assert code == 0, lines


def test_a_missing_blob_file_is_named(app: Flask, runner: FlaskCliRunner, stored: list[Stored]) -> None:
    envelope_id, blob_id, path = _blob_envelope(app)
    path.unlink()
    code, lines = _check(runner)
    assert code == 1
    assert _problems(lines) == [
        f"PROBLEM missing-blob: envelope {envelope_id} (blob {blob_id}): the blob file {path} is not there"
    ]
    assert "1 problem(s) found" in lines[-1]


def test_an_orphan_blob_is_named(app: Flask, runner: FlaskCliRunner, identity: Identity, stored) -> None:
    orphan, _ = blob_store(app).put(io.BytesIO(envelope_bytes(identity)))
    code, lines = _check(runner)
    assert code == 1
    [line] = _problems(lines)
    assert line.startswith(f"PROBLEM orphan-blob: blob {orphan}: no envelope row names the blob file")


def test_a_truncated_blob_is_named(app: Flask, runner: FlaskCliRunner, stored: list[Stored]) -> None:
    envelope_id, _, path = _blob_envelope(app)
    with path.open("r+b") as file:
        file.truncate(path.stat().st_size - 10)
    code, lines = _check(runner)
    assert code == 1
    [line] = _problems(lines)
    assert f"PROBLEM bad-envelope: envelope {envelope_id}" in line and "(truncated" in line


@pytest.mark.parametrize("where", ["blob", "row"])
def test_a_flipped_length_prefix_is_named(app: Flask, runner: FlaskCliRunner, stored, where: str) -> None:
    offset = header_length(1)  # the first chunk's length prefix
    if where == "blob":
        envelope_id, _, path = _blob_envelope(app)
        with path.open("r+b") as file:
            file.seek(offset)
            file.write(b"\xff")
    else:
        with app.app_context():
            row = db.session().query(Envelope).filter(Envelope.ciphertext.is_not(None)).first()
            envelope_id, data = row.id, bytearray(row.ciphertext)
        data[offset] ^= 0x01
        _execute(app, update(Envelope).where(Envelope.id == envelope_id).values(ciphertext=bytes(data)))
    code, lines = _check(runner)
    assert code == 1
    [line] = _problems(lines)
    assert f"PROBLEM bad-envelope: envelope {envelope_id}" in line and "(size_limit" in line


def test_a_wrong_size_in_the_row_is_named(app: Flask, runner: FlaskCliRunner, stored: list[Stored]) -> None:
    envelope_id, _, path = _blob_envelope(app)
    _execute(app, update(Envelope).where(Envelope.id == envelope_id).values(ciphertext_size=123))
    code, lines = _check(runner)
    assert code == 1
    [line] = _problems(lines)
    assert line.startswith(f"PROBLEM wrong-size: envelope {envelope_id}")
    assert f"it holds {path.stat().st_size} bytes, its row says 123" in line


def test_key_ids_differing_from_the_row_are_named(app: Flask, runner: FlaskCliRunner, stored) -> None:
    other = Identity.generate().public_key.key_id.hex()
    with app.app_context():
        envelope_id = db.session().query(Envelope).order_by(Envelope.id).first().id
    _execute(
        app, update(Envelope).where(Envelope.id == envelope_id).values(recipient_key_ids=json.dumps([other]))
    )
    code, lines = _check(runner)
    assert code == 1
    [line] = _problems(lines)
    assert line.startswith(f"PROBLEM wrong-recipients: envelope {envelope_id} (in its row)") and other in line


def test_a_stale_temporary_file_is_named_a_young_one_is_not(
    app: Flask, runner: FlaskCliRunner, stored
) -> None:
    tmp = blob_store(app).tmp
    stale, young = tmp / "put-stale", tmp / f"upload-{'ab' * 16}-5000"
    stale.write_bytes(b"x")
    young.write_bytes(b"y")
    _age(stale, 2 * DAY)
    _age(young, 3600)
    code, lines = _check(runner)
    assert code == 1
    [line] = _problems(lines)
    assert line.startswith(f"PROBLEM stale-temp: {stale}: a temporary file untouched for 2.0 days")
    code, lines = _check(runner, "--max-age", "0.5")
    assert code == 1 and len(_problems(lines)) == 2
    code, lines = _check(runner, "--max-age", "72")
    assert code == 0, lines


def test_an_altered_audit_entry_is_named(app: Flask, runner: FlaskCliRunner, stored: list[Stored]) -> None:
    _execute(app, text("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2"))
    code, lines = _check(runner)
    assert code == 1
    [line] = _problems(lines)
    assert line.startswith("PROBLEM audit-broken: audit entry 2: its content was changed")


def test_a_database_behind_the_newest_migration_is_named(app: Flask, runner: FlaskCliRunner) -> None:
    _execute(app, text("UPDATE alembic_version SET version_num = '0001'"))
    code, lines = _check(runner)
    assert code == 1
    [line] = _problems(lines)
    assert line.startswith("PROBLEM schema: database: it is at revision 0001") and "sori init" in line


def test_every_problem_at_once_is_named_once_each(
    app: Flask, runner: FlaskCliRunner, identity, stored
) -> None:
    _, _, path = _blob_envelope(app)
    path.unlink()
    blob_store(app).put(io.BytesIO(envelope_bytes(identity)))
    (blob_store(app).tmp / "put-old").write_bytes(b"")
    _age(blob_store(app).tmp / "put-old", 2 * DAY)
    _execute(app, text("UPDATE audit_log SET action = 'x' WHERE seq = 1"))
    code, lines = _check(runner)
    assert code == 1
    kinds = sorted(line.split(":")[0] for line in _problems(lines))
    assert kinds == [
        "PROBLEM audit-broken",
        "PROBLEM missing-blob",
        "PROBLEM orphan-blob",
        "PROBLEM stale-temp",
    ]


def test_clean_stale_removes_exactly_the_stale_files(
    app: Flask, runner: FlaskCliRunner, identity: Identity, stored: list[Stored]
) -> None:
    store = blob_store(app)
    old_orphan, _ = store.put(io.BytesIO(envelope_bytes(identity)))
    young_orphan, _ = store.put(io.BytesIO(envelope_bytes(identity)))
    _age(store.path(old_orphan), 3 * DAY)
    stale, young = store.tmp / "put-dead", store.tmp / f"upload-{'cd' * 16}-9"
    stale.write_bytes(b"half")
    young.write_bytes(b"in progress")
    _age(stale, 2 * DAY)
    before = {p for p in store.root.rglob("*") if p.is_file()}

    code, lines = _check(runner, "--clean-stale")
    after = {p for p in store.root.rglob("*") if p.is_file()}
    assert before - after == {store.path(old_orphan), stale}
    assert f"REMOVED orphan blob {old_orphan}: the blob file {store.path(old_orphan)}" in lines
    assert f"REMOVED stale temporary file {stale}" in lines
    # The young orphan stays, and is still a problem; the young upload is neither.
    assert code == 1
    [line] = _problems(lines)
    assert line.startswith(f"PROBLEM orphan-blob: blob {young_orphan}")

    store.remove(young_orphan)
    code, lines = _check(runner, "--clean-stale")
    assert code == 0, lines
    assert young.exists() and not any(line.startswith("REMOVED") for line in lines)


def test_without_clean_stale_nothing_is_removed(app: Flask, runner: FlaskCliRunner, identity, stored) -> None:
    store = blob_store(app)
    orphan, _ = store.put(io.BytesIO(envelope_bytes(identity)))
    _age(store.path(orphan), 3 * DAY)
    (store.tmp / "put-dead").write_bytes(b"")
    _age(store.tmp / "put-dead", 3 * DAY)
    before = {p: p.read_bytes() for p in store.root.rglob("*") if p.is_file()}
    code, _ = _check(runner)
    assert code == 1
    assert {p: p.read_bytes() for p in store.root.rglob("*") if p.is_file()} == before


def test_an_unreachable_database_exits_2(app: Flask, runner: FlaskCliRunner) -> None:
    # Renamed rather than dropped: other tables (grants, records' photo references) hold keys into it.
    _execute(app, text("ALTER TABLE envelopes RENAME TO envelopes_gone"))
    result = runner.invoke(args=["check"])
    assert result.exit_code == 2
    assert "sori check could not finish" in result.output
