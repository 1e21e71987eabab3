"""Facility records over HTTP (reviewer/records/facility_views.py, facilities.py): names in Hangul and
romanized, kind, agency, operating organization, province and county, coordinates; validation; the audit
trail; findability by name; practices with their corroboration; merged facilities; the case team reading."""

from __future__ import annotations

import json
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core import db
from core.models import AuditEntry
from reviewer.records import search
from reviewer.records.models import Act, Facility, FacilityName, Incident, Organization
from tests.records.event_helpers import case_team, created_id, link_sources, merge, refused, submission
from tests.reviewer.helpers import csrf_token

NEW = "/reviewer/records/facilities/new"


def facility_form(**overrides: str) -> dict[str, str]:
    form = {
        "name-0-name": "전거리교화소",
        "name-0-style": "hangul",
        "name-1-name": "Chongori",
        "name-1-style": "dprk",
        "name-2-name": "",
        "name-2-style": "rr",
        "kind": "kyohwaso",
        "agency": "mps",
        "organization_id": "",
        "province": "north-hamgyong",
        "county": "north-hamgyong/hoeryong",
        "latitude": "42.4",
        "longitude": "129.7",
        "description": "Re-education camp near Hoeryong.",
        "exculpatory": "",
    }
    form.update(overrides)
    return form


def create(client: FlaskClient, **overrides: str):
    return client.post(NEW, data={**facility_form(**overrides), "csrf_token": csrf_token(client, NEW)})


def test_a_facility_is_created_with_its_names_and_place_and_audited(app: Flask, kim: FlaskClient) -> None:
    with app.app_context():
        session = db.session()
        operator = Organization(name_ko="사회안전성 교화국", name_en="Corrections bureau", kind="bureau")
        session.add(operator)
        session.commit()
        operator_id = operator.id
    facility_id = created_id(create(kim, organization_id=str(operator_id)))
    with app.app_context():
        session = db.session()
        facility = session.get(Facility, facility_id)
        assert (facility.kind, facility.agency, facility.organization_id) == ("kyohwaso", "mps", operator_id)
        assert (facility.province, facility.county) == ("north-hamgyong", "north-hamgyong/hoeryong")
        assert (facility.latitude, facility.longitude) == (42.4, 129.7)
        names = session.execute(
            select(FacilityName.name, FacilityName.style).where(FacilityName.facility_id == facility_id)
        ).all()
        assert sorted(tuple(n) for n in names) == [("Chongori", "dprk"), ("전거리교화소", "hangul")]
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "record.create")).one()
        assert entry.subject == f"facility:{facility_id}"
        assert {"names", "kind", "latitude"} <= set(json.loads(entry.details)["fields"])
        assert [h.owner_id for h in search.find(session, "Jeongeori", ("facility",))] == [facility_id]
    page = kim.get(f"/reviewer/records/facilities/{facility_id}").get_data(as_text=True)
    assert "전거리교화소" in page and "Re-education camp (kyohwaso)" in page and "Corrections bureau" in page
    assert "Hoeryong, North Hamgyong" in page and "42.40000, 129.70000" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"latitude": "95", "longitude": "129.7"}, "Latitude is between -90 and 90"),
        ({"longitude": "east"}, "Latitude is between -90 and 90"),
        ({"longitude": ""}, "Give both the latitude and the longitude"),
        ({"province": "south-pyongan"}, "not in the province chosen"),
        ({"county": "nowhere/at-all"}, "Choose a city or county from the list"),
        ({"kind": "hotel"}, "Choose one of the options"),
        ({"organization_id": "77"}, "There is no such organization"),
        ({"name-0-name": "", "name-1-name": ""}, "Give at least one name"),
    ],
)
def test_bad_input_is_refused_and_what_was_typed_kept(
    app: Flask, kim: FlaskClient, overrides: dict, message: str
) -> None:
    page = refused(create(kim, **overrides))
    assert message in page
    assert "Re-education camp near Hoeryong." in page
    with app.app_context():
        assert db.session().scalar(select(Facility.id)) is None


