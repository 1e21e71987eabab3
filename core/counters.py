"""Counts shared by every host and every worker, kept in the database minute by minute: what a guard against
guessing counts (wrong receipts) must not reset when a worker restarts, nor multiply with the number of
processes. Nothing about who caused a count is kept: a count is a name, a minute and a number.
"""

from __future__ import annotations

import time

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.models import Counter

#: Minutes a count is kept: enough for any window a guard looks at.
KEEP_MINUTES = 24 * 60


def minute_now() -> int:
    """The current minute, as whole minutes since 1970 (UTC)."""
    return int(time.time() // 60)


def add(session: Session, name: str, minute: int | None = None) -> None:
    """Count one event of ``name`` in this minute, in ``session``'s transaction (the caller commits).

    One statement whatever happens at once on other hosts: an insert that adds to the row when it exists."""
    minute = minute_now() if minute is None else minute
    dialect = session.get_bind().dialect.name
    values = {"name": name, "minute": minute, "count": 1}
    if dialect == "postgresql":
        statement = postgresql.insert(Counter).values(**values)
    else:
        statement = sqlite.insert(Counter).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[Counter.name, Counter.minute], set_={"count": Counter.count + 1}
    )
    session.execute(statement)


def last_minute(session: Session, name: str, now: float | None = None) -> float:
    """About how many events of ``name`` came in the last 60 seconds: this minute's count plus the share of
    the previous minute's that falls within them (a sliding window that a minute's boundary cannot halve)."""
    now = time.time() if now is None else now
    minute = int(now // 60)
    rows = dict(
        session.execute(
            select(Counter.minute, Counter.count).where(
                Counter.name == name, Counter.minute.in_([minute - 1, minute])
            )
        ).all()
    )
    elapsed = (now % 60) / 60
    return rows.get(minute, 0) + rows.get(minute - 1, 0) * (1 - elapsed)


def forget_old(session: Session, minute: int | None = None) -> int:
    """Delete counts older than :data:`KEEP_MINUTES`; returns how many rows (the caller commits)."""
    minute = minute_now() if minute is None else minute
    result = session.execute(delete(Counter).where(Counter.minute <= minute - KEEP_MINUTES))
    return int(result.rowcount or 0)
