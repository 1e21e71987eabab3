"""The Uwazi layout loses nothing: records exported, imported into another Sori with ``sori records import``
and exported again give the same files, byte for byte, for every demo record, a demo dossier exported by
``sori export dossier``, a sanctions dossier and a dossier of 1,000 acts (bench/exports.py); and importing
the same files again makes nothing new."""

from __future__ import annotations

from pathlib import Path

import nacl.signing
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from bench.exports import populate
from core import db
from reviewer.exports import bundle, dossier
from reviewer.records.models import Act, Person, PersonName
from reviewer.records.uwazi import layout
from tests.exports.fixtures import build_records
from tests.records.uwazi import every_record, import_folder, second_sori, write_folder
from tests.reviewer.helpers import cheap_hashing, make_user

RECORD_FILES = [template.file for template in layout.RECORD_TEMPLATES]


def _dossier_files(app: Flask, person_id: int, purpose: str = "sanctions") -> dict[str, bytes]:
    with app.app_context():
        built = dossier.build(db.session(), "person", person_id, purpose, actor_login="kim")
        return bundle.make(built, ("csv",), (), nacl.signing.SigningKey.generate()).files


def _round_trip(files: dict[str, bytes], tmp_path: Path) -> dict[str, bytes]:
    """``files`` imported into a new Sori, and every record it then holds written again."""
    with second_sori(tmp_path) as second:
        result = import_folder(second, write_folder(files, tmp_path / "export"))
        assert result.exit_code == 0, result.output
        return every_record(second)


def test_the_demo_records_come_back_identical(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    cheap_hashing(app)
    assert runner.invoke(args=["demo"]).exit_code == 0
    exported = every_record(app)
    again = _round_trip(exported, tmp_path)
    assert {name: again[name] for name in RECORD_FILES} == {name: exported[name] for name in RECORD_FILES}
    assert exported["acts.csv"].count(b"\r\n") == 1 + 10


def test_a_demo_dossier_exported_by_the_command_comes_back_identical(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    cheap_hashing(app)
    assert runner.invoke(args=["init"]).exit_code == 0
    assert runner.invoke(args=["demo"]).exit_code == 0
    make_user(app, "case", "case_team")
    with app.app_context():
        minister = db.session().scalars(select(PersonName.person_id).where(PersonName.name == "염길후")).one()
    out = tmp_path / "dossier"
    args = [
        "export",
        "dossier",
        "--target",
        f"person:{minister}",
        "--purpose",
        "sanctions",
        "--format",
        "csv",
    ]
    result = runner.invoke(args=[*args, "-o", str(out), "--as", "case"])
    assert result.exit_code == 0, result.output
    exported = {path.name: path.read_bytes() for path in out.iterdir()}
    assert exported["acts.csv"].count(b"\r\n") == 1 + 3
    again = _round_trip(exported, tmp_path)
    assert {name: again[name] for name in RECORD_FILES} == {name: exported[name] for name in RECORD_FILES}


def test_a_dossier_export_comes_back_identical_and_imports_once(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        made = build_records(db.session())
        db.session().commit()
    exported = _dossier_files(app, made.person_id)
    with second_sori(tmp_path) as second:
        folder = write_folder(exported, tmp_path / "export")
        first = import_folder(second, folder)
        assert first.exit_code == 0, first.output
        assert "acts.csv: 1 made, 0 already in Sori" in first.output
        again = every_record(second)
        assert {name: again[name] for name in RECORD_FILES} == {name: exported[name] for name in RECORD_FILES}
        repeated = import_folder(second, folder)
        assert repeated.exit_code == 0, repeated.output
        assert "persons.csv: 0 made, 4 already in Sori" in repeated.output
        with second.app_context():
            assert db.session().scalar(select(func.count(Person.id))) == 4


def test_a_dossier_of_a_thousand_acts_comes_back_identical(app: Flask, tmp_path: Path) -> None:
    person_id, _bureau_id = populate(app, 1000, 300)
    exported = _dossier_files(app, person_id, "internal")
    with app.app_context():
        assert db.session().scalar(select(func.count(Act.id))) == 1004
    again = _round_trip(exported, tmp_path)
    assert {name: again[name] for name in RECORD_FILES} == {name: exported[name] for name in RECORD_FILES}
    assert exported["acts.csv"].count(b"\r\n") > 1000
