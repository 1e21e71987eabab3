"""Backups: `sori backup create` seals every table and every envelope file to the backup key; `sori backup
restore` brings them back into an empty database and data folder, and only there, checked part by part;
a backup taken on SQLite restores into PostgreSQL and back (when SORI_TEST_DATABASE_URL is set).

One file of about 450 lines: creating and restoring are tested against each other."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from core import audit, db, migrate, submissions
from core.backup_format import BLOB_TYPE, dump_rows
from core.backup_restore import require_empty
from core.models import Envelope
from crypto.envelope import ABYTES, CHUNK, EnvelopeReader
from crypto.keys import Identity
from reviewer import accounts
from reviewer.keys import enrolment
from reviewer.models import KeyGrant, Note, SubmissionTag, Tag, Triage
from sori import create_app
from tests.core.store_helpers import SENTINEL, Stored, envelope_bytes, store_submission
from tests.databases import fresh_database
from tests.reviewer.helpers import make_user

PASSPHRASE = "backup passphrase"
REPO = Path(__file__).resolve().parents[2]
needs_postgresql = pytest.mark.skipif(
    not os.environ.get("SORI_TEST_DATABASE_URL"), reason="SORI_TEST_DATABASE_URL names no PostgreSQL server"
)


@pytest.fixture
def backup_identity(tmp_path: Path) -> tuple[Identity, Path, Path]:
    """The organization's backup identity, its identity file and a passphrase file."""
    identity = Identity.generate()
    identity_file = tmp_path / "backup.identity"
    identity_file.write_text(identity.wrap(PASSPHRASE, opslimit=1, memlimit=8192))
    passphrase_file = tmp_path / "passphrase.txt"
    passphrase_file.write_text(PASSPHRASE + "\n")
    return identity, identity_file, passphrase_file


def fill(app: Flask) -> list[Stored]:
    """A realistic instance: an admin and a reviewer whose browser-made key was vetted, submissions with
    envelopes in rows and in blobs, tags, a sealed note, triage, a key grant, the receipt salt, audit."""
    make_user(app, "admin", "admin")
    make_user(app, "kim", "reviewer", name="검토자 김")
    make_user(app, "lee", "reviewer", "case_team")
    reviewer = Identity.generate()
    with app.app_context():
        session = db.session()
        submissions.ensure_receipt_salt(session)
        admin = accounts.find_user(session, "admin")
        kim = accounts.find_user(session, "kim")
        reviewer_key = enrolment.enrol(
            session, kim, reviewer.public_key.text, reviewer.wrap("kim's key passphrase")
        )
        recipient = enrolment.approve(session, admin, reviewer_key)
        session.commit()
        recipient_id, kim_id = recipient.id, kim.id
    stored = [
        store_submission(app, reviewer, in_blob=False),
        store_submission(app, reviewer, in_blob=True, size=300_000),
        store_submission(app, reviewer, in_blob=False, size=10),
        store_submission(app, reviewer, in_blob=True, size=70_000),
    ]
    with app.app_context():
        session = db.session()
        kim = accounts.find_user(session, "kim")
        tag = Tag(name="함경북도 회령")
        session.add(tag)
        session.flush()
        session.add(SubmissionTag(submission_id=stored[0].submission_id, tag_id=tag.id))
        session.add(
            Note(
                submission_id=stored[0].submission_id,
                author_id=kim_id,
                ciphertext=envelope_bytes(reviewer, 20, "a note"),
                recipient_key_ids=json.dumps([reviewer.public_key.key_id.hex()]),
            )
        )
        session.add(Triage(submission_id=stored[1].submission_id, assignee_id=kim_id, duplicate_of_id=None))
        envelope_id = (
            session.query(Envelope.id).filter(Envelope.submission_id == stored[1].submission_id).scalar()
        )
        session.add(
            KeyGrant(
                envelope_id=envelope_id,
                recipient_id=recipient_id,
                sealed_key=os.urandom(80),
                granted_by_id=kim_id,
            )
        )
        audit.record(session, kim, "submission.read", f"submission:{stored[0].submission_id}", note="읽음")
        session.commit()
    return stored


@contextmanager
def empty_instance(folder: Path, database_url: str | None = None) -> Iterator[Flask]:
    """A new application on an empty data folder and an empty, never migrated database."""
    with fresh_database(folder) if database_url is None else _given(database_url) as url:
        app = create_app({"TESTING": True, "SORI_DATA_DIR": folder / "data", "SORI_DATABASE_URL": url})
        try:
            yield app
        finally:
            db.database(app).engine.dispose()


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