def test_editing_a_facility_reindexes_and_audits_the_changed_fields(app: Flask, kim: FlaskClient) -> None:
    facility_id = created_id(create(kim))
    path = f"/reviewer/records/facilities/{facility_id}/edit"
    form = facility_form(**{"name-1-name": "Jongori", "name-1-style": "other", "agency": "mss"})
    assert kim.post(path, data={**form, "csrf_token": csrf_token(kim, path)}).status_code == 303
    with app.app_context():
        session = db.session()
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert (entry.action, json.loads(entry.details)["fields"]) == ("record.update", ["agency", "names"])
        assert [h.owner_id for h in search.find(session, "Jongori", ("facility",))] == [facility_id]


def test_the_facility_page_shows_practices_with_their_corroboration(app: Flask, kim: FlaskClient) -> None:
    facility_id = created_id(create(kim))
    verified = [submission(app, "verified") for _ in range(3)]
    with app.app_context():
        session = db.session()
        incident = Incident(title="Winter 2011 at Chongori")
        session.add(incident)
        session.flush()
        labour = Act(
            incident_id=incident.id,
            violation="forced_labour",
            facility_id=facility_id,
            date_start="2011",
            date_lo=date(2011, 1, 1),
            date_hi=date(2011, 12, 31),
        )
        food = Act(
            incident_id=incident.id,
            violation="food_deprivation",
            facility_id=facility_id,
            date_lo=date(1900, 1, 1),
            date_hi=date(9999, 12, 31),
        )
        session.add_all([labour, food])
        session.flush()
        link_sources(session, "kim", verified, "highly_reliable", act_id=labour.id)
        session.commit()
    page = kim.get(f"/reviewer/records/facilities/{facility_id}").get_data(as_text=True)
    practices = page[page.index('id="practices"') : page.index('id="acts"')]
    assert "Forced labour" in practices and "3 independent sources" in practices
    # A practice recorded without any linked submission yet still shows, with no source.
    assert "Deprivation of food" in practices and "0 independent sources" in practices
    assert "Winter 2011 at Chongori" in page[page.index('id="acts"') :]


def test_a_merged_facility_is_hidden_and_points_to_the_kept_one(app: Flask, kim: FlaskClient) -> None:
    kept = created_id(create(kim))
    merged = created_id(create(kim, **{"name-0-name": "전거리 교화소", "name-1-name": "Jongori"}))
    merge(app, Facility, merged, kept)
    listed = kim.get("/reviewer/records/facilities").get_data(as_text=True)
    assert f'data-facility-id="{kept}"' in listed and f'data-facility-id="{merged}"' not in listed
    page = kim.get(f"/reviewer/records/facilities/{merged}").get_data(as_text=True)
    assert "merged into" in page and f'href="/reviewer/records/facilities/{kept}"' in page


def test_the_case_team_reads_facilities_but_cannot_change_them(app: Flask, kim: FlaskClient) -> None:
    facility_id = created_id(create(kim))
    case = case_team(app)
    assert case.get("/reviewer/records/facilities").status_code == 200
    assert case.get(f"/reviewer/records/facilities/{facility_id}").status_code == 200
    token = csrf_token(case, "/reviewer/")
    path = f"/reviewer/records/facilities/{facility_id}/edit"
    assert case.post(path, data={**facility_form(kind="other"), "csrf_token": token}).status_code == 403
    assert case.post(NEW, data={**facility_form(), "csrf_token": token}).status_code == 403
    with app.app_context():
        assert db.session().get(Facility, facility_id).kind == "kyohwaso"


def test_pages_and_forms_speak_korean_by_default(app: Flask, kim: FlaskClient) -> None:
    facility_id = created_id(create(kim))
    kim.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ko"
    page = kim.get(f"/reviewer/records/facilities/{facility_id}").get_data(as_text=True)
    assert "함경북도 회령시" in page
    for path in ("/reviewer/records/", NEW, f"/reviewer/records/facilities/{facility_id}/edit"):
        assert kim.get(path).status_code == 200
