"""What a dossier's target answers for: the acts it may be held to (its own, those under its command, those
at the places it runs) and each act as a conduct line, before and after consent filters the evidence.

- a person: the acts they are involved in, and the acts of persons under their command while they held the
  post above them (command responsibility: reviewer/records/chain.py's rule, the act within both tenures);
- an organization: acts attributed (through involvements) to persons holding a post in it or below while
  the act may have happened, and acts at the facilities it or an organization below it operates;
- a facility: the acts recorded there.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from reviewer.exports.dossier_reading import BATCH, Captions, by_id
from reviewer.exports.model import Conduct
from reviewer.records import record_names
from reviewer.records.dates import EARLIEST, LATEST
from reviewer.records.models import Act, Facility, Incident, Involvement, Occupancy, Position
from reviewer.records.tree import OrganizationTree

#: Confidence codes from the weakest: a conduct line states the weakest of the target's involvements.
_CONFIDENCE_ORDER = ("low", "medium", "high")


def candidate_acts(session: Session, kind: str, target_id: int, tree: OrganizationTree) -> list[int]:
    """Every act the target may answer for, before consent filters them."""
    if kind == "person":
        query = select(Involvement.act_id).where(Involvement.person_id == target_id)
        return sorted(set(session.scalars(query)) | commanded_acts(session, target_id, tree))
    if kind == "facility":
        return sorted(set(session.scalars(select(Act.id).where(Act.facility_id == target_id))))
    organizations = [target_id, *tree.below(target_id)]
    attributed = (
        select(Act.id)
        .join(Involvement, Involvement.act_id == Act.id)
        .join(Occupancy, Occupancy.person_id == Involvement.person_id)
        .join(Position, Position.id == Occupancy.position_id)
        .where(
            Position.organization_id.in_(organizations),
            and_(Occupancy.start_lo <= Act.date_hi, Occupancy.end_hi >= Act.date_lo),
        )
    )
    at_facilities = (
        select(Act.id)
        .join(Facility, Facility.id == Act.facility_id)
        .where(Facility.organization_id.in_(organizations))
    )
    return sorted(set(session.scalars(attributed)) | set(session.scalars(at_facilities)))


def commanded_acts(session: Session, person_id: int, tree: OrganizationTree) -> set[int]:
    """Acts of persons under ``person_id``'s command: involved in the act, holding a post the person's post
    commanded, the act within both tenures."""
    held = session.execute(
        select(Occupancy.start_lo, Occupancy.end_hi, Position.organization_id, Position.is_head)
        .join(Position, Position.id == Occupancy.position_id)
        .where(Occupancy.person_id == person_id)
    )
    acts: set[int] = set()
    for start, end, org_id, is_head in held:
        commanded = [org_id, *tree.below(org_id)] if is_head else tree.below(org_id)
        if not commanded:
            continue
        query = (
            select(Act.id)
            .join(Involvement, Involvement.act_id == Act.id)
            .join(Occupancy, Occupancy.person_id == Involvement.person_id)
            .join(Position, Position.id == Occupancy.position_id)
            .where(
                Involvement.person_id != person_id,
                Position.organization_id.in_(commanded),
                Occupancy.start_lo <= end,
                Occupancy.end_hi >= start,
                Act.date_hi >= start,
                Act.date_lo <= end,
                Occupancy.start_lo <= Act.date_hi,
                Occupancy.end_hi >= Act.date_lo,
            )
        )
        acts |= set(session.scalars(query))
    return acts


def load_acts(session: Session, act_ids: list[int]) -> list[Act]:
    acts: list[Act] = []
    for start in range(0, len(act_ids), BATCH):
        acts.extend(session.scalars(select(Act).where(Act.id.in_(act_ids[start : start + BATCH]))))
    # By date, then id (acts of one date in the order they were recorded); acts of unknown date last.
    return sorted(acts, key=lambda act: (act.date_start is None, act.date_lo, act.id))


def conduct_lines(
    session: Session,
    kind: str,
    target_id: int,
    acts: list[Act],
    keys_by_act: dict[int, set[str]],
    captions: Captions,
) -> tuple[Conduct, ...]:
    act_ids = [act.id for act in acts]
    incidents = by_id(session, Incident, {act.incident_id for act in acts})
    facilities = record_names.facility_captions(session, {act.facility_id for act in acts if act.facility_id})
    involvements: dict[int, list[Involvement]] = defaultdict(list)
    for start in range(0, len(act_ids), BATCH):
        query = select(Involvement).where(Involvement.act_id.in_(act_ids[start : start + BATCH]))
        for involvement in session.scalars(query.order_by(Involvement.id)):
            involvements[involvement.act_id].append(involvement)
    names = captions(i.person_id for rows in involvements.values() for i in rows)
    lines = []
    for act in acts:
        own = [i for i in involvements[act.id] if kind == "person" and i.person_id == target_id]
        lines.append(
            Conduct(
                act_id=act.id,
                incident_id=act.incident_id,
                incident_title=incidents[act.incident_id].title,
                violation=act.violation,
                date_start=act.date_start,
                date_end=act.date_end,
                facility_id=act.facility_id,
                facility_name=facilities.get(act.facility_id) if act.facility_id is not None else None,
                place=act.place,
                province=act.province,
                county=act.county,
                victims=act.victims,
                victim_count=act.victim_count,
                description=act.description,
                degrees=tuple(i.degree for i in own),
                under_command=kind == "person" and not own,
                perpetrators=tuple((names[i.person_id], i.degree) for i in involvements[act.id]),
                perpetrator_ids=tuple(i.person_id for i in involvements[act.id]),
                confidence=min((i.confidence for i in own), key=_confidence_rank, default=None),
                corroboration=len(keys_by_act[act.id]),
            )
        )
    return tuple(lines)


def _confidence_rank(code: str) -> int:
    return _CONFIDENCE_ORDER.index(code) if code in _CONFIDENCE_ORDER else -1


def period(acts: list[Act]) -> tuple[date, date]:
    """The widest period the listed acts may span (all time when there are none)."""
    if not acts:
        return EARLIEST, LATEST
    return min(act.date_lo for act in acts), max(act.date_hi for act in acts)
