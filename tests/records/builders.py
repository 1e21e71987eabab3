"""Records for the records tests, made as bare as each test needs but written the way the services write
them: a person's names stored and indexed for search as the person form does (reviewer/records/
record_names.py), and an occupancy with the widest period its partial dates may mean."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from reviewer.records import dates, record_names
from reviewer.records.models import Occupancy, Person


def person(session: Session, *names: tuple[str, str], **fields: Any) -> int:
    """A person with ``names`` (name, spelling style), all primary, and the columns in ``fields``."""
    record = Person(**fields)
    session.add(record)
    session.flush()
    record_names.replace_names(session, "person", record.id, [{"name": n, "style": s} for n, s in names])
    return record.id


def hold(session: Session, person_id: int, position_id: int, start: str | None, end: str | None) -> None:
    """``person_id`` held the post ``position_id`` from ``start`` to ``end`` (partial dates or ``None``)."""
    session.add(
        Occupancy(
            person_id=person_id,
            position_id=position_id,
            start=start,
            end=end,
            start_lo=dates.earliest(start),
            end_hi=dates.latest(end),
        )
    )
