"""How many acts the records hold, counted four ways for the case team's start page: by type of violation,
by the year they began, by place of detention and by how many independent sources support them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reviewer.records import corroboration, record_names
from reviewer.records.models import Act, Facility

#: Places of detention listed by name; the others are counted together.
TOP_FACILITIES = 8


@dataclass(frozen=True)
class ActCounts:
    total: int
    #: (violation code, acts), most first.
    by_violation: list[tuple[str, int]]
    #: (year, acts) in order; undated acts apart.
    by_year: list[tuple[int, int]]
    undated: int
    #: (facility caption, acts) for the places with most acts; then the rest and the acts at no place.
    by_facility: list[tuple[str, int]]
    other_facilities: int
    no_facility: int
    #: Acts by independent sources that are evidence: 0, 1, 2, and 3 or more.
    by_sources: list[int]


def act_counts(session: Session) -> ActCounts:
    """Every count of the start page, a grouped query each."""
    total = int(session.scalar(select(func.count(Act.id))) or 0)
    by_violation = [
        (str(code), int(n))
        for code, n in session.execute(
            select(Act.violation, func.count(Act.id))
            .group_by(Act.violation)
            .order_by(func.count(Act.id).desc(), Act.violation)
        )
    ]
    year = func.substr(Act.date_start, 1, 4)
    years = {
        str(value): int(n)
        for value, n in session.execute(
            select(year, func.count(Act.id)).where(Act.date_start.is_not(None)).group_by(year)
        )
    }
    by_year = sorted((int(value), n) for value, n in years.items())
    places = session.execute(
        select(Act.facility_id, func.count(Act.id))
        .join(Facility, Facility.id == Act.facility_id)
        .group_by(Act.facility_id)
        .order_by(func.count(Act.id).desc(), Act.facility_id)
    ).all()
    top = places[:TOP_FACILITIES]
    names = record_names.facility_captions(session, [facility_id for facility_id, _n in top])
    at_places = sum(int(n) for _id, n in places)
    return ActCounts(
        total=total,
        by_violation=by_violation,
        by_year=by_year,
        undated=total - sum(years.values()),
        by_facility=[(names[facility_id], int(n)) for facility_id, n in top],
        other_facilities=sum(int(n) for _id, n in places[TOP_FACILITIES:]),
        no_facility=total - at_places,
        by_sources=corroboration.source_levels(session, total),
    )
