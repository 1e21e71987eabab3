"""``sori_id``: how a record is named in an Uwazi layout, so that an entity in Uwazi, or a row imported back
into Sori, traces to one record of one Sori.

A record made here is ``<kind>:<id>@<instance>`` (``person:12@5d1f0a7c``), where the instance tag is random,
made once per installation, so that two installations never name two records alike. A
record imported from a layout keeps the ``sori_id`` its row carried (:class:`RecordOrigin`): its exports
write it again, and the same row imported again is recognised instead of copied.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.models import Setting
from reviewer.records.models import (
    Act,
    Facility,
    Incident,
    Involvement,
    Occupancy,
    Organization,
    Person,
    RecordOrigin,
)

#: The kinds of record a layout names, and their tables.
MODELS: dict[str, type] = {
    "organization": Organization,
    "person": Person,
    "occupancy": Occupancy,
    "facility": Facility,
    "incident": Incident,
    "act": Act,
    "involvement": Involvement,
}
#: The settings row holding this installation's tag.
INSTANCE_SETTING = "records.instance"
SORI_ID_MAX = 120
_OWN = re.compile(r"([a-z]+):([0-9]{1,9})@([0-9a-f]{8})")
#: Record ids per query (keeps the statement's parameters bounded).
_BATCH = 500


def instance_tag(session: Session) -> str:
    """This installation's tag, read once per session since it never changes. The first export or import
    makes it and commits it at once (as the receipt salt is made), so that it stays whatever happens to
    the rest of that transaction; a host making it at the same moment keeps the one made first."""
    if INSTANCE_SETTING not in session.info:
        tag = session.scalar(select(Setting.value).where(Setting.name == INSTANCE_SETTING))
        if tag is None:
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            made = dialect.insert(Setting).values(name=INSTANCE_SETTING, value=secrets.token_hex(4))
            session.execute(made.on_conflict_do_nothing(index_elements=["name"]))
            session.commit()
            tag = session.scalar(select(Setting.value).where(Setting.name == INSTANCE_SETTING))
        session.info[INSTANCE_SETTING] = tag
    return session.info[INSTANCE_SETTING]


def sori_ids(session: Session, kind: str, record_ids: Iterable[int]) -> dict[int, str]:
    """The ``sori_id`` of each record of ``kind``: the one it was imported with, else its own."""
    ids = sorted(set(record_ids))
    tag = instance_tag(session)
    found = {record_id: f"{kind}:{record_id}@{tag}" for record_id in ids}
    for start in range(0, len(ids), _BATCH):
        query = select(RecordOrigin.record_id, RecordOrigin.sori_id).where(
            RecordOrigin.kind == kind, RecordOrigin.record_id.in_(ids[start : start + _BATCH])
        )
        found.update({record_id: sori_id for record_id, sori_id in session.execute(query)})
    return found


def known(session: Session, sori_ids: Iterable[str]) -> dict[str, tuple[str, int]]:
    """Of ``sori_ids``, those this Sori knows, with the kind and id of their record: imported with it, or
    its own (in this installation's form, naming a record that exists)."""
    wanted = sorted(set(sori_ids))
    found: dict[str, tuple[str, int]] = {}
    for start in range(0, len(wanted), _BATCH):
        query = select(RecordOrigin).where(RecordOrigin.sori_id.in_(wanted[start : start + _BATCH]))
        found.update({origin.sori_id: (origin.kind, origin.record_id) for origin in session.scalars(query)})
    tag = instance_tag(session)
    own: dict[str, list[tuple[int, str]]] = {}
    for sori_id in wanted:
        parts = _OWN.fullmatch(sori_id)
        if sori_id not in found and parts and parts.group(3) == tag and parts.group(1) in MODELS:
            own.setdefault(parts.group(1), []).append((int(parts.group(2)), sori_id))
    for kind, pairs in own.items():
        model = MODELS[kind]
        ids = [record_id for record_id, _sori_id in pairs]
        existing: set[int] = set()
        for start in range(0, len(ids), _BATCH):
            existing.update(
                session.scalars(select(model.id).where(model.id.in_(ids[start : start + _BATCH])))
            )
        found.update({sori_id: (kind, record_id) for record_id, sori_id in pairs if record_id in existing})
    return found


def is_own(session: Session, sori_id: str) -> bool:
    """Whether ``sori_id`` is in this installation's own form (whether or not such a record exists)."""
    own = _OWN.fullmatch(sori_id)
    return own is not None and own.group(3) == instance_tag(session)


def remember(session: Session, kind: str, record_id: int, sori_id: str) -> None:
    """Record that the record of ``kind`` ``record_id`` was imported as ``sori_id``."""
    session.add(RecordOrigin(kind=kind, record_id=record_id, sori_id=sori_id))
