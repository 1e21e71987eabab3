"""What the Uwazi layout tests share: every record of a database as the layout lists them, a second Sori on
a database of its own to import into, and ``sori records import`` run as a reviewer."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from click.testing import Result
from flask import Flask
from sqlalchemy import select

from core import db, migrate
from reviewer.records.models import Act, Facility, Incident, Involvement, Occupancy, Organization, Person
from reviewer.records.uwazi import record_set, writer
from tests.core.test_backup import empty_instance
from tests.reviewer.helpers import make_user

IMPORTER = "importer"


def every_record(app: Flask) -> dict[str, bytes]:
    """The record files of every record in ``app``'s database (persons and facilities not merged)."""
    with app.app_context():
        session = db.session()
        everything = record_set.Selection(
            organizations=set(session.scalars(select(Organization.id))),
            persons=set(session.scalars(select(Person.id).where(Person.merged_into_id.is_(None)))),
            occupancies=set(session.scalars(select(Occupancy.id))),
            facilities=set(session.scalars(select(Facility.id).where(Facility.merged_into_id.is_(None)))),
            incidents=set(session.scalars(select(Incident.id))),
            acts=set(session.scalars(select(Act.id))),
            involvements=set(session.scalars(select(Involvement.id))),
        )
        return writer.write(record_set.read(session, everything)).files


@contextmanager
def sori_in(folder: Path) -> Iterator[Flask]:
    """A Sori of its own in ``folder``, on a new database migrated to the newest schema."""
    with empty_instance(folder) as app:
        migrate.upgrade(app.config["SORI_DATABASE_URL"])
        yield app


@contextmanager
def second_sori(tmp_path: Path) -> Iterator[Flask]:
    """Another Sori, empty, on a database of its own, with a reviewer to import as."""
    folder = tmp_path / "second"
    folder.mkdir()
    with sori_in(folder) as app:
        make_user(app, IMPORTER, "reviewer")
        yield app


def write_folder(files: dict[str, bytes], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder


def import_folder(app: Flask, folder: Path, *options: str) -> Result:
    """``sori records import --uwazi FOLDER --as importer`` in ``app``."""
    args = ["records", "import", "--uwazi", str(folder), "--as", IMPORTER, *options]
    return app.test_cli_runner().invoke(args=args)


def rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))
