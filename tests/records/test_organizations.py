"""Organizations, their positions and holders over HTTP (reviewer/records/organization_views.py,
organizations.py, posts.py): the chain of command upward and downward, a parent that would make a loop
refused, province and county checked, posts and their current and past holders, the audit trail, the case
team reading only."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core import db
from core.models import AuditEntry
from reviewer.records import search
from reviewer.records.models import Occupancy, Organization, Person, PersonName, Position
from tests.records.event_helpers import created_id
from tests.records.test_facilities import create as facilities_create
from tests.reviewer.helpers import PASSWORD, csrf_token, log_in, make_user

NEW = "/reviewer/records/organizations/new"


def create(client: FlaskClient, name_ko: str, parent: int | None = None, **fields: str):
    form = {
        "name_ko": name_ko,
        "name_en": "",
        "kind": "bureau",
        "parent_id": str(parent or ""),
        "province": "",
        "county": "",
        "description": "",
        "exculpatory": "",
        **fields,
        "csrf_token": csrf_token(client, NEW),
    }
    return client.post(NEW, data=form)


def edit(client: FlaskClient, organization_id: int, **fields: str):
    path = f"/reviewer/records/organizations/{organization_id}/edit"
    with client.application.app_context():
        current = db.session().get(Organization, organization_id)
        form = {
            "name_ko": current.name_ko,
            "name_en": current.name_en or "",
            "kind": current.kind,
            "parent_id": str(current.parent_id or ""),
            "province": current.province or "",
            "county": current.county or "",
        }
    form.update(fields)
    form["csrf_token"] = csrf_token(client, path)
    return client.post(path, data=form)


@pytest.fixture
def chain(kim: FlaskClient) -> dict[str, int]:
    """Ministry → provincial bureau → county bureau → unit."""
    ministry = created_id(create(kim, "국가보위성", name_en="Ministry of State Security", kind="ministry"))
    province = created_id(create(kim, "함경북도 보위국", ministry, province="north-hamgyong"))
    county = created_id(create(kim, "회령시 보위부", province, county="north-hamgyong/hoeryong"))
    unit = created_id(create(kim, "예심과", county, kind="unit"))
    return {"ministry": ministry, "province": province, "county": county, "unit": unit}


def test_an_organization_page_shows_its_chain_upward_and_its_children(
    app: Flask, kim: FlaskClient, chain: dict[str, int]
) -> None:
    page = kim.get(f"/reviewer/records/organizations/{chain['unit']}").get_data(as_text=True)
    upward = page[page.index('id="chain-upward"') : page.index('id="children"')]
    # Nearest first, up to the ministry.
    assert (
        upward.index("회령시 보위부")
        < upward.index("함경북도 보위국")
        < upward.index("Ministry of State Security")
    )
    county = kim.get(f"/reviewer/records/organizations/{chain['county']}").get_data(as_text=True)
    children = county[county.index('id="children"') : county.index('id="positions"')]
    assert "예심과" in children
    assert "Hoeryong, North Hamgyong" in county


def test_a_parent_that_would_make_a_loop_is_refused(
    app: Flask, kim: FlaskClient, chain: dict[str, int]
) -> None:
    # Under an organization below it, or under itself.
    for parent in (chain["unit"], chain["ministry"]):
        response = edit(kim, chain["ministry"], parent_id=str(parent))
        assert response.status_code == 400
        assert "cannot be placed under itself or under an organization below it" in response.get_data(
            as_text=True
        )
    with app.app_context():
        assert db.session().get(Organization, chain["ministry"]).parent_id is None
    # Moving a unit under another branch is fine.
    assert edit(kim, chain["unit"], parent_id=str(chain["province"])).status_code == 303


def test_a_parent_that_does_not_exist_is_refused(kim: FlaskClient) -> None:
    response = create(kim, "어떤 기관", parent_id="999")
    assert response.status_code == 400
    assert "There is no such organization" in response.get_data(as_text=True)


def test_a_county_must_be_in_the_province_chosen(app: Flask, kim: FlaskClient) -> None:
    response = create(kim, "온성군 보위부", province="south-pyongan", county="north-hamgyong/onsong")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "not in the province chosen" in page and 'value="온성군 보위부"' in page
    assert create(kim, "없는 군", county="north-hamgyong/nowhere").status_code == 400
    # A county alone gives its province.
    organization_id = created_id(create(kim, "온성군 보위부", county="north-hamgyong/onsong"))
    with app.app_context():
        assert db.session().get(Organization, organization_id).province == "north-hamgyong"


def test_a_name_is_required(kim: FlaskClient) -> None:
    response = create(kim, "  ")
    assert response.status_code == 400 and "This field is required" in response.get_data(as_text=True)


def test_organizations_are_audited_and_found_by_name(
    app: Flask, kim: FlaskClient, chain: dict[str, int]
) -> None:
    assert edit(kim, chain["county"], name_en="Hoeryong city MSS bureau").status_code == 303
    with app.app_context():
        session = db.session()
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action.startswith("record."))).all()
        assert [(e.action, e.subject) for e in entries][-1] == (
            "record.update",
            f"organization:{chain['county']}",
        )
        assert json.loads(entries[-1].details)["fields"] == ["name_en"]
        assert [h.owner_id for h in search.find(session, "Hoeryong city", ("organization",))] == [
            chain["county"]
        ]
    listed = kim.get("/reviewer/records/organizations?q=회령시").get_data(as_text=True)
    assert f'data-organization-id="{chain["county"]}"' in listed
    assert f'data-organization-id="{chain["ministry"]}"' not in listed


def test_posts_are_added_and_edited_from_the_organization_page(
    app: Flask, kim: FlaskClient, chain: dict[str, int]
) -> None:
    page = f"/reviewer/records/organizations/{chain['county']}"
    add = f"/reviewer/records/organizations/{chain['county']}/positions/new"
    refused = kim.post(add, data={"title_ko": "", "title_en": "Chief", "csrf_token": csrf_token(kim, page)})
    assert refused.status_code == 400 and 'value="Chief"' in refused.get_data(as_text=True)
    response = kim.post(
        add,
        data={"title_ko": "부장", "title_en": "Chief", "is_head": "yes", "csrf_token": csrf_token(kim, page)},
    )
    assert response.status_code == 303
    with app.app_context():
        position = db.session().scalar(select(Position))
        assert (position.title_ko, position.is_head, position.organization_id) == (
            "부장",
            True,
            chain["county"],
        )
    path = f"/reviewer/records/positions/{position.id}/edit"
    response = kim.post(
        path, data={"title_ko": "부장", "title_en": "Bureau chief", "csrf_token": csrf_token(kim, path)}
    )
    assert response.status_code == 303
    with app.app_context():
        position = db.session().get(Position, position.id)
        # The box was not ticked this time.
        assert (position.title_en, position.is_head) == ("Bureau chief", False)
    shown = kim.get(page).get_data(as_text=True)
    assert "Bureau chief" in shown


def test_the_organization_page_lists_current_and_past_holders(
    app: Flask, kim: FlaskClient, chain: dict[str, int]
) -> None:
    from reviewer.records import dates

    with app.app_context():
        session = db.session()
        position = Position(organization_id=chain["county"], title_ko="부장", is_head=True)
        session.add(position)
        people = []
        for name in ("박성일", "최명수"):
            person = Person()
            session.add(person)
            session.flush()
            session.add(PersonName(person_id=person.id, name=name, style="hangul"))
            people.append(person.id)
        session.flush()
        position_id = position.id
        session.commit()
    holder = f"/reviewer/records/positions/{position_id}/holders/new"
    for person_id, start, end in ((people[0], "2008", "2013-05"), (people[1], "2013-06", "")):
        response = kim.post(
            holder,
            data={
                "person_id": str(person_id),
                "start": start,
                "end": end,
                "csrf_token": csrf_token(kim, holder),
            },
        )
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/organizations/{chain['county']}")
    refused = kim.post(
        holder, data={"person_id": "999", "start": "2001", "csrf_token": csrf_token(kim, holder)}
    )
    assert refused.status_code == 400 and "There is no such person" in refused.get_data(as_text=True)
    with app.app_context():
        ends = db.session().scalars(select(Occupancy.end_hi).order_by(Occupancy.id)).all()
        assert ends[1] == dates.LATEST
    page = kim.get(f"/reviewer/records/organizations/{chain['county']}").get_data(as_text=True)
    current = page[page.index("holders-current") : page.index("holders-past")]
    past = page[page.index("holders-past") :]
    assert "최명수" in current and "박성일" not in current
    assert "박성일" in past


def test_the_case_team_reads_organizations_but_cannot_change_them(
    app: Flask, kim: FlaskClient, chain: dict[str, int]
) -> None:
    _, secret = make_user(app, "case", "case_team")
    case = app.test_client()
    log_in(case, "case", PASSWORD, secret)
    assert case.get("/reviewer/records/organizations").status_code == 200
    assert case.get(f"/reviewer/records/organizations/{chain['county']}").status_code == 200
    token = csrf_token(case, "/reviewer/")
    assert case.post(NEW, data={"name_ko": "x", "csrf_token": token}).status_code == 403
    path = f"/reviewer/records/organizations/{chain['county']}/positions/new"
    assert case.post(path, data={"title_ko": "x", "csrf_token": token}).status_code == 403
    with app.app_context():
        assert db.session().scalar(select(Position.id)) is None


def test_an_organization_without_a_description_maps_the_places_it_runs(
    kim: FlaskClient, chain: dict[str, int]
) -> None:
    created_id(facilities_create(kim, organization_id=str(chain["county"])))
    page = kim.get(f"/reviewer/records/organizations/{chain['province']}").get_data(as_text=True)
    assert 'id="facilities-run"' in page
    drawn = page[page.index('id="facilities-run"') :]
    assert "<svg" in drawn and "전거리교화소" in drawn
