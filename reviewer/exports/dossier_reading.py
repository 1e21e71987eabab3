"""What the parts of a dossier share to read records: ids read in bounded batches, person captions read once
per dossier, organizations as the dossier names them, and the posts held that match a condition."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.exports.model import OrganizationRef, PostHeld
from reviewer.records import record_names
from reviewer.records.models import Occupancy, Position
from reviewer.records.tree import OrganizationTree

#: Ids per query (keeps the statement's parameters bounded).
BATCH = 500


def ref(tree: OrganizationTree, organization_id: int) -> OrganizationRef:
    """An organization as the dossier names it."""
    org = tree.by_id[organization_id]
    return OrganizationRef(org.id, org.name_ko, org.name_en, org.kind, org.parent_id)


def above(tree: OrganizationTree, organization_id: int) -> list[int]:
    """The ids of the organizations above, nearest first."""
    return [org.id for org in tree.above(organization_id)]


class Captions:
    """Person captions (reviewer/records/record_names.py), each read once per dossier."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[int, str] = {}

    def __call__(self, person_ids: Iterable[int]) -> dict[int, str]:
        missing = set(person_ids) - self.known.keys()
        if missing:
            self.known.update(record_names.person_captions(self.session, missing))
        return self.known

    def one(self, person_id: int) -> str:
        """The caption of one person."""
        return self([person_id])[person_id]


def posts(session: Session, where: list, tree: OrganizationTree, captions: Captions) -> list[PostHeld]:
    """Occupancies matching ``where``, oldest first, as :class:`PostHeld`."""
    rows = session.execute(
        select(Occupancy, Position)
        .join(Position, Position.id == Occupancy.position_id)
        .where(*where)
        .order_by(Occupancy.start_lo, Occupancy.id)
    ).all()
    names = captions(occupancy.person_id for occupancy, _position in rows)
    return [
        PostHeld(
            occupancy_id=occupancy.id,
            person_id=occupancy.person_id,
            person_name=names[occupancy.person_id],
            position_id=position.id,
            title_ko=position.title_ko,
            title_en=position.title_en,
            organization=ref(tree, position.organization_id),
            start=occupancy.start,
            end=occupancy.end,
            is_head=position.is_head,
        )
        for occupancy, position in rows
    ]


def by_id(session: Session, model: type, ids: Collection[int]) -> dict:
    """The rows of ``model`` with these ids, by id."""
    found = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), BATCH):
        for row in session.scalars(select(model).where(model.id.in_(ordered[start : start + BATCH]))):
            found[row.id] = row
    return found


def overlap(period: tuple[date, date]) -> list:
    """The conditions that an occupancy overlaps ``period``."""
    return [Occupancy.start_lo <= period[1], Occupancy.end_hi >= period[0]]
