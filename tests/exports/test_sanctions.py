"""Sanctions lists imported offline flag records that may already be sanctioned, by any name form (Hangul
included) and a birth date that does not contradict, for a reviewer to confirm (reviewer/exports/sanctions.py,
`sori sanctions import`, templates/reviewer/exports/_sanction_matches.html)."""

from __future__ import annotations

import json

from flask import render_template

from core import db
from reviewer.exports import dossier, sanctions


def _entity(ftm_id: str, schema: str, **properties: list[str]) -> dict:
    return {"id": ftm_id, "schema": schema, "properties": properties, "datasets": ["test_sanctions"]}


def _sanction(ftm_id: str, entity: str, authority: str, program: str) -> dict:
    return _entity(ftm_id, "Sanction", entity=[entity], authority=[authority], program=[program])


def _write(tmp_path, *entities: dict):
    path = tmp_path / "sanctions.ftm.json"
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entities), encoding="utf-8")
    return path


def test_a_romanized_listing_with_the_same_birth_year_flags_the_person(app, runner, records, tmp_path):
    path = _write(
        tmp_path,
        _entity("eu-1", "Person", name=["LEE Chang-dae"], birthDate=["1961"]),
        _sanction("eu-1-s", "eu-1", "Council of the European Union", "EU Global Human Rights Sanctions"),
        _entity("eu-2", "Person", name=["Pak Something"]),  # no sanction: skipped
    )
    result = runner.invoke(args=["sanctions", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output and "1 entities skipped" in result.output
    with app.app_context():
        matches = sanctions.matches_for(db.session(), "person", records.person_id)
        assert [(m.caption, m.matched_name, m.authorities) for m in matches] == [
            ("LEE Chang-dae", "LEE Chang-dae", ("Council of the European Union",))
        ]
        assert sanctions.matches_for(db.session(), "person", records.guard_id) == []
        built = dossier.build(db.session(), "person", records.person_id, "sanctions", actor_login="kim")
        assert built.existing_sanctions == tuple(matches)


def test_a_hangul_listing_flags_the_person_and_an_organization_by_its_korean_name(app, records, tmp_path):
    path = _write(
        tmp_path,
        {**_entity("uk-1", "Person", name=["리창대"]), "properties": {"name": ["리창대"], "sanctions": [
            _entity("uk-1-s", "Sanction", authority=["UK FCDO"], program=["Global Human Rights"])
        ]}},
        _entity("us-1", "PublicBody", name=["국가보위성", "Ministry of State Security"]),
        _sanction("us-1-s", "us-1", "OFAC", "SDGT"),
    )  # fmt: skip
    with app.app_context():
        counts = sanctions.import_file(db.session(), path)
        db.session().commit()
        assert (counts.added, counts.sanctions) == (2, 2)
        person = sanctions.matches_for(db.session(), "person", records.person_id)
        assert [m.programs for m in person] == [("Global Human Rights",)]
        ministry = sanctions.matches_for(db.session(), "organization", records.ministry_id)
        assert [m.authorities for m in ministry] == [("OFAC",)]
        # Importing again replaces rather than duplicates.
        again = sanctions.import_file(db.session(), path)
        assert (again.added, again.replaced) == (0, 2)


def test_a_contradicting_birth_year_rules_a_match_out(app, records, tmp_path):
    path = _write(
        tmp_path,
        _entity("x-1", "Person", name=["Ri Chang Dae"], birthDate=["1975-02-01"]),
        _sanction("x-1-s", "x-1", "Somewhere", "Program"),
    )
    with app.app_context():
        sanctions.import_file(db.session(), path)
        assert sanctions.matches_for(db.session(), "person", records.person_id) == []


def test_a_file_that_is_not_json_lines_is_refused_with_its_line(runner, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"id": "a", "schema": "Person", "properties": {}}\nnot json\n')
    result = runner.invoke(args=["sanctions", "import", str(path)])
    assert result.exit_code == 1 and "line 2" in result.output


def test_the_partial_says_a_reviewer_must_confirm(app):
    match = sanctions.SanctionMatch(
        "LEE Chang-dae", "eu", ("Council of the EU",), ("GHRSR",), "LEE Chang-dae"
    )
    with app.test_request_context(headers={"Accept-Language": "en"}):
        html = render_template("reviewer/exports/_sanction_matches.html", sanction_matches=[match])
        assert "Possibly already sanctioned by Council of the EU (GHRSR) as LEE Chang-dae" in html
        assert "a reviewer must confirm" in html
        assert render_template("reviewer/exports/_sanction_matches.html", sanction_matches=[]).strip() == ""
