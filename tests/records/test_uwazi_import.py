"""``sori records import --uwazi DIR`` makes records from Sori's Uwazi layout through the services of the
record forms, as a reviewer, audited; a malformed folder is refused with the file and line of every
problem, and then nothing is written."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import nacl.signing
import pytest
from flask import Flask
from sqlalchemy import func, select

from core import db
from core.models import AuditEntry, Setting
from reviewer.exports import bundle, dossier
from reviewer.records import origins
from reviewer.records.models import Act, Involvement, Organization, Person, Position
from reviewer.records.uwazi import layout
from tests.exports.fixtures import build_records
from tests.records.uwazi import IMPORTER, every_record, import_folder, rows, second_sori, write_folder
from tests.reviewer.helpers import make_user

RECORD_TABLES = (Organization, Person, Position, Act, Involvement)
#: A change of a file's rows, in place.
Change = Callable[[list[dict[str, str]]], None]


@pytest.fixture
def exported(app: Flask) -> dict[str, bytes]:
    """A sanctions dossier's files (tests/exports/fixtures.py): 4 organizations, 4 persons, 4 posts, one
    facility, one incident, one act and two involvements."""
    with app.app_context():
        made = build_records(db.session())
        db.session().commit()
        built = dossier.build(db.session(), "person", made.person_id, "sanctions", actor_login="kim")
        return bundle.make(built, ("csv",), (), nacl.signing.SigningKey.generate()).files


def _edit(files: dict[str, bytes], name: str, change: Change) -> dict[str, bytes]:
    """``files`` with the rows of ``name`` changed by ``change(rows)`` (a list of dicts, header kept)."""
    table = rows(files[name])
    header = list(table[0]) if table else next(csv.reader(io.StringIO(files[name].decode())))
    change(table)
    header += [column for row in table for column in row if column not in header]
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(table)
    return {**files, name: out.getvalue().encode("utf-8")}


def _counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        session = db.session()
        counts = {
            model.__tablename__: session.scalar(select(func.count(model.id))) for model in RECORD_TABLES
        }
        counts["audit"] = session.scalar(
            select(func.count(AuditEntry.seq)).where(AuditEntry.actor == IMPORTER)
        )
        return counts


def _set(index: int, column: str, value: str) -> Change:
    """A change that sets one cell of the row ``index``."""

    def change(table: list[dict[str, str]]) -> None:
        table[index][column] = value

    return change


MALFORMED = {
    "a bad date": ("acts.csv", _set(0, "date", "2017-03"), "acts.csv line 2: date: write a date"),
    "an unknown link title": (
        "involvements.csv",
        _set(0, "person", "Nobody"),
        "involvements.csv line 2: person: no row of persons.csv has the title “Nobody”.",
    ),
    "a duplicate title": (
        "persons.csv",
        _set(1, "title__en", "Kim Jong Ho"),
        "persons.csv line 3: The title “Kim Jong Ho” is also on line 2",
    ),
    "two values in a single choice": (
        "persons.csv",
        _set(0, "gender", "Male|Female"),
        "persons.csv line 2: gender holds one value",
    ),
    "a value no list has": (
        "acts.csv",
        _set(0, "violation", "Jaywalking"),
        "acts.csv line 2: violation: “Jaywalking” is not a value of its list.",
    ),
    "a county not in its province (the facility form's rule)": (
        "facilities.csv",
        lambda table: table[0].update(province="South Hamgyong", county="North Hamgyong::Hoeryong"),
        "facilities.csv line 2: county: This city or county is not in the province chosen.",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_folder_is_refused_line_by_line_and_nothing_is_written(
    exported: dict[str, bytes], tmp_path: Path, case: str
) -> None:
    name, change, said = MALFORMED[case]
    files = _edit(exported, name, change)
    with second_sori(tmp_path) as second:
        before = _counts(second)
        result = import_folder(second, write_folder(files, tmp_path / "folder"))
        assert result.exit_code == 1
        assert said in result.output, result.output
        assert "Nothing was written." in result.output
        assert _counts(second) == before


def test_a_line_number_is_where_the_row_starts_after_cells_of_several_lines(
    exported: dict[str, bytes], tmp_path: Path
) -> None:
    def change(table: list[dict[str, str]]) -> None:
        table[0]["description"] = "Line one\nline two\nline three"
        table[2]["title__en"] = table[1]["title__en"]

    with second_sori(tmp_path) as second:
        result = import_folder(second, write_folder(_edit(exported, "persons.csv", change), tmp_path / "f"))
    assert "persons.csv line 6: The title “Ri Chang Dae” is also on line 5" in result.output, result.output


def test_a_loop_of_parent_organizations_is_refused(exported: dict[str, bytes], tmp_path: Path) -> None:
    def change(table: list[dict[str, str]]) -> None:
        table[0]["parent_organization"] = table[-1]["title__en"]

    with second_sori(tmp_path) as second:
        result = import_folder(
            second, write_folder(_edit(exported, "organizations.csv", change), tmp_path / "f")
        )
        assert result.exit_code == 1
        assert (
            "organizations.csv line 2: The parent organizations of these rows make a loop." in result.output
        )
        assert _counts(second)["organizations"] == 0


def test_unknown_columns_and_files_are_reported_and_the_rest_imported(
    exported: dict[str, bytes], tmp_path: Path
) -> None:
    files = _edit(exported, "persons.csv", lambda table: table[0].update({"Field notes": "kept in Uwazi"}))
    with second_sori(tmp_path) as second:
        result = import_folder(second, write_folder(files, tmp_path / "f"))
        assert result.exit_code == 0, result.output
        assert (
            "persons.csv line 1: The column field_notes is not part of the layout: not imported."
            in result.output
        )
        assert "sources.csv: Evidence, not imported" in result.output
        assert "Not read: manifest.json, manifest.sig, thesaurus-agencies.csv" in result.output
        assert _counts(second)["persons"] == 4


def test_a_dry_run_checks_every_row_and_writes_nothing(exported: dict[str, bytes], tmp_path: Path) -> None:
    with second_sori(tmp_path) as second:
        before = _counts(second)
        result = import_folder(second, write_folder(exported, tmp_path / "f"), "--dry-run")
        assert result.exit_code == 0, result.output
        assert "involvements.csv: 2 to make, 0 already in Sori" in result.output
        assert _counts(second) == before


def test_each_file_is_imported_and_audited_as_the_reviewer(
    exported: dict[str, bytes], tmp_path: Path
) -> None:
    with second_sori(tmp_path) as second:
        result = import_folder(second, write_folder(exported, tmp_path / "f"), "--lang", "ko")
        assert result.exit_code == 0, result.output
        assert "acts.csv: 1건 만듦, 이미 소리에 있음 0건" in result.output
        with second.app_context():
            entries = db.session().execute(
                select(AuditEntry.action, AuditEntry.subject, AuditEntry.details).where(
                    AuditEntry.actor == IMPORTER
                )
            )
            imports = {}
            creations = 0
            for action, subject, details in entries:
                if action == "records.import":
                    imports[subject] = json.loads(details)
                creations += action == "record.create"
        assert list(imports) == [f"uwazi:{template.file}" for template in layout.RECORD_TEMPLATES]
        assert imports["uwazi:acts.csv"]["sha256"] == hashlib.sha256(exported["acts.csv"]).hexdigest()
        assert imports["uwazi:persons.csv"]["created"] == 4
        assert creations >= 4 + 4 + 4 + 1 + 1 + 1 + 2


def test_only_an_active_reviewer_may_import(app: Flask, exported: dict[str, bytes], tmp_path: Path) -> None:
    make_user(app, "case", "case_team")
    folder = write_folder(exported, tmp_path / "f")
    result = app.test_cli_runner().invoke(args=["records", "import", "--uwazi", str(folder), "--as", "case"])
    assert result.exit_code != 0 and "not an active reviewer" in result.output


def test_records_kept_in_uwazi_import_from_the_documented_layout(tmp_path: Path) -> None:
    """Headers as Uwazi labels, choices in Korean or any case, a child before its parent, no sori_id."""
    folder = tmp_path / "uwazi"
    folder.mkdir()
    (folder / "organizations.csv").write_text(
        "Title__ko,Title__en,Organization kind,Parent organization,Province,County\n"
        "온성군 보위부,Onsong County MSS,bureau,North Hamgyong MSS,,north hamgyong :: onsong\n"
        "함경북도 보위국,North Hamgyong MSS,국(局),,North Hamgyong,\n",
        encoding="utf-8",
    )
    (folder / "persons.csv").write_text(
        "Title__ko,Title__en,Hangul names,DPRK romanization,Gender,Birth date,Nationality\n"
        "김철,Kim Chol,김철,Kim Chol,남성,1975-01-01:1975-12-31,North Korea|CN|XX\n",
        encoding="utf-8",
    )
    with second_sori(tmp_path) as second:
        result = import_folder(second, folder)
        assert result.exit_code == 0, result.output
        exported = every_record(second)
    organizations = rows(exported["organizations.csv"])
    assert [row["title__ko"] for row in organizations] == ["함경북도 보위국", "온성군 보위부"]
    assert organizations[1]["parent_organization"] == "North Hamgyong MSS"
    assert organizations[1]["county"] == "North Hamgyong::Onsong"
    (person,) = rows(exported["persons.csv"])
    assert (person["gender"], person["birth_date"]) == ("Male", "1975-01-01:1975-12-31")
    assert person["nationality"] == "North Korea|China|XX"  # a code no list names keeps its letters
    assert re.fullmatch(r"person:\d+@[0-9a-f]{8}", person["sori_id"])  # this Sori's own


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"title\r\n\xff\xfe\r\n", "incidents.csv: The file is not UTF-8 text."),
        (b"title,summary\r\nA,B,C\r\n", "incidents.csv line 2: The row has more cells than the header"),
        (
            b'title,summary\r\nA,"' + b"x" * 200_000 + b'"\r\n',
            "incidents.csv line 2: The file cannot be read as CSV",
        ),
        (b"\r\n", "incidents.csv: The file has no header row."),
    ],
)
def test_a_file_that_is_no_csv_with_a_header_is_refused(tmp_path: Path, content: bytes, said: str) -> None:
    limit = csv.field_size_limit(1_000)  # a cell longer than the csv module's limit is no CSV to it
    try:
        with second_sori(tmp_path) as second:
            result = import_folder(second, write_folder({"incidents.csv": content}, tmp_path / "f"))
    finally:
        csv.field_size_limit(limit)
    assert result.exit_code == 1 and said in result.output, result.output


def test_this_soris_tag_is_made_once_and_kept_whatever_its_transaction_becomes(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        tag = origins.instance_tag(session)
        session.rollback()
        stored = session.scalar(select(Setting.value).where(Setting.name == origins.INSTANCE_SETTING))
        assert stored == tag and re.fullmatch(r"[0-9a-f]{8}", tag)
    with app.app_context():
        assert origins.instance_tag(db.session()) == tag
