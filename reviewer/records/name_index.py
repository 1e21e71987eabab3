"""The search index of names: each name form of a person, facility or organization is stored under its
spelling-insensitive keys (reviewer/names.py) in ``name_keys``; a query is looked up under its own keys."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from reviewer.names import search_keys
from reviewer.records.models import NameKey

KINDS = ("person", "facility", "organization")


def reindex(session: Session, kind: str, owner_id: int, names: Iterable[str]) -> None:
    """Replace the keys of ``kind`` ``owner_id`` with those of ``names`` (call after any change of its names,
    in the same transaction)."""
    if kind not in KINDS:
        raise ValueError(kind)
    session.execute(delete(NameKey).where(NameKey.kind == kind, NameKey.owner_id == owner_id))
    keys = set()
    for name in names:
        keys |= search_keys(name)
    if keys:
        session.execute(
            insert(NameKey), [{"kind": kind, "owner_id": owner_id, "key": key} for key in sorted(keys)]
        )
