"""What the chain-of-command diagram shows, before it is laid out: the diagrams of a person, an organization
or facility, and an act, as trees of cards (chain_cards.py) linked from the top of the chain down, each link
with the independent sources of the acts below it and whether its dates are known.

Who commands whom comes from reviewer/records/chain.py alone (its views and their scopes); this module only
chooses what to draw. Below the record, the tree keeps the branches that hold acts, folded and unfolded
within the diagram's :class:`Budget` (chain_folding.py), so that a minister with thousands of subordinates
becomes a few dozen cards that lead to the persons who did the acts. The persons' names and titles are read
once for all the cards (chain_names.py).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.records import chain, corroboration
from reviewer.records.chain_scope import Level
from reviewer.records.models import Act, Facility, Involvement
from reviewer.records.pictures.chain_cards import (
    PAGE,
    Budget,
    ChainNode,
    ChainTree,
    FacilityCard,
    OrganizationCard,
    PersonCard,
)
from reviewer.records.pictures.chain_folding import Folding, fold
from reviewer.records.pictures.chain_names import People, finish
from reviewer.records.record_names import facility_captions
from reviewer.records.tree import OrganizationTree

#: Degrees of involvement that are command, not execution: marked like a superior's post.
COMMAND_DEGREES = ("ordered", "planned", "superior_failed", "failed_to_prevent")


#: Source keys of acts, by act id, for a set of act ids (all evidence on pages; a dossier's only what its
#: consent allows).
Evidence = Callable[[Collection[int]], dict[int, set[str]]]


def all_evidence(session: Session) -> Evidence:
    return lambda act_ids: corroboration.evidence_keys(session, act_ids)


# ---- Organizations above a card ---------------------------------------------------------------------


def _heads(people: People, level: Level) -> tuple[PersonCard, ...]:
    return tuple(
        people.card(head.person_id, start=head.occupancy.start, end=head.occupancy.end, command=True)
        for head in level.heads
    )


def _upward(people: People, above: list[Level], node: ChainNode, sources: int | None) -> ChainNode:
    """``node`` under the organizations above it (nearest first in ``above``), each with its heads."""
    for level in above:
        organization = level.organization
        card = OrganizationCard(
            organization.id, organization.name_ko, organization.name_en, _heads(people, level)
        )
        node = ChainNode(card, (node,), sources=sources)
    # The top card has no link above it.
    return replace(node, sources=None)


# ---- The diagrams --------------------------------------------------------------------------------------


def _keys_for(evidence: Evidence, acts: Collection[int]) -> dict[int, set[str]]:
    return evidence(set(acts)) if acts else {}


def _restricted(acts_of: dict[int, set[int]], allowed: Collection[int] | None) -> dict[int, set[int]]:
    if allowed is None:
        return acts_of
    keep = set(allowed)
    return {occupancy: acts & keep for occupancy, acts in acts_of.items() if acts & keep}


def _own_acts(session: Session, person_id: int, period: tuple) -> set[int]:
    """The acts the person took part in, in the period."""
    return set(
        session.scalars(
            select(Act.id)
            .join(Involvement, Involvement.act_id == Act.id)
            .where(Involvement.person_id == person_id, Act.date_lo <= period[1], Act.date_hi >= period[0])
        )
    )


def person_tree(
    session: Session,
    view: chain.CommandView,
    *,
    evidence: Evidence | None = None,
    acts: Collection[int] | None = None,
    budget: Budget = PAGE,
) -> ChainTree:
    """The diagram of a person's chain of command, one tree per post they held: the organizations above
    with their heads in office during the tenure, the person, and the branches below with acts in the
    period. ``acts`` keeps only those acts (a dossier's); ``evidence`` gives their sources."""
    evidence = evidence or all_evidence(session)
    tree = OrganizationTree.load(session)
    people = People()
    roots = []
    posts = act_total = left_out = 0
    for post in view.posts:
        scope = post.scope
        assert scope is not None
        acts_of = _restricted(scope.acts_of, acts)
        own = _own_acts(session, view.person_id, (post.occupancy.start_lo, post.occupancy.end_hi))
        if acts is not None:
            own &= set(acts)
        below = set().union(*acts_of.values()) if acts_of else set()
        keys = _keys_for(evidence, below | own)
        folding = Folding(scope, tree, acts_of, keys, people)
        position, organization = post.position, post.organization
        target = people.card(
            view.person_id,
            title_ko=position.title_ko,
            title_en=position.title_en,
            organization_ko=organization.name_ko if position.is_head else None,
            organization_en=organization.name_en if position.is_head else None,
            start=post.occupancy.start,
            end=post.occupancy.end,
            acts=len(own),
            acts_below=len(below),
            command=bool(position.is_head) or bool(below),
            target=True,
        )
        undated = post.occupancy.start is None and post.occupancy.end is None
        all_sources = folding.sources(below | own)

        make = partial(
            _commander, folding, post.organization.id, budget, ChainNode(target, (), all_sources, undated)
        )
        node = fold(make, folding, budget, fixed_cards=len(post.above))
        roots.append(_upward(people, post.above, node, all_sources))
        posts += post.subordinate_count
        act_total += len(below)
        left_out += sum(1 for row in scope.rows if not acts_of.get(row.occupancy_id))
    return finish(session, people, ChainTree(tuple(roots), posts, act_total, left_out))


def _commander(
    folding: Folding, organization_id: int, budget: Budget, node: ChainNode, expanded: set[int]
) -> ChainNode:
    """A person's card with the branches under their post, those in ``expanded`` unfolded."""
    return replace(node, children=folding.below(organization_id, expanded, budget, heads_shown=False))


def organization_tree(
    session: Session,
    view: chain.OrganizationView,
    *,
    evidence: Evidence | None = None,
    acts: Collection[int] | None = None,
    budget: Budget = PAGE,
) -> ChainTree:
    """The diagram of an organization (or of the facility it operates, when ``view`` is a facility's):
    the organizations above with their heads, the organization with its heads, and its branches with acts;
    a facility's card hangs under its operator."""
    evidence = evidence or all_evidence(session)
    people = People()
    facility = view.facility
    facility_acts: set[int] = set()
    if facility is not None:
        facility_acts = set(session.scalars(select(Act.id).where(Act.facility_id == facility.id)))
        if acts is not None:
            facility_acts &= set(acts)
    if view.organization is None or view.scope is None:
        if facility is None:
            return ChainTree(())
        keys = _keys_for(evidence, facility_acts)
        card = _facility_card(session, facility, len(facility_acts))
        root = ChainNode(card, sources=len(set().union(*keys.values())) if keys else 0)
        return ChainTree((replace(root, sources=None),), acts=len(facility_acts))
    tree = OrganizationTree.load(session)
    scope = view.scope
    acts_of = _restricted(scope.acts_of, acts)
    below = set().union(*acts_of.values()) if acts_of else set()
    keys = _keys_for(evidence, below | facility_acts)
    folding = Folding(scope, tree, acts_of, keys, people)
    organization = view.organization
    heads = tuple(
        people.card(row.person_id, start=row.start, end=row.end, command=True)
        for row in folding.rows_in.get(organization.id, ())
        if row.is_head
    )
    card = OrganizationCard(
        organization.id, organization.name_ko, organization.name_en, heads, target=facility is None
    )
    extra: tuple[ChainNode, ...] = ()
    if facility is not None:
        facility_card = _facility_card(session, facility, len(facility_acts))
        extra = (ChainNode(facility_card, sources=folding.sources(facility_acts)),)
    all_sources = folding.sources(below | facility_acts)

    def make(expanded: set[int]) -> ChainNode:
        children = extra + folding.below(organization.id, expanded, budget, heads_shown=True)
        return ChainNode(card, children, sources=all_sources)

    node = fold(make, folding, budget, fixed_cards=len(view.above))
    root = _upward(people, view.above, node, all_sources)
    left_out = sum(1 for row in scope.rows if not acts_of.get(row.occupancy_id) and not row.is_head)
    return finish(
        session, people, ChainTree((root,), view.subordinate_count, len(below | facility_acts), left_out)
    )


def _facility_card(session: Session, facility: Facility, acts: int) -> FacilityCard:
    name = facility_captions(session, [facility.id])[facility.id]
    return FacilityCard(facility.id, name, facility.kind, acts)


def act_tree(session: Session, view: chain.ActView) -> ChainTree:
    """The diagram of one act: from the heads in office at its date, down through the organizations, to
    the persons who took part, each in the post they held then; a link to a person carries the independent
    sources of that person's part in the act."""
    people = People()
    act = view.act
    act_sources = corroboration.act_support(session, [act.id]).get(act.id, corroboration.Support()).sources
    part_sources = corroboration.involvement_support(session, {post.involvement_id for post in view.involved})
    #: The organizations drawn, as a trie: (parent key, organization id) -> children.
    tops: list[_Trie] = []
    loose: list[ChainNode] = []
    for post in view.involved:
        command = post.degree in COMMAND_DEGREES or bool(post.position and post.position.is_head)
        card = people.card(
            post.person_id,
            title_ko=post.position.title_ko if post.position else None,
            title_en=post.position.title_en if post.position else None,
            start=post.occupancy.start if post.occupancy else None,
            end=post.occupancy.end if post.occupancy else None,
            command=command,
            degree=post.degree,
            no_post=post.occupancy is None,
            organization_ko=post.organization.name_ko if post.position and post.position.is_head else None,
            organization_en=post.organization.name_en if post.position and post.position.is_head else None,
        )
        undated = act.undated or (
            post.occupancy is not None and post.occupancy.start is None and post.occupancy.end is None
        )
        node = ChainNode(
            card,
            sources=part_sources.get(post.involvement_id, corroboration.Support()).sources,
            undated=undated,
        )
        if not post.above:
            loose.append(node)
            continue
        levels = list(reversed(post.above))
        branch = _Trie.find(tops, levels[0], people)
        for level in levels[1:]:
            branch = _Trie.find(branch.children, level, people)
        branch.persons.append(node)
    roots = tuple(trie.node(act_sources, act.undated) for trie in tops) + tuple(loose)
    return finish(
        session,
        people,
        ChainTree(tuple(replace(root, sources=None) for root in roots), acts=1, act_id=act.id),
    )


@dataclass
class _Trie:
    """An organization on the way down to the persons of an act, shared by every path through it."""

    level: Level
    heads: dict[int, PersonCard]
    children: list[_Trie] = field(default_factory=list)
    persons: list[ChainNode] = field(default_factory=list)

    @classmethod
    def find(cls, siblings: list[_Trie], level: Level, people: People) -> _Trie:
        for sibling in siblings:
            if sibling.level.organization.id == level.organization.id:
                for head in _heads(people, level):
                    sibling.heads.setdefault(head.person_id, head)
                return sibling
        made = cls(level, {head.person_id: head for head in _heads(people, level)})
        siblings.append(made)
        return made

    def node(self, sources: int, undated: bool) -> ChainNode:
        organization = self.level.organization
        card = OrganizationCard(
            organization.id, organization.name_ko, organization.name_en, tuple(self.heads.values())
        )
        children = tuple(self.persons) + tuple(child.node(sources, undated) for child in self.children)
        return ChainNode(card, children, sources=sources, undated=undated)
