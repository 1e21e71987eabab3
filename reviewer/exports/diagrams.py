"""What a dossier's pictures draw, read when the dossier is built so that its formats only render: the
chain-of-command diagram of the target (reviewer/records/pictures/chain_tree.py through
reviewer/records/chain.py, sized for a printed page), counting only the acts the dossier includes and the
sources whose consent covers its purpose; and the places of detention for its map: the target facility, or
every facility an organization or one below it runs."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.orm import Session

from reviewer.records import chain
from reviewer.records.models import Facility
from reviewer.records.pictures import chain_tree, figures
from reviewer.records.pictures.chain_cards import PRINT, ChainTree
from reviewer.records.pictures.facility_map import MapFacility
from reviewer.records.tree import OrganizationTree


@dataclass(frozen=True)
class DossierPictures:
    chain: ChainTree | None
    facilities: tuple[MapFacility, ...]


def pictures(
    session: Session, kind: str, target_id: int, keys_by_act: dict[int, set[str]], tree: OrganizationTree
) -> DossierPictures:
    """The diagram and the map's facilities of the dossier on ``kind`` ``target_id``; ``keys_by_act`` holds
    the included acts and, for each, its sources that may be included."""

    def evidence(act_ids: Collection[int]) -> dict[int, set[str]]:
        return {act_id: keys_by_act[act_id] for act_id in act_ids if act_id in keys_by_act}

    included = set(keys_by_act)
    options = {"evidence": evidence, "acts": included, "budget": PRINT}
    if kind == "person":
        view = chain.command_view(session, target_id, act_limit=0, subordinate_limit=0)
        diagram = chain_tree.person_tree(session, view, **options) if view.posts else None
        return DossierPictures(diagram, ())
    if kind == "organization":
        view = chain.organization_view(session, target_id, act_limit=0, subordinate_limit=0)
        run = figures.operated_facilities(session, [target_id, *tree.below(target_id)])
        return DossierPictures(
            chain_tree.organization_tree(session, view, **options), _marks(session, run, None)
        )
    view = chain.facility_view(session, target_id, act_limit=0, subordinate_limit=0)
    facility = session.get(Facility, target_id)
    diagram = chain_tree.organization_tree(session, view, **options)
    return DossierPictures(
        diagram if diagram.roots else None, _marks(session, [facility] if facility else [], target_id)
    )


def _marks(session: Session, facilities: list[Facility], highlight: int | None) -> tuple[MapFacility, ...]:
    return tuple(figures.map_facilities(session, facilities, highlight))
