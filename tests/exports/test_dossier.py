"""A dossier holds only what consent allows: acts, evidence and documents from sources whose consent covers
the purpose; the rest is counted, never named (reviewer/exports/dossier.py)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import update

from core import db
from reviewer.exports import dossier
from reviewer.records import dates
from reviewer.records.models import Occupancy


def _build(app: Flask, kind: str, target_id: int, purpose: str) -> dossier.Dossier:
    with app.app_context():
        return dossier.build(db.session(), kind, target_id, purpose, actor_login="kim")


def test_a_sanctions_dossier_keeps_only_acts_and_sources_with_sanctions_consent(app, records):
    built = _build(app, "person", records.person_id, "sanctions")
    assert [c.act_id for c in built.conduct] == [records.act_ids["torture"]]
    torture = built.conduct[0]
    assert torture.degrees == ("ordered",) and torture.corroboration == 2
    assert ("최민수", "carried_out") in torture.perpetrators
    assert {use.source_ref for use in built.evidence} == {"W-0001", "W-0002"}
    # W-0003 (no sanctions consent), W-0004 (withdrew) and the submission with no consent recorded.
    assert (built.sources_included, built.sources_excluded) == (2, 3)
    # The duplicate counts as its original: its own envelope is not relied on.
    assert sorted(d.sha256 for d in built.documents) == sorted(
        [records.digests["W-0001"][0], records.digests["W-0002"][0]]
    )
    assert {d.source_ref for d in built.documents} == {"W-0001", "W-0002"}


def test_a_public_dossier_uses_the_public_consent_instead(app, records):
    built = _build(app, "person", records.person_id, "public")
    listed = {c.act_id for c in built.conduct}
    # W-0003's incident-level account supports every act of the incident; W-0004's own act stays listed
    # only through it.
    assert listed == set(records.act_ids.values())
    assert {use.source_ref for use in built.evidence} == {"W-0001", "W-0003"}
    assert built.sources_excluded == 3  # W-0002, W-0004, the unattributed one


def test_the_target_is_identified_by_every_name_form_birth_date_and_identifier(app, records):
    target = _build(app, "person", records.person_id, "internal").target
    assert target.caption == "리창대"
    assert [n.name for n in target.names] == ["리창대", "Ri Chang Dae", "Lee Chang-dae", "Ri Chang-de"]
    assert target.birth_date == "1961-04" and target.nationality == ("kp",)
    assert [(i.kind, i.value) for i in target.identifiers] == [("passport", "745123456")]
    assert [(p.title_en, p.start, p.end, p.is_head) for p in target.posts] == [
        ("Department Chief", "2015-03", "2020", True)
    ]


def test_the_chain_of_command_runs_to_the_minister_and_down_to_the_guard(app, records):
    built = _build(app, "person", records.person_id, "sanctions")
    assert [o.name_ko for o in built.chain_up] == ["회령시 보위부", "함경북도 보위국", "국가보위성"]
    assert {p.person_name for p in built.superiors} == {"김정호", "박성철"}
    assert [p.person_name for p in built.subordinates] == ["최민수"]
    assert built.exculpatory == ("Reported to have released two detainees early in 2018.",)


def test_a_minister_answers_for_the_acts_of_persons_under_his_command(app, records):
    built = _build(app, "person", records.minister_id, "sanctions")
    assert [c.act_id for c in built.conduct] == [records.act_ids["torture"]]
    torture = built.conduct[0]
    # Not involved himself: the act is his through the guard and the chief below him in those years.
    assert torture.under_command and torture.degrees == ()
    assert {name for name, _ in torture.perpetrators} >= {"최민수", "리창대"}
    assert "eu_torture" in built.legal_basis["eu"]


def test_a_person_in_command_answers_only_for_acts_while_they_held_the_post(app, records):
    with app.app_context():
        session = db.session()
        session.execute(
            update(Occupancy)
            .where(Occupancy.person_id == records.minister_id)
            .values(end="2016", end_hi=dates.latest("2016"))
        )
        session.commit()
    # Only the 2016 detention falls in his time; torture (2017), labour (2018) and the death (2019) do not.
    built = _build(app, "person", records.minister_id, "public")
    assert [c.act_id for c in built.conduct] == [records.act_ids["detention"]]


def test_the_legal_basis_follows_the_violation_types(app, records):
    built = _build(app, "person", records.person_id, "public")
    assert "eu_torture" in built.legal_basis["eu"] and "eu_slavery" in built.legal_basis["eu"]
    assert "uk_life" in built.legal_basis["uk"]
    assert "us_serious_abuse" in built.legal_basis["us"]
    only_torture = _build(app, "person", records.person_id, "sanctions").legal_basis
    assert "eu_slavery" not in only_torture["eu"]


def test_an_organization_answers_for_acts_of_persons_in_posts_below_it_and_at_its_facilities(app, records):
    built = _build(app, "organization", records.ministry_id, "sanctions")
    assert [c.act_id for c in built.conduct] == [records.act_ids["torture"]]
    assert built.chain_up == ()
    assert {p.person_name for p in built.superiors} == {"김정호"}
    assert {p.person_name for p in built.subordinates} >= {"리창대", "최민수", "박성철"}
    county = _build(app, "organization", records.county_bureau_id, "sanctions")
    assert [o.name_ko for o in county.chain_up] == ["함경북도 보위국", "국가보위성"]


def test_a_facility_dossier_lists_the_acts_recorded_there(app, records):
    built = _build(app, "facility", records.facility_id, "public")
    assert {c.act_id for c in built.conduct} == set(records.act_ids.values())
    assert built.target.caption == "회령 구류장" and built.target.facility_kind == "kuryujang"
    assert built.chain_up[0].name_ko == "구류장 경비대"


def test_unknown_targets_and_purposes_are_refused(app, records):
    with pytest.raises(dossier.DossierError) as error:
        _build(app, "person", 999_999, "sanctions")
    assert error.value.code == "not_found"
    with pytest.raises(dossier.DossierError) as error:
        _build(app, "person", records.person_id, "gossip")
    assert error.value.code == "unknown_purpose"
