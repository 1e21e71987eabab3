"""The chain of command (reviewer/records/chain.py, chain_scope.py and their pages): a ministry, a provincial
bureau, a county bureau and a detention centre's guard unit, with two ministers in succession and posts that
are heads or not.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from core import db
from reviewer.records import chain, chain_scope, dates
from reviewer.records.models import (
    Act,
    Facility,
    Incident,
    Information,
    Involvement,
    Organization,
    Position,
)
from reviewer.records.tree import OrganizationTree
from tests.records.builders import hold, person
from tests.records.event_helpers import RECORDS, case_team, submission
from tests.reviewer.helpers import make_user


@dataclass
class World:
    ministry: int
    province: int
    county: int
    unit: int
    facility: int
    persons: dict[str, int]
    acts: dict[str, int]


def _act(session, incident_id: int, person_id: int, when: str | None, facility_id: int | None = None) -> int:
    lo, hi = dates.span(when, None)
    act = Act(
        incident_id=incident_id,
        violation="torture",
        date_start=when,
        date_lo=lo,
        date_hi=hi,
        facility_id=facility_id,
    )
    session.add(act)
    session.flush()
    session.add(Involvement(act_id=act.id, person_id=person_id, degree="carried_out", confidence="high"))
    return act.id


@pytest.fixture
def world(app: Flask) -> World:
    with app.app_context():
        session = db.session()
        ministry = Organization(name_ko="국가보위성", name_en="Ministry of State Security", kind="ministry")
        session.add(ministry)
        session.flush()
        province = Organization(
            name_ko="함경북도 보위국", name_en="North Hamgyong MSS", parent_id=ministry.id
        )
        session.add(province)
        session.flush()
        county = Organization(name_ko="회령시 보위부", name_en="Hoeryong MSS", parent_id=province.id)
        session.add(county)
        session.flush()
        unit = Organization(
            name_ko="회령 구류장 경비대", name_en="Hoeryong guard unit", kind="unit", parent_id=county.id
        )
        session.add(unit)
        session.flush()
        facility = Facility(kind="kuryujang", agency="mss", organization_id=unit.id)
        session.add(facility)
        posts = {}
        for key, organization, title, head in [
            ("minister", ministry, "보위상", True),
            ("provincial chief", province, "국장", True),
            ("county chief", county, "부장", True),
            ("county deputy", county, "부부장", False),
            ("unit head", unit, "대장", True),
            ("guard", unit, "경비원", False),
        ]:
            position = Position(organization_id=organization.id, title_ko=title, is_head=head)
            session.add(position)
            session.flush()
            posts[key] = position.id
        persons = {
            name: person(session, (hangul, "hangul"))
            for name, hangul in [
                ("minister 1", "김원홍"),
                ("minister 2", "정경택"),
                ("provincial chief", "리창대"),
                ("county chief", "박명철"),
                ("county deputy", "최영남"),
                ("unit head", "강철수"),
                ("guard", "조일성"),
            ]
        }
        hold(session, persons["minister 1"], posts["minister"], "2012", "2017-06")
        hold(session, persons["minister 2"], posts["minister"], "2017-07", None)
        hold(session, persons["provincial chief"], posts["provincial chief"], "2010", None)
        hold(session, persons["county chief"], posts["county chief"], "2010", None)
        hold(session, persons["county deputy"], posts["county deputy"], "2010", None)
        hold(session, persons["unit head"], posts["unit head"], "2010", None)
        hold(session, persons["guard"], posts["guard"], "2014", None)
        incident = Incident(title="Beatings at the Hoeryong detention centre")
        session.add(incident)
        session.flush()
        acts = {
            "2015": _act(session, incident.id, persons["guard"], "2015-03", facility.id),
            "2020": _act(session, incident.id, persons["guard"], "2020", facility.id),
            "undated": _act(session, incident.id, persons["guard"], None, facility.id),
            "deputy 2016": _act(session, incident.id, persons["county deputy"], "2016-05-01"),
        }
        session.commit()
        return World(ministry.id, province.id, county.id, unit.id, facility.id, persons, acts)


def _acts_below(post: chain.Post) -> dict[int, set[int]]:
    return {s.person_id: {line.id for line in s.acts} for s in post.subordinates}


def test_an_act_in_2015_lists_under_the_first_minister_and_one_in_2020_under_the_second(
    app: Flask, world: World
) -> None:
    with app.app_context():
        first = chain.command_view(db.session(), world.persons["minister 1"])
        second = chain.command_view(db.session(), world.persons["minister 2"])
    guard = world.persons["guard"]
    assert _acts_below(first.posts[0])[guard] == {world.acts["2015"], world.acts["undated"]}
    assert _acts_below(second.posts[0])[guard] == {world.acts["2020"], world.acts["undated"]}
    # The deputy's act of 2016 falls under the first minister only.
    deputy = world.persons["county deputy"]
    assert _acts_below(first.posts[0])[deputy] == {world.acts["deputy 2016"]}
    assert _acts_below(second.posts[0]).get(deputy, set()) == set()
    assert first.act_count == 3 and second.act_count == 2


def test_undated_acts_list_last_and_are_marked(app: Flask, world: World) -> None:
    with app.app_context():
        view = chain.command_view(db.session(), world.persons["minister 1"])
    guard = next(s for s in view.posts[0].subordinates if s.person_id == world.persons["guard"])
    assert [line.id for line in guard.acts] == [world.acts["2015"], world.acts["undated"]]
    assert [line.undated for line in guard.acts] == [False, True]


def test_the_head_of_a_county_bureau_commands_its_other_posts_and_everything_below(
    app: Flask, world: World
) -> None:
    with app.app_context():
        view = chain.command_view(db.session(), world.persons["county chief"])
    below = {s.person_id for s in view.posts[0].subordinates}
    assert below == {world.persons[p] for p in ("county deputy", "unit head", "guard")}


def test_a_post_that_is_not_the_head_commands_only_the_organizations_below(app: Flask, world: World) -> None:
    with app.app_context():
        view = chain.command_view(db.session(), world.persons["county deputy"])
    post = view.posts[0]
    assert {s.person_id for s in post.subordinates} == {world.persons["unit head"], world.persons["guard"]}
    # Above a deputy stands the head of the deputy's own bureau, then every level up to the ministry.
    assert [level.organization.id for level in post.above] == [
        world.county,
        world.province,
        world.ministry,
    ]
    assert [head.person_id for head in post.above[0].heads] == [world.persons["county chief"]]


def test_above_a_guard_stand_the_heads_in_office_during_the_tenure(app: Flask, world: World) -> None:
    with app.app_context():
        view = chain.command_view(db.session(), world.persons["guard"])
    above = view.posts[0].above
    assert [level.organization.id for level in above] == [
        world.unit,
        world.county,
        world.province,
        world.ministry,
    ]
    ministers = [head.person_id for head in above[-1].heads]
    assert ministers == [world.persons["minister 1"], world.persons["minister 2"]]
    assert view.posts[0].subordinates == []


def test_organizations_above_walk_to_the_top_nearest_first(app: Flask, world: World) -> None:
    with app.app_context():
        found = OrganizationTree.load(db.session()).above(world.unit)
        assert [o.id for o in found] == [world.county, world.province, world.ministry]
        assert OrganizationTree.load(db.session()).above(world.ministry) == []


def test_the_organization_view_lists_every_post_in_it_and_below_with_their_acts(
    app: Flask, world: World
) -> None:
    with app.app_context():
        view = chain.organization_view(db.session(), world.county)
    assert [level.organization.id for level in view.above] == [world.province, world.ministry]
    assert {s.person_id for s in view.subordinates} == {
        world.persons[p] for p in ("county chief", "county deputy", "unit head", "guard")
    }
    assert view.act_count == 4
    # Most acts first: the guard's three.
    assert view.subordinates[0].person_id == world.persons["guard"]
    assert view.subordinates[0].act_count == 3


def test_the_facility_view_goes_through_its_operating_unit_and_lists_its_acts(
    app: Flask, world: World
) -> None:
    with app.app_context():
        view = chain.facility_view(db.session(), world.facility, act_limit=2)
    assert view.organization is not None and view.organization.id == world.unit
    assert view.facility_act_count == 3
    assert [line.id for line in view.facility_acts] == [world.acts["2015"], world.acts["2020"]]
    assert [level.organization.id for level in view.above] == [world.county, world.province, world.ministry]


def test_paging_and_act_limit_bound_what_is_loaded(app: Flask, world: World) -> None:
    with app.app_context():
        view = chain.command_view(
            db.session(), world.persons["county chief"], act_limit=1, subordinate_limit=1
        )
        rest = chain.command_view(
            db.session(), world.persons["county chief"], act_limit=1, subordinate_limit=1, offset=1
        )
    post = view.posts[0]
    assert post.subordinate_count == 3 and len(post.subordinates) == 1
    assert post.subordinates[0].person_id == world.persons["guard"]
    assert post.subordinates[0].act_count == 3 and len(post.subordinates[0].acts) == 1
    assert rest.posts[0].subordinates[0].person_id != world.persons["guard"]


def test_unknown_records_raise_lookup_error(app: Flask, world: World) -> None:
    with app.app_context(), pytest.raises(LookupError):
        chain.command_view(db.session(), 999_999)


def test_the_chain_page_links_acts_to_the_minister_with_their_corroboration(app: Flask, world: World) -> None:
    reviewer_id, _secret = make_user(app, "lee", "reviewer")
    verified = submission(app, "verified")
    with app.app_context():
        session = db.session()
        session.add(
            Information(
                submission_id=verified,
                act_id=world.acts["2015"],
                connection="victim",
                reliability="likely_reliable",
                created_by_id=reviewer_id,
            )
        )
        session.commit()
    client = case_team(app)
    page = client.get(f"{RECORDS}/persons/{world.persons['minister 1']}/chain").get_data(as_text=True)
    assert f'href="{RECORDS}/acts/{world.acts["2015"]}"' in page
    assert f'href="{RECORDS}/acts/{world.acts["2020"]}"' not in page
    assert "1 source" in page and "date unknown" in page
    assert "조일성" in page and "Ministry of State Security" not in page.split("Below this post")[1]
    for path in (f"organizations/{world.county}", f"facilities/{world.facility}"):
        response = client.get(f"{RECORDS}/{path}/chain")
        assert response.status_code == 200
        assert "조일성" in response.get_data(as_text=True)


def test_wide_scopes_find_the_same_acts_by_their_other_path(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def summary() -> list[tuple[int, int, int, list[int]]]:
        with app.app_context():
            session = db.session()
            people = [chain.command_view(session, world.persons[p]) for p in ("minister 1", "county chief")]
            place = chain.organization_view(session, world.ministry)
        rows = [
            (v.act_count, s.person_id, s.act_count, [a.id for a in s.acts])
            for v in people
            for s in v.posts[0].subordinates
        ]
        return rows + [
            (place.act_count, s.person_id, s.act_count, [a.id for a in s.acts]) for s in place.subordinates
        ]

    narrow = summary()
    monkeypatch.setattr(chain_scope, "WIDE_SCOPE", 0)
    assert summary() == narrow
