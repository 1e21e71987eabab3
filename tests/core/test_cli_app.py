"""The `sori` commands that work on the data folder and database: init, recipients, demo, envelopes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner

from core import db, submissions
from core.demo import DEMO_ACCOUNTS
from core.models import Envelope, Setting
from crypto.envelope import decrypt_all, encrypt_parts
from crypto.keys import Identity
from tests.intake.source_helpers import SOURCE_KEY


def test_init_is_idempotent_and_makes_the_receipt_salt_once(app: Flask, runner: FlaskCliRunner) -> None:
    first = runner.invoke(args=["init"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        salt = db.session().get(Setting, submissions.RECEIPT_SALT_SETTING).value
    assert runner.invoke(args=["init"]).exit_code == 0
    with app.app_context():
        assert db.session().get(Setting, submissions.RECEIPT_SALT_SETTING).value == salt


def test_recipients_are_added_listed_and_revoked(runner: FlaskCliRunner, tmp_path: Path) -> None:
    identity = Identity.generate()
    identity_file = tmp_path / "kim.identity"
    identity_file.write_text(identity.wrap("x", opslimit=1, memlimit=65536))
    added = runner.invoke(args=["recipients", "add", "검토자 김", str(identity_file)])
    assert added.exit_code == 0 and identity.public_key.fingerprint in added.output
    duplicate = runner.invoke(args=["recipients", "add", "other", identity.public_key.text])
    assert duplicate.exit_code == 1 and "belongs to" in duplicate.output
    listed = runner.invoke(args=["recipients", "list"]).output
    assert "검토자 김" in listed and "active" in listed and identity.public_key.text in listed
    assert runner.invoke(args=["recipients", "revoke", "검토자 김"]).exit_code == 0
    assert "revoked" in runner.invoke(args=["recipients", "list"]).output
    assert runner.invoke(args=["recipients", "revoke", "nobody"]).exit_code == 1


def test_demo_makes_reviewers_once_and_prints_how_to_open_their_keys(
    app: Flask, runner: FlaskCliRunner
) -> None:
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    demo = Path(app.config["SORI_DATA_DIR"]) / "demo"
    identity_file = demo / "demo-reviewer-a.identity"
    passphrase = (demo / "demo-reviewer-a.passphrase.txt").read_text().strip()
    assert passphrase in first.output and "sori envelopes export" in first.output
    Identity.unwrap(identity_file.read_text(), passphrase)
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and passphrase in again.output
    listed = runner.invoke(args=["recipients", "list"]).output
    assert listed.count("demo-reviewer-") == 2
    identity = Identity.unwrap(identity_file.read_text(), passphrase)
    with app.app_context():
        envelopes = db.session().query(Envelope).all()
        assert len(envelopes) == len(DEMO_ACCOUNTS)  # made once, not again on the second run
        for envelope in envelopes:
            with submissions.open_envelope(envelope) as file:
                answers = json.loads(decrypt_all(file, identity)[0][1])
            assert (
                "가상의 예시" in answers["fields"]["what_happened"]
                or "Fictional" in answers["fields"]["what_happened"]
            )


def test_envelopes_export_writes_every_envelope_once(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    reviewer = Identity.generate()
    envelopes = []
    for size in (100, submissions.INLINE_MAX * 2):
        out = io.BytesIO()
        encrypt_parts(out, [reviewer.public_key], [("a.bin", "application/octet-stream", b"z" * size)])
        envelopes.append(out.getvalue())
    with app.app_context():
        session = db.session()
        submissions.new_submission(
            session,
            b"\x01" * 32,
            envelopes[0],
            len(envelopes[0]),
            (),
            path="browser",
            source_public_key=SOURCE_KEY,
        )
        with submissions.blob_store().writing() as pending:
            pending.file.write(envelopes[1])
            submissions.new_submission(
                session,
                b"\x02" * 32,
                pending,
                len(envelopes[1]),
                (),
                path="server",
                source_public_key=SOURCE_KEY,
            )
    target = tmp_path / "out"
    result = runner.invoke(args=["envelopes", "export", "-o", str(target)])
    assert result.exit_code == 0 and "2 envelope(s)" in result.output
    exported = sorted(target.iterdir(), key=lambda p: p.stat().st_size)
    assert [p.read_bytes() for p in exported] == envelopes
    assert decrypt_all(exported[1].open("rb"), reviewer)[0][1] == b"z" * (submissions.INLINE_MAX * 2)
    assert "0 envelope(s)" in runner.invoke(args=["envelopes", "export", "-o", str(target)]).output


def test_the_commands_are_reachable_through_flask_too(tmp_path: Path) -> None:
    env = {**os.environ, "SORI_DATA_DIR": str(tmp_path / "data")}
    env.pop("SORI_DATABASE_URL", None)
    flask = Path(sys.executable).parent / "flask"
    result = subprocess.run(
        [str(flask), "--app", "sori", "init"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "revision" in result.stdout
