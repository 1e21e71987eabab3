"""Finding persons, facilities and organizations whatever the spelling.

A query is turned into the same spelling-insensitive keys as the names (reviewer/names.py) and looked up in
``name_keys``: a name matches when one of its keys equals a query key or starts with it, so "Ri Chang"
finds "Ri Chang Dae" and "리창대" finds "Lee Chang-dae". Exact key matches rank first.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from reviewer.names import search_keys
from reviewer.records.models import NameKey

#: Keys sort by code point: a prefix's range ends below this.
_PAST = "\U0010ffff"


@dataclass(frozen=True)
class Hit:
    kind: str
    owner_id: int
    #: 2 when a key matched exactly, 1 when only as a prefix.
    rank: int


def find(
    session: Session,
    query: str,
    kinds: tuple[str, ...] = ("person", "facility", "organization"),
    *,
    limit: int = 50,
) -> list[Hit]:
    """The records whose names match ``query``, best first (at most ``limit``)."""
    keys = sorted(search_keys(query))
    if not keys:
        return []
    exact = NameKey.key.in_(keys)
    prefix = or_(*(NameKey.key.between(key, key + _PAST) for key in keys))
    rank = func.max(case((exact, 2), else_=1))
    rows = session.execute(
        select(NameKey.kind, NameKey.owner_id, rank.label("rank"))
        .where(NameKey.kind.in_(kinds), prefix)
        .group_by(NameKey.kind, NameKey.owner_id)
        .order_by(rank.desc(), NameKey.kind, NameKey.owner_id)
        .limit(limit)
    )
    return [Hit(kind, owner_id, int(hit_rank)) for kind, owner_id, hit_rank in rows]
