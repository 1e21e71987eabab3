"""The lists of persons, organizations and facilities: one page at a time, newest first, or filtered by a
name in any spelling through the search index (best match first); and the counts of the records start
page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from reviewer.records import record_names, search
from reviewer.records.models import Facility, Incident, Organization, Person

PAGE_SIZE = 50
#: Matches read from the name index for one filtered list; a name filter is meant to narrow, not to page
#: through thousands.
FILTER_LIMIT = 500


def page_of(
    session: Session, statement: Select, model: Any, kind: str, query: str, page: int
) -> tuple[list[Any], bool]:
    """One page of the rows of ``statement`` (over ``model``, indexed as ``kind``) and whether another page
    follows."""
    offset = (max(page, 1) - 1) * PAGE_SIZE
    query = query.strip()
    if not query:
        found = list(session.scalars(statement.order_by(model.id.desc()).offset(offset).limit(PAGE_SIZE + 1)))
        return found[:PAGE_SIZE], len(found) > PAGE_SIZE
    ranked = [hit.owner_id for hit in search.find(session, query, (kind,), limit=FILTER_LIMIT)]
    if not ranked:
        return [], False
    # Hits the list leaves out (a merged record) go before paging, so that pages stay full.
    listed = set(session.scalars(statement.with_only_columns(model.id).where(model.id.in_(ranked))))
    wanted = [owner_id for owner_id in ranked if owner_id in listed][offset : offset + PAGE_SIZE + 1]
    rows = {row.id: row for row in session.scalars(statement.where(model.id.in_(wanted)))} if wanted else {}
    return [rows[owner_id] for owner_id in wanted[:PAGE_SIZE]], len(wanted) > PAGE_SIZE


def named_page(
    session: Session, model: type[Person] | type[Facility], kind: str, query: str, page: int
) -> tuple[list[Any], dict[int, str], dict[int, list[str]], bool]:
    """One page of the persons or facilities (``kind``) not merged into another, with their captions and
    every name form of each, and whether another page follows."""
    statement = select(model).where(model.merged_into_id.is_(None))
    records, more = page_of(session, statement, model, kind, query, page)
    ids = [record.id for record in records]
    return (
        records,
        record_names.captions(session, kind, ids),
        record_names.names_by_owner(session, kind, ids),
        more,
    )


def counts(session: Session) -> dict[str, int]:
    """How many persons and facilities (not merged), organizations and incidents there are."""

    def count(statement: Any) -> int:
        return int(session.scalar(statement) or 0)

    return {
        "persons": count(select(func.count(Person.id)).where(Person.merged_into_id.is_(None))),
        "organizations": count(select(func.count(Organization.id))),
        "facilities": count(select(func.count(Facility.id)).where(Facility.merged_into_id.is_(None))),
        "incidents": count(select(func.count(Incident.id))),
    }
