"""Below a record in the chain-of-command diagram: the command scope grouped by organization into branches
that start folded (one card: its name, the posts held in it and their acts), and the branches with most acts
unfolded while the drawing stays within its :class:`Budget`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from reviewer.records.chain_scope import CommandScope, ScopeRow
from reviewer.records.pictures.chain_cards import BranchCard, Budget, ChainNode, OrganizationCard, columns
from reviewer.records.pictures.chain_names import People
from reviewer.records.tree import OrganizationTree


@dataclass
class Folding:
    """A command scope grouped by organization, with the acts (and their sources) below each."""

    scope: CommandScope
    tree: OrganizationTree
    acts_of: dict[int, set[int]]
    keys: dict[int, set[str]]
    people: People
    rows_in: dict[int, list[ScopeRow]] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=dict)
    acts_below: dict[int, set[int]] = field(default_factory=dict)
    posts_below: dict[int, int] = field(default_factory=dict)
    #: Source keys of the acts below each organization, and of each occupancy's acts.
    keys_below: dict[int, set[str]] = field(default_factory=dict)
    row_keys: dict[int, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        top = self.scope.organization_id
        for row in self.scope.rows:
            self.rows_in.setdefault(row.organization_id, []).append(row)
        inside = {top, *self.tree.below(top)}
        for organization_id in inside:
            parent = self.tree.by_id[organization_id].parent_id
            if organization_id != top and parent in inside:
                self.children.setdefault(parent, []).append(organization_id)
        self._total(top)

    def _total(self, organization_id: int) -> None:
        # Iterative post-order: organization trees are shallow, but a walk must not depend on it.
        order, stack = [], [organization_id]
        while stack:
            current = stack.pop()
            order.append(current)
            stack.extend(self.children.get(current, ()))
        for current in reversed(order):
            acts: set[int] = set()
            keys: set[str] = set()
            posts = 0
            for row in self.rows_in.get(current, ()):
                own = self.acts_of.get(row.occupancy_id, set())
                acts |= own
                keys |= self.keys_of(row)
                posts += 1
            for child in self.children.get(current, ()):
                acts |= self.acts_below[child]
                keys |= self.keys_below[child]
                posts += self.posts_below[child]
            self.acts_below[current] = acts
            self.keys_below[current] = keys
            self.posts_below[current] = posts

    def keys_of(self, row: ScopeRow) -> set[str]:
        if row.occupancy_id not in self.row_keys:
            self.row_keys[row.occupancy_id] = self.sources_of(self.acts_of.get(row.occupancy_id, ()))
        return self.row_keys[row.occupancy_id]

    def sources_of(self, acts: Collection[int]) -> set[str]:
        found: set[str] = set()
        for act_id in acts:
            found |= self.keys.get(act_id, set())
        return found

    def sources(self, acts: Collection[int]) -> int:
        return len(self.sources_of(acts))

    def person(self, row: ScopeRow) -> ChainNode:
        acts = self.acts_of.get(row.occupancy_id, set())
        card = self.people.card(
            row.person_id,
            start=row.start,
            end=row.end,
            acts=len(acts),
            command=bool(row.is_head),
            position_id=row.position_id,
        )
        return ChainNode(card, sources=len(self.keys_of(row)), undated=row.start is None and row.end is None)

    def branch(self, organization_id: int) -> ChainNode:
        organization = self.tree.by_id[organization_id]
        acts = self.acts_below[organization_id]
        card = BranchCard(
            organization_id,
            organization.name_ko,
            organization.name_en,
            self.posts_below[organization_id],
            len(acts),
        )
        return ChainNode(card, sources=len(self.keys_below[organization_id]))

    def below(
        self, organization_id: int, expanded: set[int], budget: Budget, *, heads_shown: bool
    ) -> tuple[ChainNode, ...]:
        """The cards under an organization's (or the record's) card: the persons with acts in it, then its
        branches with acts, most acts first; an unfolded branch with its own cards below."""
        persons = [
            row
            for row in self.rows_in.get(organization_id, ())
            if self.acts_of.get(row.occupancy_id) and not (heads_shown and row.is_head)
        ]
        persons.sort(key=lambda row: (-len(self.acts_of[row.occupancy_id]), row.occupancy_id))
        branches = [child for child in self.children.get(organization_id, ()) if self.acts_below[child]]
        branches.sort(key=lambda child: (-len(self.acts_below[child]), child))
        shown: list[tuple[str, object]] = [("person", row) for row in persons] + [
            ("branch", b) for b in branches
        ]
        rest: list[tuple[str, object]] = []
        if len(shown) > budget.per_card:
            shown, rest = shown[: budget.per_card - 1], shown[budget.per_card - 1 :]
        nodes = []
        for what, item in shown:
            if what == "person":
                nodes.append(self.person(item))  # type: ignore[arg-type]
            elif item in expanded:
                nodes.append(self.unfolded(item, expanded, budget))  # type: ignore[arg-type]
            else:
                nodes.append(self.branch(item))  # type: ignore[arg-type]
        if rest:
            acts: set[int] = set()
            keys: set[str] = set()
            posts = 0
            for what, item in rest:
                if what == "person":
                    acts |= self.acts_of[item.occupancy_id]  # type: ignore[union-attr]
                    keys |= self.keys_of(item)  # type: ignore[arg-type]
                    posts += 1
                else:
                    acts |= self.acts_below[item]  # type: ignore[index]
                    keys |= self.keys_below[item]  # type: ignore[index]
                    posts += self.posts_below[item]  # type: ignore[index]
            card = BranchCard(
                None,
                None,
                None,
                posts,
                len(acts),
                branches=sum(1 for what, _item in rest if what == "branch"),
                persons=sum(1 for what, _item in rest if what == "person"),
            )
            nodes.append(ChainNode(card, sources=len(keys)))
        return tuple(nodes)

    def unfolded(self, organization_id: int, expanded: set[int], budget: Budget) -> ChainNode:
        organization = self.tree.by_id[organization_id]
        heads = tuple(
            self.people.card(row.person_id, start=row.start, end=row.end, command=True)
            for row in self.rows_in.get(organization_id, ())
            if row.is_head
        )
        card = OrganizationCard(organization.id, organization.name_ko, organization.name_en, heads)
        children = self.below(organization_id, expanded, budget, heads_shown=True)
        return ChainNode(card, children, sources=len(self.keys_below[organization_id]))


def fold(
    make: Callable[[set[int]], ChainNode], folding: Folding, budget: Budget, fixed_cards: int
) -> ChainNode:
    """The tree ``make`` builds with the branches unfolded that fit the budget, most acts first."""
    expanded: set[int] = set()
    tried: set[int] = set()
    best = make(expanded)
    while True:
        folded = [
            node.card
            for node in best.walk()
            if isinstance(node.card, BranchCard) and node.card.organization_id is not None
        ]
        candidates = [card for card in folded if card.organization_id not in tried]
        if not candidates:
            return best
        chosen = max(candidates, key=lambda card: (card.acts, -(card.organization_id or 0)))
        assert chosen.organization_id is not None
        tried.add(chosen.organization_id)
        trial = make(expanded | {chosen.organization_id})
        if sum(1 for _ in trial.walk()) + fixed_cards <= budget.cards and columns(trial) <= budget.columns:
            expanded.add(chosen.organization_id)
            best = trial
