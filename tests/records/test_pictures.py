"""The pictures' layouts (reviewer/records/pictures/), checked on the scenes themselves: the SVG is
well-formed and names itself, every name of a chain is there as text, no two text boxes overlap and none
leaves the canvas, in Korean, English and both, for a page and for print; a big chain folds into its budget
with the counts kept; the timeline draws a year as a band and a day as a tick; the map's outline is what
its source gives and every province's label point lies inside it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import insert, select

from core import db, divisions
from reviewer.records import chain
from reviewer.records.dates import span
from reviewer.records.models import (
    Act,
    Incident,
    Involvement,
    Occupancy,
    Organization,
    Person,
    PersonName,
    Position,
)
from reviewer.records.pictures import (
    bars,
    chain_cards,
    chain_layout,
    chain_tree,
    facility_map,
    geodata,
    svg,
    timeline,
)
from reviewer.records.pictures.chain_cards import (
    BranchCard,
    ChainNode,
    ChainTree,
    OrganizationCard,
    PersonCard,
)
from reviewer.records.pictures.scene import Path as Line
from reviewer.records.pictures.scene import Rect, Scene, outside, overlapping_texts
from reviewer.records.pictures.words import PictureWords
from tests.exports.fixtures import Records, build_records

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
LOCALES = [("ko",), ("en",), ("ko", "en")]


@pytest.fixture
def context(app: Flask) -> Iterator[None]:
    with app.test_request_context("/"):
        yield


@pytest.fixture
def records(app: Flask, context: None) -> Records:
    made = build_records(db.session())
    db.session().commit()
    return made


def sound(scene: Scene) -> None:
    """No overlapping text, nothing outside, and SVG that parses with its title and description."""
    assert overlapping_texts(scene) == []
    assert outside(scene) == []
    root = ET.fromstring(str(svg.render(scene)))
    assert root.get("role") == "img"
    labelled = root.get("aria-labelledby", "").split()
    ids = {element.get("id") for element in root.iter()}
    assert labelled and set(labelled) <= ids
    assert root.find(f"{SVG}title").text == scene.title
    assert root.find(f"{SVG}desc").text


def svg_text(scene: Scene) -> str:
    root = ET.fromstring(str(svg.render(scene)))
    return " ".join(element.text or "" for element in root.iter(f"{SVG}text"))


def trees(records: Records) -> dict[str, ChainTree]:
    session = db.session()
    return {
        "chief": chain_tree.person_tree(session, chain.command_view(session, records.person_id)),
        "minister": chain_tree.person_tree(session, chain.command_view(session, records.minister_id)),
        "guard": chain_tree.person_tree(session, chain.command_view(session, records.guard_id)),
        "ministry": chain_tree.organization_tree(
            session, chain.organization_view(session, records.ministry_id)
        ),
        "facility": chain_tree.organization_tree(session, chain.facility_view(session, records.facility_id)),
        "act": chain_tree.act_tree(session, chain.act_view(session, records.act_ids["torture"])),
    }


@pytest.mark.parametrize("locales", LOCALES)
@pytest.mark.parametrize("style", [chain_layout.PAGE, chain_layout.PRINT], ids=["page", "print"])
def test_every_chain_diagram_names_everyone_without_overlap(
    records: Records, locales: tuple[str, ...], style: chain_layout.Style
) -> None:
    words = PictureWords(locales)
    for name, tree in trees(records).items():
        assert tree.roots, name
        scene = chain_layout.draw(tree, words, f"chain {name}", style=style)
        sound(scene)
        drawn = svg_text(scene)
        for person in tree.persons():
            assert person.hangul in drawn, (name, person.hangul)
            if person.romanized:
                assert person.romanized in drawn, (name, person.romanized)


def test_the_chain_runs_from_the_minister_in_office_down_to_the_guard(records: Records) -> None:
    chief = trees(records)["chief"]
    (root,) = chief.roots
    assert isinstance(root.card, OrganizationCard) and root.card.name_ko == "국가보위성"
    assert [head.person_id for head in root.card.heads] == [records.minister_id]
    cards = list(chief.cards())
    target = next(card for card in cards if isinstance(card, PersonCard) and card.target)
    assert target.person_id == records.person_id and target.command
    guard = next(
        card for card in cards if isinstance(card, PersonCard) and card.person_id == records.guard_id
    )
    assert guard.acts == 1 and guard.title_en == "Guard"
    links = [node for node in root.walk() if node.sources is not None]
    assert links and all(node.sources >= 1 for node in links)


def test_an_act_diagram_links_each_person_with_the_sources_of_their_part(records: Records) -> None:
    tree = trees(records)["act"]
    persons = [node for root in tree.roots for node in root.walk() if isinstance(node.card, PersonCard)]
    degrees = {node.card.person_id: node.card.degree for node in persons}
    assert degrees[records.guard_id] == "carried_out"
    guard = next(node for node in persons if node.card.person_id == records.guard_id)
    assert (
        guard.sources == 1
    )  # W-0002, on the guard's part itself (sources of the whole act are not a part's)


def _long_tree() -> ChainTree:
    """Long unbroken Hangul names, many stacked persons, side-by-side branches, undated links."""
    long_name = "함경북도인민보안국산하특별기동구류장경비대" * 3
    people = tuple(
        ChainNode(
            PersonCard(
                100 + n,
                "김" + "철" * (n % 5 + 2),
                f"Kim Chol {'Su ' * (n % 4)}".strip(),
                "경비원",
                "Guard",
                start=None if n % 3 else "2015",
                acts=n + 1,
            ),
            sources=n,
            undated=n % 3 != 0,
        )
        for n in range(8)
    )
    branch = ChainNode(BranchCard(9, long_name, "A very long English name " * 4, 1200, 3400), sources=120)
    more = ChainNode(BranchCard(None, None, None, 40, 99, branches=3, persons=2), sources=7)
    unit = ChainNode(OrganizationCard(5, long_name, None, ()), people, sources=9)
    middle = ChainNode(OrganizationCard(4, "보위부", "Department", ()), (unit, branch, more), sources=130)
    heads = tuple(
        PersonCard(n, "도경삼", "To Kyong Sam", start="2012", end="2017", command=True) for n in range(6)
    )
    top = ChainNode(
        OrganizationCard(1, long_name, long_name, heads, target=True), (middle, unit), sources=None
    )
    return ChainTree((top, top), posts=4136, acts=8851, left_out=12)


@pytest.mark.parametrize("locales", LOCALES)
@pytest.mark.parametrize("style", [chain_layout.PAGE, chain_layout.PRINT], ids=["page", "print"])
def test_long_hangul_wraps_and_nothing_overlaps(app: Flask, context: None, locales, style) -> None:  # noqa: ANN001
    scene = chain_layout.draw(_long_tree(), PictureWords(locales), "long", style=style)
    sound(scene)
    widest = max(t.w for t in scene.texts())
    assert widest <= max(style.card_width, scene.width)
    dashed = [shape for shape in scene.shapes if isinstance(shape, Line) and shape.dash]
    assert dashed, "undated links are dashed"
    weights = {shape.stroke_width for shape in scene.shapes if isinstance(shape, Line)}
    assert len(weights) > 2, "links weigh by their sources"


def _minister_world(session, branches: int = 14, guards: int = 12) -> tuple[int, int]:  # noqa: ANN001
    """A ministry, ``branches`` bureaus each with a unit of ``guards`` guards, every guard with acts."""
    session.execute(insert(Organization), [{"name_ko": "국가보위성", "kind": "ministry"}])
    ministry = session.scalar(select(Organization.id).where(Organization.name_ko == "국가보위성"))
    session.execute(
        insert(Organization), [{"name_ko": f"도 보위국 {b}", "parent_id": ministry} for b in range(branches)]
    )
    bureaus = list(session.scalars(select(Organization.id).where(Organization.parent_id == ministry)))
    session.execute(
        insert(Organization), [{"name_ko": f"경비대 {b}", "parent_id": b, "kind": "unit"} for b in bureaus]
    )
    units = list(session.scalars(select(Organization.id).where(Organization.parent_id.in_(bureaus))))
    session.execute(insert(Position), [{"organization_id": ministry, "title_ko": "보위상", "is_head": True}])
    session.execute(
        insert(Position), [{"organization_id": u, "title_ko": "경비원", "is_head": False} for u in units]
    )
    positions = dict(session.execute(select(Position.organization_id, Position.id)).all())
    session.execute(insert(Person), [{"gender": "male"} for _ in range(1 + len(units) * guards)])
    persons = list(session.scalars(select(Person.id).order_by(Person.id)))
    session.execute(
        insert(PersonName), [{"person_id": p, "name": f"경비원{p}", "style": "hangul"} for p in persons]
    )
    lo, hi = span("2010", "2020")
    rows = [
        {
            "person_id": persons[0],
            "position_id": positions[ministry],
            "start": "2010",
            "end": "2020",
            "start_lo": lo,
            "end_hi": hi,
        }
    ]
    guard_lo, guard_hi = span("2012", "2018")
    rows += [
        {
            "person_id": persons[1 + n],
            "position_id": positions[units[n // guards]],
            "start": "2012",
            "end": "2018",
            "start_lo": guard_lo,
            "end_hi": guard_hi,
        }
        for n in range(len(units) * guards)
    ]
    session.execute(insert(Occupancy), rows)
    session.execute(insert(Incident), [{"title": "bulk"}])
    incident = session.scalar(select(Incident.id))
    act_lo, act_hi = span("2015-03", None)
    session.execute(
        insert(Act),
        [
            {
                "incident_id": incident,
                "violation": "torture",
                "date_start": "2015-03",
                "date_lo": act_lo,
                "date_hi": act_hi,
            }
            for _ in range((len(persons) - 1) * 2)
        ],
    )
    acts = list(session.scalars(select(Act.id).order_by(Act.id)))
    session.execute(
        insert(Involvement),
        [
            {"act_id": a, "person_id": persons[1 + n // 2], "degree": "carried_out", "confidence": "high"}
            for n, a in enumerate(acts)
        ],
    )
    session.commit()
    return persons[0], len(acts)


def _acts_under(node: ChainNode) -> int:
    if isinstance(node.card, OrganizationCard):
        return sum(_acts_under(child) for child in node.children)
    return node.card.acts  # type: ignore[union-attr]


def test_a_minister_with_many_subordinates_folds_into_the_budget_with_counts(
    app: Flask, context: None
) -> None:
    session = db.session()
    minister, acts = _minister_world(session)
    for budget, style in ((chain_cards.PAGE, chain_layout.PAGE), (chain_cards.PRINT, chain_layout.PRINT)):
        tree = chain_tree.person_tree(session, chain.command_view(session, minister), budget=budget)
        (root,) = tree.roots
        assert sum(1 for _ in root.walk()) <= budget.cards
        assert chain_cards.columns(root) <= budget.columns
        assert tree.acts == acts
        # The branches drawn and the folded rest account for every act below the minister (each act here
        # has one guard, so nothing is counted twice).
        assert root.card.acts_below == acts
        assert sum(_acts_under(child) for child in root.children) == acts
        folded = [n.card for n in root.walk() if isinstance(n.card, BranchCard)]
        assert any(card.organization_id is None and card.branches for card in folded), "a 'more' card"
        assert any(isinstance(n.card, PersonCard) and not n.card.target for n in root.walk()), (
            "down to persons"
        )
        sound(chain_layout.draw(tree, PictureWords(("ko",)), "minister", style=style))


def test_the_timeline_draws_a_year_as_a_band_and_a_day_as_a_tick(app: Flask, context: None) -> None:
    acts = [
        timeline.TimelineAct("torture_interrogation", "2017", None),
        timeline.TimelineAct("torture_interrogation", "2018-03-14", None),
        timeline.TimelineAct("forced_labour", "2016-05", "2018"),
        timeline.TimelineAct("forced_labour", None, None),
        timeline.TimelineAct("death_in_custody", "2019-02-01", None, under_command=True),
    ]
    for locales in LOCALES:
        scene = timeline.draw(acts, PictureWords(locales), "t")
        sound(scene)
    bands = [
        s
        for s in scene.shapes
        if isinstance(s, Rect) and s.fill in (timeline.OWN, timeline.COMMANDED) and s.h > 3
    ]
    ticks = [
        s for s in scene.shapes if isinstance(s, Line) and s.stroke in (timeline.OWN, timeline.COMMANDED)
    ]
    year = next(b for b in bands if b.w > 0 and abs(b.w - max(b.w for b in bands[:1])) < 1e-6)
    assert (
        len(bands) >= 2 and len(ticks) >= 2
    )  # two bands and two ticks among the acts (the key adds one each)
    assert year.w > 10
    drawn = svg_text(scene)
    for label in ("2016", "2019"):
        assert label in drawn


def test_the_outline_is_derived_from_natural_earth_as_committed() -> None:
    source = ROOT / "node_modules" / geodata.SOURCE
    if not source.is_file():
        pytest.skip("node_modules/world-atlas is not installed (npm ci)")
    derived = geodata.dumps(geodata.derive(json.loads(source.read_text("utf-8"))))
    committed = (ROOT / "reviewer/records/pictures/data" / geodata.OUTLINE_FILE).read_text("utf-8")
    assert derived == committed
    assert len(committed.encode()) < 40_000


def _inside(point: tuple[float, float], ring: list[tuple[float, float]]) -> bool:
    x, y = point
    found = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y0 > y) != (y1 > y) and x < (x1 - x0) * (y - y0) / (y1 - y0) + x0:
            found = not found
    return found


def test_every_province_is_named_inside_the_country() -> None:
    rings = geodata.outline()
    for province in divisions.provinces():
        assert province.label_at is not None, province.code
        lat, lon = province.label_at
        assert any(_inside((lon, lat), ring) for ring in rings), province.code


def test_the_map_places_what_it_can_and_lists_the_rest_by_province(app: Flask, context: None) -> None:
    marks = [
        facility_map.MapFacility(1, "온성군 보위부 구류장", "kuryujang", "north-hamgyong", 42.957, 129.993),
        facility_map.MapFacility(
            2, "회령 노동단련대", "rodong_danryondae", "north-hamgyong", 42.443, 129.751
        ),
        facility_map.MapFacility(
            3, "요덕 관리소", "kwanliso", "south-hamgyong", 39.75, 127.0, highlighted=True
        ),
        facility_map.MapFacility(4, "회령 관리소 근처 다른 곳", "kyohwaso", "north-hamgyong", 42.45, 129.76),
        facility_map.MapFacility(5, "함흥 집결소", "jipkyulso", "south-hamgyong", None, None),
        facility_map.MapFacility(6, "어딘가", "other", None, None, None),
    ]
    for locales in LOCALES:
        for style in (facility_map.PAGE, facility_map.PRINT):
            scene = facility_map.draw(marks, PictureWords(locales), "map", style=style)
            sound(scene)
            drawn = svg_text(scene)
            for mark in marks:
                assert mark.name in drawn, mark.name


def test_bars_carry_their_numbers(app: Flask, context: None) -> None:
    rows = [
        bars.Bar("고문 또는 신문 중 구타와 같은 아주 긴 침해 유형의 이름", 1200),
        bars.Bar("2017", 3),
        bars.Bar("?", 0, muted=True),
    ]
    for style in (bars.PAGE, bars.PRINT):
        scene = bars.draw("Acts by year", "numbers", rows, style=style)
        sound(scene)
        assert {"1200", "3", "0"} <= set(svg_text(scene).split())
