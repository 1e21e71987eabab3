"""The chain of command a dossier states: the organizations from its target up, the heads above in office
at the time, and the persons below, by reviewer/records/chain.py's rules (a head commands their own
organization and everything below; any other post, the organizations below)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from reviewer.exports.dossier_reading import Captions, above, by_id, overlap, posts, ref
from reviewer.exports.model import OrganizationRef, PostHeld, Target
from reviewer.records.models import Occupancy, Position
from reviewer.records.tree import OrganizationTree


def chain_of_command(
    session: Session,
    kind: str,
    target: Target,
    tree: OrganizationTree,
    captions: Captions,
    period: tuple[date, date],
) -> tuple[tuple[OrganizationRef, ...], tuple[PostHeld, ...], tuple[PostHeld, ...]]:
    """(organizations from the target up, the heads above in office at the time, the persons below)."""
    if kind == "person":
        return _person_chain(session, target, tree, captions)
    if target.organization is None:  # a facility no organization is recorded to operate
        return (), (), ()
    org_id = target.organization.id
    up = [org_id, *above(tree, org_id)] if kind == "facility" else above(tree, org_id)
    heads_of = [org_id, *above(tree, org_id)]
    superiors = posts(
        session, [Position.organization_id.in_(heads_of), Position.is_head, *overlap(period)], tree, captions
    )
    below = [org_id, *tree.below(org_id)]
    subordinates = posts(
        session,
        [Position.organization_id.in_(below), *overlap(period)],
        tree,
        captions,
    )
    subordinates = [post for post in subordinates if not (post.is_head and post.organization.id == org_id)]
    return tuple(ref(tree, o) for o in up), tuple(superiors), tuple(subordinates)


def _person_chain(
    session: Session, target: Target, tree: OrganizationTree, captions: Captions
) -> tuple[tuple[OrganizationRef, ...], tuple[PostHeld, ...], tuple[PostHeld, ...]]:
    up: list[int] = []
    superiors: dict[int, PostHeld] = {}
    subordinates: dict[int, PostHeld] = {}
    occupancies = by_id(session, Occupancy, {post.occupancy_id for post in target.posts})
    for post in target.posts:
        occupancy = occupancies[post.occupancy_id]
        tenure = (occupancy.start_lo, occupancy.end_hi)
        org_id = post.organization.id
        for org in [org_id, *above(tree, org_id)]:
            if org not in up:
                up.append(org)
        heads_of = above(tree, org_id) if post.is_head else [org_id, *above(tree, org_id)]
        for held in posts(
            session,
            [Position.organization_id.in_(heads_of), Position.is_head, *overlap(tenure)],
            tree,
            captions,
        ):
            if held.person_id != target.id:
                superiors.setdefault(held.occupancy_id, held)
        commanded = [org_id, *tree.below(org_id)] if post.is_head else tree.below(org_id)
        if commanded:
            for held in posts(
                session, [Position.organization_id.in_(commanded), *overlap(tenure)], tree, captions
            ):
                if held.person_id != target.id:
                    subordinates.setdefault(held.occupancy_id, held)
    return (
        tuple(ref(tree, o) for o in up),
        tuple(superiors.values()),
        tuple(subordinates.values()),
    )
