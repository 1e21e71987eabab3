"""The pictures of the records pages, in the page's language: each read from the records (the chain of
command through reviewer/records/chain.py), laid out and written as inline SVG, ready for the ``picture``
macro (templates/reviewer/records/_pictures.html). A picture with nothing to show is ``None``."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.records import act_counts, chain, record_names
from reviewer.records.id_lists import id_table
from reviewer.records.models import Act, Facility, Involvement
from reviewer.records.pictures import bars, chain_layout, chain_tree, facility_map, svg, timeline
from reviewer.records.pictures.scene import Scene
from reviewer.records.pictures.words import PictureWords


@dataclass(frozen=True)
class Figure:
    """A picture for a page: its SVG, and the caption that says where its text alternative is."""

    name: str
    svg: Markup
    title: str


def _figure(scene: Scene) -> Figure:
    return Figure(scene.name, svg.render(scene), scene.title)


# ---- Chain of command ---------------------------------------------------------------------------------


def person_chain(session: Session, view: chain.CommandView) -> Figure | None:
    """The diagram of a person's chain page, from the view the page already holds."""
    if not view.posts:
        return None
    words = PictureWords.current()
    tree = chain_tree.person_tree(session, view)
    return _figure(chain_layout.draw(tree, words, words("chain_title", name=view.name), name="chain"))


def side_chain(session: Session, view: chain.OrganizationView, caption: str) -> Figure | None:
    """The diagram of an organization's or a facility's chain page."""
    tree = chain_tree.organization_tree(session, view)
    if not tree.roots:
        return None
    words = PictureWords.current()
    return _figure(chain_layout.draw(tree, words, words("chain_title", name=caption), name="chain"))


def act_chain(session: Session, act_id: int) -> Figure | None:
    """The diagram of one act, for its page: nothing when no one is linked to it."""
    view = chain.act_view(session, act_id)
    if not view.involved:
        return None
    words = PictureWords.current()
    tree = chain_tree.act_tree(session, view)
    return _figure(chain_layout.draw(tree, words, words("act_chain_title", id=act_id), name="act-chain"))


# ---- Timelines ----------------------------------------------------------------------------------------


def _timeline_acts(
    session: Session, own: Collection[int], commanded: Collection[int]
) -> list[timeline.TimelineAct]:
    wanted = set(own) | set(commanded)
    if not wanted:
        return []
    rows = session.execute(
        select(Act.id, Act.violation, Act.date_start, Act.date_end).where(
            Act.id.in_(id_table(session, wanted))
        )
    )
    own = set(own)
    return [
        timeline.TimelineAct(violation, start, end, act_id not in own)
        for act_id, violation, start, end in rows
    ]


def person_timeline(session: Session, person_id: int, caption: str) -> Figure | None:
    """The acts a person took part in, and those of the persons under their command while they were."""
    own = set(session.scalars(select(Involvement.act_id).where(Involvement.person_id == person_id)))
    view = chain.command_view(session, person_id, act_limit=0, subordinate_limit=0)
    commanded: set[int] = set()
    for post in view.posts:
        if post.scope is not None:
            for acts in post.scope.acts_of.values():
                commanded |= acts
    acts = _timeline_acts(session, own, commanded - own)
    if not acts:
        return None
    words = PictureWords.current()
    return _figure(timeline.draw(acts, words, words("timeline_title", name=caption), name="timeline"))


def facility_timeline(session: Session, facility_id: int, caption: str) -> Figure | None:
    acts = [
        timeline.TimelineAct(violation, start, end)
        for violation, start, end in session.execute(
            select(Act.violation, Act.date_start, Act.date_end).where(Act.facility_id == facility_id)
        )
    ]
    if not acts:
        return None
    words = PictureWords.current()
    return _figure(timeline.draw(acts, words, words("timeline_title", name=caption), name="timeline"))


# ---- Maps ---------------------------------------------------------------------------------------------


def map_facilities(
    session: Session, facilities: list[Facility], highlight: int | None = None
) -> list[facility_map.MapFacility]:
    names = record_names.facility_captions(session, [f.id for f in facilities])
    return [
        facility_map.MapFacility(
            f.id, names[f.id], f.kind, f.province, f.latitude, f.longitude, highlighted=f.id == highlight
        )
        for f in facilities
    ]


def facilities_map(
    session: Session, facilities: list[Facility], caption: str, highlight: int | None = None
) -> Figure | None:
    if not facilities:
        return None
    words = PictureWords.current()
    marks = map_facilities(session, facilities, highlight)
    return _figure(facility_map.draw(marks, words, words("map_title", name=caption), name="map"))


def operated_facilities(session: Session, organization_ids: Collection[int]) -> list[Facility]:
    """The facilities (not merged) that these organizations operate."""
    return list(
        session.scalars(
            select(Facility)
            .where(Facility.organization_id.in_(list(organization_ids)), Facility.merged_into_id.is_(None))
            .order_by(Facility.id)
        )
    )


# ---- Counts -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """A bar chart and its rows, which the page also lists as a table."""

    figure: Figure
    rows: list[bars.Bar]


def record_counts(session: Session) -> list[Chart]:
    """The start page's four bar charts: acts by type of violation, by year, by place, by corroboration."""
    counts = act_counts.act_counts(session)
    if not counts.total:
        return []
    words = PictureWords.current()
    described = words("counts_desc")
    charts = [
        (
            "by_violation",
            [bars.Bar(words.code("violations", code), n) for code, n in counts.by_violation],
        ),
        (
            "by_year",
            [bars.Bar(str(year), n) for year, n in counts.by_year]
            + ([bars.Bar(words("undated"), counts.undated, muted=True)] if counts.undated else []),
        ),
        (
            "by_facility",
            [bars.Bar(name, n) for name, n in counts.by_facility]
            + (
                [bars.Bar(words("other_facilities"), counts.other_facilities, muted=True)]
                if counts.other_facilities
                else []
            )
            + (
                [bars.Bar(words("no_facility"), counts.no_facility, muted=True)] if counts.no_facility else []
            ),
        ),
        (
            "by_corroboration",
            [
                bars.Bar(words("sources_none"), counts.by_sources[0], muted=True),
                bars.Bar(words.count("sources", 1), counts.by_sources[1]),
                bars.Bar(words.count("sources", 2), counts.by_sources[2]),
                bars.Bar(words("sources_three"), counts.by_sources[3]),
            ],
        ),
    ]
    return [
        Chart(_figure(bars.draw(words(key), described, rows, name=f"counts-{key.replace('_', '-')}")), rows)
        for key, rows in charts
    ]