def make_backup(runner: FlaskCliRunner, identity: Identity, output: Path) -> None:
    result = runner.invoke(args=["backup", "create", "-r", identity.public_key.text, "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "Backup written to" in result.output


def filled_backup(app: Flask, runner: FlaskCliRunner, identity: Identity, folder: Path) -> Path:
    """A backup (``folder``/sori.backup) of ``app`` once :func:`fill` has filled it."""
    fill(app)
    backup_file = folder / "sori.backup"
    make_backup(runner, identity, backup_file)
    return backup_file


def restore(app: Flask, identity_file: Path, passphrase_file: Path, backup_file: Path):
    return app.test_cli_runner().invoke(
        args=[
            "backup",
            "restore",
            "-i",
            str(identity_file),
            "--passphrase-file",
            str(passphrase_file),
            str(backup_file),
        ]
    )


def envelopes_of(app: Flask) -> dict[int, bytes]:
    with app.app_context():
        result = {}
        for envelope in db.session().query(Envelope).order_by(Envelope.id):
            with submissions.open_envelope(envelope) as file:
                result[envelope.id] = file.read()
        return result


def assert_same_instance(source: Flask, restored: Flask, stored: list[Stored]) -> None:
    assert dump_rows(db.database(restored).engine) == dump_rows(db.database(source).engine)
    originals = envelopes_of(source)
    assert envelopes_of(restored) == originals
    assert sorted(originals.values()) == sorted(s.ciphertext for s in stored)
    with restored.app_context():
        for item in stored:
            found = submissions.find_by_lookup_key(db.session(), item.receipt_key)
            assert found is not None and found.id == item.submission_id
    runner = restored.test_cli_runner()
    checked = runner.invoke(args=["check"])
    assert checked.exit_code == 0, checked.output
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0 and "intact" in verified.output, verified.output


def test_backup_then_restore_gives_the_same_records_and_envelopes(
    app: Flask, runner: FlaskCliRunner, backup_identity, tmp_path: Path
) -> None:
    identity, identity_file, passphrase_file = backup_identity
    stored = fill(app)
    backup_file = tmp_path / "out" / "sori.backup"
    backup_file.parent.mkdir()
    make_backup(runner, identity, backup_file)
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600
    assert os.listdir(backup_file.parent) == ["sori.backup"]  # no temporary file left behind

    with empty_instance(tmp_path / "restored") as restored:
        result = restore(restored, identity_file, passphrase_file, backup_file)
        assert result.exit_code == 0, result.output
        assert "sori check passed" in result.output
        assert_same_instance(app, restored, stored)
        # The restored instance goes on: new rows get fresh ids (PostgreSQL's sequences were moved on).
        more = store_submission(restored, Identity.generate(), in_blob=False)
        with restored.app_context():
            assert submissions.find_by_lookup_key(db.session(), more.receipt_key) is not None
            make_user(restored, "park", "reviewer")

        again = restore(restored, identity_file, passphrase_file, backup_file)
        assert again.exit_code == 1
        assert "restore refused: the database is not empty" in again.output


def test_a_backup_is_an_envelope_to_the_backup_key_with_no_plaintext_testimony(
    app: Flask, runner: FlaskCliRunner, backup_identity, tmp_path: Path
) -> None:
    identity, identity_file, passphrase_file = backup_identity
    stored = fill(app)
    backup_file = tmp_path / "sori.backup"
    make_backup(runner, identity, backup_file)
    assert backup_file.read_bytes().startswith(b"SORI-ENV")
    opened = tmp_path / "opened"
    result = runner.invoke(
        args=[
            "decrypt",
            "-i",
            str(identity_file),
            "--passphrase-file",
            str(passphrase_file),
            "-o",
            str(opened),
            str(backup_file),
        ]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((opened / "manifest.json").read_text())
    assert manifest["sori_backup"] == 1 and manifest["schema_revision"] == migrate.head_revision()
    assert manifest["counts"]["submissions"] == 4 and manifest["counts"]["blobs"] == 2
    names = {p.name for p in opened.iterdir()}
    assert {t["part"] for t in manifest["tables"]} | {b["part"] for b in manifest["blobs"]} | {
        "manifest.json"
    } == names
    assert "table-alembic_version.jsonl" not in names
    blobs = {(opened / b["part"]).read_bytes() for b in manifest["blobs"]}
    assert blobs == {s.ciphertext for s in stored if s.in_blob}
    for path in opened.iterdir():
        data = path.read_bytes()
        assert SENTINEL.encode() not in data, path.name
    # Structured records are there in the clear inside the backup: that is why it is sealed.
    assert "함경북도 회령" in (opened / "table-tags.jsonl").read_text()
    # Envelopes kept in rows stay ciphertext (base64 of the stored bytes).
    assert all(
        row["ciphertext"] is None or row["ciphertext"].startswith("U09SSS1FTlY")
        for row in map(json.loads, (opened / "table-envelopes.jsonl").read_text().splitlines())
    )


def test_restore_refuses_a_database_that_is_not_empty(
    app: Flask, runner: FlaskCliRunner, backup_identity, tmp_path: Path
) -> None:
    identity, identity_file, passphrase_file = backup_identity
    backup_file = filled_backup(app, runner, identity, tmp_path)
    with empty_instance(tmp_path / "target") as target:
        assert target.test_cli_runner().invoke(args=["init"]).exit_code == 0  # makes the receipt salt
        result = restore(target, identity_file, passphrase_file, backup_file)
        assert result.exit_code == 1
        assert "the database is not empty (rows in settings: 1)" in result.output
        assert "do not run `sori init` before restoring" in result.output


def test_restore_refuses_a_data_folder_that_is_not_empty(
    app: Flask, runner: FlaskCliRunner, backup_identity, tmp_path: Path
) -> None:
    identity, identity_file, passphrase_file = backup_identity
    backup_file = filled_backup(app, runner, identity, tmp_path)
    with empty_instance(tmp_path / "target") as target:
        with target.app_context():
            submissions.blob_store().put(open(backup_file, "rb"))
        result = restore(target, identity_file, passphrase_file, backup_file)
        assert result.exit_code == 1 and "is not empty" in result.output and "data folder" in result.output


@pytest.mark.parametrize("damage", ["flip-in-a-blob", "flip-in-a-table", "cut", "trailing"])
def test_a_damaged_backup_is_refused_and_nothing_is_left_half_restored(
    app: Flask, runner: FlaskCliRunner, backup_identity, tmp_path: Path, damage: str
) -> None:
    identity, identity_file, passphrase_file = backup_identity
    backup_file = filled_backup(app, runner, identity, tmp_path)
    data = bytearray(backup_file.read_bytes())
    if damage == "flip-in-a-blob":
        data[len(data) - 100_000] ^= 0x40  # inside the 300 KB blob, near the end: tables are in by then
    elif damage == "flip-in-a-table":
        data[_tables_end(bytes(data), identity) - 30] ^= 0x40  # the last table's last rows
    elif damage == "cut":
        del data[-50:]
    else:
        data += b"\0"
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(bytes(data))
    with empty_instance(tmp_path / "target") as target:
        result = restore(target, identity_file, passphrase_file, damaged)
        assert result.exit_code == 1
        assert "restore failed: the backup file is damaged" in result.output
        assert "nothing was restored" in result.output
        store = submissions_store(target)
        assert list(store.blob_ids()) == [] and list(store.tmp.iterdir()) == []
        require_empty(db.database(target).engine, store)  # raises if a row stayed
        # The undamaged backup then restores into the same instance.
        result = restore(target, identity_file, passphrase_file, backup_file)
        assert result.exit_code == 0, result.output


def test_restore_refuses_a_backup_for_another_key_or_not_a_backup(
    app: Flask, runner: FlaskCliRunner, backup_identity, tmp_path: Path
) -> None:
    identity, identity_file, passphrase_file = backup_identity
    other = Identity.generate()
    backup_file = tmp_path / "sori.backup"
    make_backup(runner, other, backup_file)
    with empty_instance(tmp_path / "target") as target:
        result = restore(target, identity_file, passphrase_file, backup_file)
        assert result.exit_code == 1 and "no_matching_key" in result.output
        plain = tmp_path / "plain.sori"
        assert (
            runner.invoke(
                args=["encrypt", "-r", identity.public_key.text, "-o", str(plain), str(passphrase_file)]
            ).exit_code
            == 0
        )
        result = restore(target, identity_file, passphrase_file, plain)
        assert result.exit_code == 1 and "where manifest.json should be" in result.output


def test_create_refuses_to_overwrite_and_needs_a_recipient(
    app: Flask, runner: FlaskCliRunner, backup_identity, tmp_path: Path
) -> None:
    identity, _, _ = backup_identity
    existing = tmp_path / "existing.backup"
    existing.write_text("keep me")
    result = runner.invoke(args=["backup", "create", "-r", identity.public_key.text, "-o", str(existing)])
    assert result.exit_code == 1 and "exists already" in result.output
    assert existing.read_text() == "keep me"
    result = runner.invoke(args=["backup", "create", "-r", "sori-pk1-nonsense", "-o", str(tmp_path / "b")])
    assert result.exit_code == 1 and "not a Sori public key" in result.output
    assert not (tmp_path / "b").exists()


def test_a_backup_refused_for_a_newer_schema(
    app: Flask, runner: FlaskCliRunner, backup_identity, tmp_path
) -> None:
    identity, identity_file, passphrase_file = backup_identity
    with app.app_context():
        db.session().execute(_set_revision("9999"))
        db.session().commit()
    backup_file = tmp_path / "sori.backup"
    make_backup(runner, identity, backup_file)
    with empty_instance(tmp_path / "target") as target:
        result = restore(target, identity_file, passphrase_file, backup_file)
        assert result.exit_code == 1
        assert "schema revision 9999 is newer than this Sori knows" in result.output


def _tables_end(data: bytes, identity: Identity) -> int:
    """Where the blob parts begin in a backup file: its length less every blob part's chunks."""
    reader = EnvelopeReader(io.BytesIO(data), identity=identity)
    manifest = json.loads(next(iter(reader)).read_all())
    end = len(data)
    for entry in manifest["blobs"]:
        meta = json.dumps({"name": entry["part"], "type": BLOB_TYPE}, ensure_ascii=False).encode()
        end -= 4 + ABYTES + len(meta)
        pieces = max(1, -(-entry["size"] // CHUNK))
        end -= pieces * (4 + ABYTES) + entry["size"]
    return end


def _set_revision(revision: str):
    from sqlalchemy import text

    return text(f"UPDATE alembic_version SET version_num = '{revision}'")


def submissions_store(app: Flask):
    with app.app_context():
        return submissions.blob_store()


@needs_postgresql
@pytest.mark.parametrize("direction", ["sqlite-to-postgresql", "postgresql-to-sqlite"])
def test_a_backup_moves_between_sqlite_and_postgresql(
    backup_identity, tmp_path: Path, direction: str
) -> None:
    identity, identity_file, passphrase_file = backup_identity
    sqlite_url = f"sqlite:///{tmp_path / 'sqlite.db'}"
    with fresh_database(tmp_path / "pg") as postgresql_url:
        source_url, target_url = (
            (sqlite_url, postgresql_url)
            if direction == "sqlite-to-postgresql"
            else (postgresql_url, sqlite_url)
        )
        migrate.upgrade(source_url)
        with empty_instance(tmp_path / "source", source_url) as source:
            stored = fill(source)
            backup_file = tmp_path / "sori.backup"
            make_backup(source.test_cli_runner(), identity, backup_file)
            with empty_instance(tmp_path / "target", target_url) as target:
                result = restore(target, identity_file, passphrase_file, backup_file)
                assert result.exit_code == 0, result.output
                assert_same_instance(source, target, stored)
                store_submission(target, Identity.generate(), in_blob=True)


def test_the_deploy_wrappers_back_up_keep_n_and_restore(app: Flask, backup_identity, tmp_path: Path) -> None:
    identity, identity_file, passphrase_file = backup_identity
    stored = fill(app)
    sori = Path(sys.executable).parent / "sori"
    env_file = tmp_path / "sori.env"
    env_file.write_text(
        "# as /etc/sori/sori.env\n"
        f"SORI_DATA_DIR={app.config['SORI_DATA_DIR']}\n"
        f"SORI_DATABASE_URL='{app.config['SORI_DATABASE_URL']}'\n"
    )
    target = tmp_path / "backups"
    target.mkdir()
    (target / "notes.txt").write_text("not a backup: left alone")
    env = {
        **os.environ,
        "SORI_ENV_FILE": str(env_file),
        "SORI_BACKUP_KEYS": identity.public_key.text,
        "SORI_BACKUP_KEEP": "2",
        "SORI_BIN": str(sori),
    }
    for _ in range(3):
        done = subprocess.run(
            [REPO / "deploy" / "backup.sh", str(target)], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    backups = sorted(p.name for p in target.glob("sori-*.backup"))
    assert len(backups) == 2 and (target / "notes.txt").exists()
    assert "removed old backup" in done.stdout

    with empty_instance(tmp_path / "target") as restored:
        restored_env = tmp_path / "restored.env"
        restored_env.write_text(
            f"SORI_DATA_DIR={restored.config['SORI_DATA_DIR']}\n"
            f"SORI_DATABASE_URL='{restored.config['SORI_DATABASE_URL']}'\n"
        )
        done = subprocess.run(
            [
                REPO / "deploy" / "restore.sh",
                str(target / backups[-1]),
                str(identity_file),
                str(passphrase_file),
            ],
            env={**env, "SORI_ENV_FILE": str(restored_env)},
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "sori check: no problem found" in done.stdout
        assert_same_instance(app, restored, stored)
