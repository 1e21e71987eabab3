"""Finding persons, facilities and organizations whatever the spelling, through the search page."""

from __future__ import annotations

import pytest
from flask import Flask

from core import db
from reviewer.records import name_index
from reviewer.records.models import Facility, FacilityName, Organization, Person, PersonName
from tests.records.event_helpers import RECORDS, case_team


@pytest.fixture
def records(app: Flask) -> dict[str, int]:
    with app.app_context():
        session = db.session()
        person = Person()
        other = Person()
        session.add_all([person, other])
        session.flush()
        session.add(PersonName(person_id=person.id, name="리창대", style="hangul"))
        session.add(PersonName(person_id=person.id, name="Ri Chang Dae", style="dprk"))
        session.add(PersonName(person_id=other.id, name="김정남", style="hangul"))
        name_index.reindex(session, "person", person.id, ["리창대", "Ri Chang Dae"])
        name_index.reindex(session, "person", other.id, ["김정남"])
        facility = Facility(kind="kwanliso", agency="mss")
        session.add(facility)
        session.flush()
        session.add(FacilityName(facility_id=facility.id, name="요덕 제15호 관리소", style="hangul"))
        name_index.reindex(session, "facility", facility.id, ["요덕 제15호 관리소"])
        organization = Organization(name_ko="국가보위성", name_en="Ministry of State Security")
        session.add(organization)
        session.flush()
        name_index.reindex(session, "organization", organization.id, ["국가보위성", "Kukka Bowisong"])
        session.commit()
        return {
            "person": person.id,
            "other": other.id,
            "facility": facility.id,
            "organization": organization.id,
        }


@pytest.mark.parametrize(
    "query", ["Ri Chang Dae", "Lee Chang-dae", "리창대", "LEE CHANGDAE", "Yi Ch'ang-dae"]
)
def test_a_person_is_found_by_every_spelling_of_the_name(
    app: Flask, records: dict[str, int], query: str
) -> None:
    page = case_team(app).get(f"{RECORDS}/search", query_string={"q": query}).get_data(as_text=True)
    assert f'href="{RECORDS}/persons/{records["person"]}"' in page
    assert "리창대" in page and "Ri Chang Dae" in page  # every name form shown
    assert f'{RECORDS}/persons/{records["other"]}"' not in page


def test_facilities_and_organizations_are_found_in_both_scripts(app: Flask, records: dict[str, int]) -> None:
    client = case_team(app)
    for query in ("Yodok", "요덕"):
        page = client.get(f"{RECORDS}/search", query_string={"q": query}).get_data(as_text=True)
        assert f'href="{RECORDS}/facilities/{records["facility"]}"' in page
    page = client.get(f"{RECORDS}/search", query_string={"q": "Kukka Bowiseong"}).get_data(as_text=True)
    assert f'href="{RECORDS}/organizations/{records["organization"]}"' in page


def test_a_query_that_matches_nothing_says_so_and_markup_is_escaped(
    app: Flask, records: dict[str, int]
) -> None:
    page = case_team(app).get(f"{RECORDS}/search", query_string={"q": "<b>Nobody</b>"}).get_data(as_text=True)
    assert 'id="no-results"' in page
    assert "<b>Nobody</b>" not in page and "&lt;b&gt;Nobody&lt;/b&gt;" in page
