"""The Uwazi CSV export imports as intended. Each test states a rule of Uwazi's CSV import (huridocs/uwazi,
app/api/csv: csvLoader, typeParsers, the relationship and geolocation parsers, arrangeThesauri,
validateColumns, importThesauri) as a fact about the files, and checks it on dossiers of a person, an
organization and a facility and on every demo record."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable

import nacl.signing
import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from core import db
from reviewer.exports import bundle, csv_export, dossier
from reviewer.models import User
from reviewer.records import involvements
from reviewer.records.models import Act, Organization
from reviewer.records.persons import NameInput, PersonInput, save_person
from reviewer.records.uwazi import description, layout, thesauri
from reviewer.records.uwazi.sheets import normal_name
from reviewer.records.uwazi.writer import disambiguated
from tests.exports.fixtures import build_records
from tests.exports.test_formats import _has_pdf
from tests.records.uwazi import every_record, rows, sori_in
from tests.reviewer.helpers import cheap_hashing

#: Uwazi parses a date against the instance's format and a few fixed ones; only a full ISO day reads the
#: same under every format, and a daterange is ``from:to``.
DAY = r"\d{4}-\d{2}-\d{2}"
DATE_CELL = re.compile(rf"{DAY}(:{DAY})?")
#: What a spreadsheet runs as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _dossier(kind: str) -> Callable[[Flask], dict[str, bytes]]:
    def export(app: Flask) -> dict[str, bytes]:
        with app.app_context():
            made = build_records(db.session())
            db.session().commit()
            target = {
                "person": made.person_id,
                "organization": made.ministry_id,
                "facility": made.facility_id,
            }
            built = dossier.build(db.session(), kind, target[kind], "sanctions", actor_login="kim")
            return bundle.make(built, ("csv",), (), nacl.signing.SigningKey.generate()).files

    return export


def _demo(app: Flask) -> dict[str, bytes]:
    cheap_hashing(app)
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        files = every_record(app)
        countries = {"kp"}
        return {
            **files,
            **{thesauri.file_name(key): thesauri.thesaurus_file(key, countries) for key in thesauri.NAMES},
        }


EXPORTS = {
    "person dossier": _dossier("person"),
    "organization dossier": _dossier("organization"),
    "facility dossier": _dossier("facility"),
    "demo records": _demo,
}


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """Each export once per module, each in a Sori of its own."""
    made = {}
    for name, export in EXPORTS.items():
        with sori_in(tmp_path_factory.mktemp(name.replace(" ", "-"))) as app:
            made[name] = export(app)
    return made


@pytest.fixture(params=sorted(EXPORTS))
def files(request: pytest.FixtureRequest, exports: dict[str, dict[str, bytes]]) -> dict[str, bytes]:
    return exports[request.param]


def _tables(files: dict[str, bytes]) -> dict[str, list[dict[str, str]]]:
    return {
        template.file: rows(files[template.file]) for template in layout.TEMPLATES if template.file in files
    }


def _columns(kind: str) -> list[tuple[layout.Template, layout.Column]]:
    return [(t, c) for t in layout.TEMPLATES for c in t.columns if c.type == kind]


def test_every_date_cell_is_a_full_iso_day_or_a_range_of_them(files: dict[str, bytes]) -> None:
    tables = _tables(files)
    for template, column in _columns("daterange") + _columns("multidate"):
        for row in tables.get(template.file, []):
            values = row[column.name].split("|") if column.type == "multidate" else [row[column.name]]
            for value in filter(None, values):
                assert DATE_CELL.fullmatch(value), (template.file, column.name, value)
                first, _colon, last = value.partition(":")
                assert not last or first <= last, value
                assert column.type == "daterange" or not last, value


def test_every_link_names_exactly_one_row_of_its_target_file(files: dict[str, bytes]) -> None:
    tables = _tables(files)
    for template, column in _columns("relationship"):
        target = layout.BY_FILE[column.target or ""]
        titles = [title for row in tables[target.file] for title in {row[h] for h in target.title_headers}]
        for row in tables.get(template.file, []):
            for title in filter(None, row[column.name].split("|")):  # as Uwazi splits a link cell
                assert titles.count(title) == 1, (template.file, column.name, title)


def test_headers_are_uwazi_property_names(files: dict[str, bytes]) -> None:
    for template in (template for template in layout.TEMPLATES if template.file in files):
        header = files[template.file].decode("utf-8").split("\r\n", 1)[0].split(",")
        assert header == list(template.header)
        assert all(normal_name(name) == name for name in header), header
        assert "id" not in header  # to Uwazi, an ``id`` column means "update the entity with this id"
        bases = {name.rsplit("__", 1)[0] for name in header if name.endswith(("__ko", "__en"))}
        assert not bases & set(header)  # a property is given with languages or without, never both
    for _template, column in _columns("geolocation"):
        assert column.name.endswith("_geolocation")
    assert "coordinates_geolocation" in layout.FACILITIES.header


def test_coordinates_are_latitude_then_longitude(files: dict[str, bytes]) -> None:
    for row in _tables(files)["facilities.csv"]:
        if row["coordinates_geolocation"]:
            latitude, longitude = (float(part) for part in row["coordinates_geolocation"].split("|"))
            assert 37 < latitude < 43.1 and 124 < longitude < 131  # North Korea


def test_choices_hold_one_value_of_their_thesaurus_file(files: dict[str, bytes]) -> None:
    tables = _tables(files)
    for template, column in _columns("select") + _columns("multiselect"):
        listed = _thesaurus_values(files[thesauri.file_name(column.thesaurus or "")])
        for row in tables.get(template.file, []):
            cell = row[column.name]
            if column.type == "select":
                assert "|" not in cell, (template.file, column.name, cell)
            for value in filter(None, cell.split("|") if column.type == "multiselect" else [cell]):
                assert value in listed, (template.file, column.name, value)


def _thesaurus_values(content: bytes) -> set[str]:
    """The values of a thesaurus file as Uwazi's import reads them: a child, ``-`` after any spaces, under
    the value above it, named ``parent::child`` in a cell."""
    values: set[str] = set()
    parent = ""
    for row in rows(content):
        english = row["English"]
        assert row["Korean"] and english.lstrip().startswith("-") == row["Korean"].lstrip().startswith("-")
        if english.lstrip().startswith("-"):
            values.add(f"{parent}::{english.lstrip()[1:]}")
        else:
            parent = english
            values.add(english)
    return values


def test_no_cell_of_any_file_starts_a_spreadsheet_formula(files: dict[str, bytes]) -> None:
    for name, content in files.items():
        if name.endswith(".csv"):
            for row in rows(content):
                for cell in row.values():
                    assert not cell.startswith(FORMULA_STARTS), (name, cell)


def test_titles_are_unique_in_their_file_in_every_language(files: dict[str, bytes]) -> None:
    for name, table in _tables(files).items():
        template = layout.BY_FILE[name]
        titles = [title for row in table for title in {row[h] for h in template.title_headers}]
        assert len(titles) == len(set(titles)) and all(titles), name
        if template.title.translated:
            assert all(row["title__en"] for row in table)  # links name the English title


def test_records_sharing_a_name_get_titles_with_their_sori_id(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        made = build_records(session)
        recorder = session.scalars(select(User)).first()
        twin = save_person(session, recorder, PersonInput(names=[NameInput("최민수", "hangul")]))
        torture = session.get(Act, made.act_ids["torture"])
        involvements.add_involvement(session, recorder, torture, twin.id, degree="present", confidence="low")
        session.commit()
        built = dossier.build(session, "facility", made.facility_id, "sanctions", actor_login="kim")
        exported = csv_export.render(built)
    named = [row for row in rows(exported["persons.csv"]) if row["hangul_names"] == "최민수"]
    assert len(named) == 2
    assert {row["title__ko"] for row in named} == {f"최민수 ({row['sori_id']})" for row in named}
    involved = {row["person"] for row in rows(exported["involvements.csv"])}
    assert {row["title__en"] for row in named} <= involved


def test_a_title_that_could_start_a_formula_or_split_a_link_is_still_linked_exactly(app: Flask) -> None:
    with app.app_context():
        made = build_records(db.session())
        db.session().get(Organization, made.ministry_id).name_en = '=HYPERLINK("http://example.org")'
        db.session().get(Organization, made.province_bureau_id).name_en = "North Hamgyong | Bureau"
        db.session().commit()
        built = dossier.build(
            db.session(), "organization", made.province_bureau_id, "sanctions", actor_login="k"
        )
        exported = csv_export.render(built)
    organizations = {row["sori_id"]: row for row in rows(exported["organizations.csv"])}
    ministry = next(row for row in organizations.values() if row["title__ko"] == "국가보위성")
    assert ministry["title__en"] == '\'=HYPERLINK("http://example.org")'
    province = next(row for row in organizations.values() if row["title__ko"] == "함경북도 보위국")
    assert province["parent_organization"] == ministry["title__en"]
    # Uwazi splits a link cell at every "|": a title never holds one.
    assert province["title__en"] == "North Hamgyong / Bureau"
    county = next(
        row for row in organizations.values() if row["parent_organization"] == "North Hamgyong / Bureau"
    )
    assert county["title__ko"] == "회령시 보위부"


def test_disambiguation_is_by_row_not_by_order() -> None:
    titles = [
        ("김철수", "Kim Chol Su"),
        ("김철수", "Kim Chol Su"),
        ("박영호", "김철수"),
        ("리명", "Ri Myong"),
    ]
    found = disambiguated(["a", "b", "c", "d"], titles)
    assert found[:3] == [
        ("김철수 (a)", "Kim Chol Su (a)"),
        ("김철수 (b)", "Kim Chol Su (b)"),
        ("박영호 (c)", "김철수 (c)"),
    ]
    assert found[3] == ("리명", "Ri Myong")
    assert disambiguated(["d", "c", "b", "a"], titles[::-1]) == found[::-1]


def test_the_english_label_of_each_column_names_it_in_uwazi(app: Flask) -> None:
    """Uwazi names a property after its label: lower case, every other character but a-z and 0-9 made
    ``_`` (and ``_geolocation`` after a geolocation's), so typing the label gives the column's name."""
    with app.app_context(), force_locale("en"):
        for template in layout.TEMPLATES:
            for column in template.columns[1:]:
                suffix = "_geolocation" if column.type == "geolocation" else ""
                assert normal_name(str(column.label)) + suffix == column.name, column.label


def test_the_description_names_every_template_column_thesaurus_and_relationship_type(app: Flask) -> None:
    with app.app_context():
        described = json.loads(description.templates_json())
        readme = description.readme().decode("utf-8")
    assert described["import_order"] == [template.file for template in layout.TEMPLATES]
    for template, entry in zip(layout.TEMPLATES, described["templates"], strict=True):
        assert [h for p in entry["properties"] for h in p["columns"]] == list(template.header)
        for column, prop in zip(template.columns, entry["properties"], strict=True):
            assert prop["type"] == column.type and prop["label"]["ko"]
            assert (column.thesaurus is None) == ("thesaurus_file" not in prop)
            assert (column.target is None) == ("relationship_type" not in prop)
    files = {entry["file"] for entry in described["thesauri"]}
    assert files == {thesauri.file_name(key) for key in thesauri.NAMES}
    assert all(name in readme for name in files)
    assert {t["en"] for t in described["relationship_types"]} >= {"Is under", "Part of incident", "Supports"}


def test_an_export_has_every_thesaurus_file_in_uwazis_format(app: Flask) -> None:
    exported = _dossier("person")(app)
    assert set(csv_export.FILES) <= set(exported)
    for key in thesauri.NAMES:
        content = exported[thesauri.file_name(key)].decode("utf-8")
        assert content.startswith("English,Korean\r\n"), key
    counties = rows(exported[thesauri.file_name("counties")])
    assert counties[0]["English"] == "Pyongyang" and counties[1]["English"].startswith(" -")
    assert {"North Korea"} == {row["English"] for row in rows(exported[thesauri.file_name("countries")])}


@pytest.mark.skipif(not _has_pdf(), reason="reviewer/exports/pdf.py or pdftotext is not available")
def test_with_the_pdf_a_zip_attaches_the_dossier_to_the_targets_entity(app: Flask) -> None:
    """Uwazi's import of a ZIP reads ``import.csv`` and attaches the files an ``attachments`` cell names."""
    with app.app_context():
        made = build_records(db.session())
        db.session().commit()
        built = dossier.build(db.session(), "facility", made.facility_id, "sanctions", actor_login="kim")
        files = bundle.make(built, ("pdf", "csv"), ("en",), nacl.signing.SigningKey.generate()).files
    with zipfile.ZipFile(io.BytesIO(files["uwazi-facilities.zip"])) as archive:
        assert archive.namelist() == ["import.csv", "dossier-en.pdf"]
        assert archive.read("dossier-en.pdf") == files["dossier-en.pdf"]
        (row,) = rows(archive.read("import.csv"))
    assert row["attachments"] == "dossier-en.pdf" and row["sori_id"] == built.target_sori_id
    assert {name: value for name, value in row.items() if name != "attachments"} == rows(
        files["facilities.csv"]
    )[0]
