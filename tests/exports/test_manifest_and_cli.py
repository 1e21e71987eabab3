"""The signed manifest and the commands: `sori export dossier` writes an audited, signed export (or one sealed
to a case team's key), `sori export verify` catches any changed byte, edited manifest or added file, and
`sori init` makes the export key once (reviewer/exports/signing.py, bundle.py, cli.py;
core/export_key.py)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from core import db, export_key
from core.models import AuditEntry
from crypto.keys import Identity
from sori.cli import cli
from tests.exports.fixtures import Records
from tests.reviewer.helpers import make_user

PASSPHRASE = "사건 팀의 비밀 문장"


@pytest.fixture
def records(app: Flask, runner, records: Records) -> Records:
    """The records, an initialised data folder and a case-team member."""
    assert runner.invoke(args=["init"]).exit_code == 0
    make_user(app, "case", "case_team")
    return records


def _export(runner, records: Records, out: Path, *extra: str):
    return runner.invoke(
        args=[
            "export", "dossier", "--target", f"person:{records.person_id}", "--purpose", "sanctions",
            "--format", "ftm,csv", "-o", str(out), "--as", "case", *extra,
        ]
    )  # fmt: skip


def test_init_creates_the_export_key_once_and_the_key_command_prints_it(app, runner):
    assert "Export signing key created" in runner.invoke(args=["init"]).output
    path = export_key.key_path(app.config["SORI_DATA_DIR"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()
    assert "Export signing key created" not in runner.invoke(args=["init"]).output
    assert path.read_bytes() == before
    printed = runner.invoke(args=["export", "key"])
    key = export_key.load(app.config["SORI_DATA_DIR"])
    assert printed.stdout.strip() == export_key.public_text(key.verify_key)
    assert export_key.fingerprint(key.verify_key) in printed.stderr


def test_the_command_writes_a_signed_export_and_audits_it(app, runner, records, tmp_path):
    out = tmp_path / "export"
    result = _export(runner, records, out)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert "entities.ftm.json" in names and "acts.csv" in names and "manifest.sig" in names
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["target"] == {"kind": "person", "id": records.person_id, "caption": "리창대"}
    assert manifest["purpose"] == "sanctions" and manifest["formats"] == ["ftm", "csv"]
    with app.app_context():
        entry = db.session().scalars(select(AuditEntry).where(AuditEntry.action == "export.dossier")).one()
        assert entry.actor == "case" and entry.subject == f"person:{records.person_id}"
        details = json.loads(entry.details)
        assert details["purpose"] == "sanctions" and details["formats"] == ["ftm", "csv"]
        assert details["manifest_sha256"] in result.output
    verified = runner.invoke(args=["export", "verify", str(out)])
    assert verified.exit_code == 0, verified.output
    # An existing, non-empty folder is never written into.
    assert _export(runner, records, out).exit_code == 1


def test_verify_fails_on_any_changed_byte_edited_manifest_or_added_file(runner, records, tmp_path):
    out = tmp_path / "export"
    assert _export(runner, records, out).exit_code == 0
    for path in sorted(out.iterdir()):
        original = path.read_bytes()
        path.write_bytes(bytes([original[0] ^ 1]) + original[1:])
        result = runner.invoke(args=["export", "verify", str(out)])
        assert result.exit_code == 1, path.name
        expected = "bad signature" if path.name.startswith("manifest") else f"digest mismatch: {path.name}"
        assert expected in result.output, (path.name, result.output)
        path.write_bytes(original)
    manifest = out / "manifest.json"
    original = manifest.read_text()
    manifest.write_text(original.replace('"purpose": "sanctions"', '"purpose": "public"'))
    assert "bad signature" in runner.invoke(args=["export", "verify", str(out)]).output
    manifest.write_text(original)
    (out / "notes.txt").write_text("added later")
    result = runner.invoke(args=["export", "verify", str(out)])
    assert result.exit_code == 1 and "unlisted file: notes.txt" in result.output
    (out / "notes.txt").unlink()
    (out / "acts.csv").unlink()
    assert "missing file: acts.csv" in runner.invoke(args=["export", "verify", str(out)]).output


def test_verify_checks_against_a_given_public_key(runner, records, tmp_path):
    out = tmp_path / "export"
    assert _export(runner, records, out).exit_code == 0
    own = runner.invoke(args=["export", "key"]).stdout.strip()
    assert runner.invoke(args=["export", "verify", str(out), "--public-key", own]).exit_code == 0
    import nacl.signing

    other = export_key.public_text(nacl.signing.SigningKey.generate().verify_key)
    result = runner.invoke(args=["export", "verify", str(out), "--public-key", other])
    assert result.exit_code == 1 and "bad signature" in result.output


def test_a_sealed_export_opens_with_sori_decrypt_into_files_that_verify(runner, records, tmp_path):
    identity = Identity.generate()
    identity_file = tmp_path / "case.identity"
    identity_file.write_text(identity.wrap(PASSPHRASE, opslimit=1, memlimit=8192))
    sealed = tmp_path / "dossier.sori"
    result = _export(runner, records, sealed, "--seal-to", identity.public_key.text)
    assert result.exit_code == 0, result.output
    assert b"W-0001" not in sealed.read_bytes()
    opened = tmp_path / "opened"
    decrypted = CliRunner(env={"SORI_PASSPHRASE": PASSPHRASE}).invoke(
        cli, ["decrypt", "-i", str(identity_file), "-o", str(opened), str(sealed)]
    )
    assert decrypted.exit_code == 0, decrypted.output
    assert (opened / "manifest.json").exists()
    assert runner.invoke(args=["export", "verify", str(opened)]).exit_code == 0


def test_the_command_acts_only_as_an_active_reviewer_or_case_team_member(app, runner, records, tmp_path):
    make_user(app, "admin", "admin")
    result = runner.invoke(
        args=["export", "dossier", "--target", f"person:{records.person_id}", "--purpose", "public",
              "--format", "csv", "-o", str(tmp_path / "x"), "--as", "admin"]
    )  # fmt: skip
    assert result.exit_code == 1 and "neither a reviewer nor a case-team member" in result.output
    result = runner.invoke(
        args=["export", "dossier", "--target", f"person:{records.person_id}", "--purpose", "public",
              "--format", "csv", "-o", str(tmp_path / "y"), "--as", "nobody"]
    )  # fmt: skip
    assert result.exit_code == 1 and not (tmp_path / "y").exists()
