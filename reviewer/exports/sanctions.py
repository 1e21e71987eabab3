"""Sanctions lists, offline: import an OpenSanctions-style FollowTheMoney file, and find the records that may
already be sanctioned, for a reviewer to confirm.

The file holds one JSON entity a line (``{"id", "schema", "properties", "datasets"}``): persons and
organizations, and ``Sanction`` entities whose ``entity`` property names them (or, as OpenSanctions'
nested exports do, sanctions inside an entity's ``properties.sanctions``). Only entities with at least one
sanction are kept, in ``sanctioned_entities``; importing again replaces each by its FtM id.

Their names are indexed under the same spelling-insensitive keys as records (reviewer/names.py, in
``name_keys`` under the kind ``sanctioned``, which record searches never ask for), so that ``리창대``,
``Ri Chang Dae`` and ``Lee Chang-dae`` meet. A match is a name in common and, for persons, birth dates that
do not contradict each other (the same year when both are known). A match is only "possibly already
sanctioned": nothing is asserted until a reviewer confirms it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from reviewer.exports.model import SanctionMatch
from reviewer.names import same_name, search_keys
from reviewer.records.models import NameKey, Organization, Person, PersonName, SanctionedEntity

#: The ``name_keys.kind`` of sanctioned entities' names.
INDEX_KIND = "sanctioned"
#: Schemata imported as persons, and as organizations.
PERSON_SCHEMATA = frozenset({"Person"})
ORGANIZATION_SCHEMATA = frozenset({"Organization", "PublicBody", "Company", "LegalEntity"})
_NAME_PROPERTIES = ("name", "alias", "previousName", "weakAlias", "abbreviation")


class SanctionsFileError(ValueError):
    """The file is not FollowTheMoney JSON lines (``line`` is the 1-based line that is not)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line


@dataclass(frozen=True)
class ImportCounts:
    """What an import did: entities kept (new and replaced), sanctions attached, entities skipped because
    no sanction names them or their schema is neither a person nor an organization."""

    added: int
    replaced: int
    sanctions: int
    skipped: int


def import_file(session: Session, path: Path, *, dataset: str | None = None) -> ImportCounts:
    """Load ``path`` into the caller's transaction (the caller commits); ``dataset`` defaults to the
    entities' own ``datasets`` or else the file's name. Raises :class:`SanctionsFileError`."""
    entities: dict[str, dict[str, Any]] = {}
    sanctions_of: dict[str, list[dict[str, str]]] = defaultdict(list)
    for entity in _read(path):
        properties = entity.get("properties") or {}
        if entity.get("schema") == "Sanction":
            for target in properties.get("entity", []):
                target_id = target.get("id") if isinstance(target, dict) else target
                sanctions_of[str(target_id)].append(_sanction(properties))
            continue
        entities[str(entity["id"])] = entity
        for nested in properties.get("sanctions", []):
            if isinstance(nested, dict):
                sanctions_of[str(entity["id"])].append(_sanction(nested.get("properties") or {}))
    added = replaced = attached = skipped = 0
    for ftm_id, entity in entities.items():
        schema = str(entity.get("schema"))
        names = _names(entity.get("properties") or {})
        if not sanctions_of.get(ftm_id) or schema not in PERSON_SCHEMATA | ORGANIZATION_SCHEMATA or not names:
            skipped += 1
            continue
        row = session.scalars(select(SanctionedEntity).where(SanctionedEntity.ftm_id == ftm_id)).first()
        if row is None:
            row = SanctionedEntity(ftm_id=ftm_id)
            session.add(row)
            added += 1
        else:
            replaced += 1
        properties = entity.get("properties") or {}
        row.schema = schema
        row.caption = str(entity.get("caption") or names[0])[:300]
        row.names = json.dumps(names, ensure_ascii=False)
        row.birth_dates = json.dumps([str(d) for d in properties.get("birthDate", [])])
        row.sanctions = json.dumps(sanctions_of[ftm_id], ensure_ascii=False)
        row.dataset = (dataset or ", ".join(entity.get("datasets") or []) or path.stem)[:200]
        attached += len(sanctions_of[ftm_id])
        session.flush()
        _index(session, row.id, names)
    return ImportCounts(added, replaced, attached, skipped)


def _read(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entity = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SanctionsFileError(number, f"not JSON ({exc.msg})") from exc
            if not isinstance(entity, dict) or "id" not in entity or "schema" not in entity:
                raise SanctionsFileError(number, "not a FollowTheMoney entity (no id or schema)")
            yield entity


def _sanction(properties: dict[str, Any]) -> dict[str, str]:
    def first(name: str) -> str:
        values = properties.get(name) or []
        return str(values[0]) if values else ""

    return {
        "authority": first("authority"),
        "program": first("program") or first("programId"),
        "start_date": first("startDate") or first("listingDate"),
        "source_url": first("sourceUrl"),
    }


def _names(properties: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for prop in _NAME_PROPERTIES:
        for value in properties.get(prop, []):
            if isinstance(value, str) and value.strip() and value.strip() not in names:
                names.append(value.strip())
    return names


def _index(session: Session, entity_id: int, names: Iterable[str]) -> None:
    session.execute(delete(NameKey).where(NameKey.kind == INDEX_KIND, NameKey.owner_id == entity_id))
    keys = set().union(*(search_keys(name) for name in names))
    if keys:
        rows = [{"kind": INDEX_KIND, "owner_id": entity_id, "key": key} for key in sorted(keys)]
        session.execute(insert(NameKey), rows)


def matches_for(session: Session, kind: str, record_id: int) -> list[SanctionMatch]:
    """Imported sanctioned entities that may be the person or organization ``record_id`` (none for any
    other kind), best first: by caption."""
    if kind == "person":
        our_names = list(session.scalars(select(PersonName.name).where(PersonName.person_id == record_id)))
        person = session.get(Person, record_id)
        birth = person.birth_date if person is not None else None
        schemata = PERSON_SCHEMATA
    elif kind == "organization":
        organization = session.get(Organization, record_id)
        our_names = [n for n in (organization.name_ko, organization.name_en) if n] if organization else []
        birth = None
        schemata = ORGANIZATION_SCHEMATA
    else:
        return []
    keys = set().union(*(search_keys(name) for name in our_names)) if our_names else set()
    if not keys:
        return []
    candidates = (
        select(SanctionedEntity)
        .where(
            SanctionedEntity.id.in_(
                select(NameKey.owner_id).where(NameKey.kind == INDEX_KIND, NameKey.key.in_(sorted(keys)))
            ),
            SanctionedEntity.schema.in_(sorted(schemata)),
        )
        .order_by(SanctionedEntity.caption, SanctionedEntity.id)
    )
    found = []
    for entity in session.scalars(candidates):
        birth_dates = tuple(json.loads(entity.birth_dates))
        if not _births_agree(birth, birth_dates):
            continue
        matched = next(
            (theirs for theirs in json.loads(entity.names) for ours in our_names if same_name(ours, theirs)),
            None,
        )
        if matched is None:
            continue
        listed = json.loads(entity.sanctions)
        found.append(
            SanctionMatch(
                caption=entity.caption,
                dataset=entity.dataset,
                authorities=_distinct(item["authority"] for item in listed),
                programs=_distinct(item["program"] for item in listed),
                matched_name=matched,
                birth_dates=birth_dates,
            )
        )
    return found


def _births_agree(ours: str | None, theirs: tuple[str, ...]) -> bool:
    """Unknown on either side never rules a match out; known on both, some year must be the same."""
    if not ours or not theirs:
        return True
    return any(date[:4] == ours[:4] for date in theirs)


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))
