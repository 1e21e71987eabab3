"""What the chain-of-command diagram shows, before it is laid out: cards (organizations with their heads,
persons in their posts, branches folded with their counts) linked from the top of the chain down, each link
with the independent sources of the acts below it and whether its dates are known.

Who commands whom comes from reviewer/records/chain.py alone (its views and their scopes); this module only
chooses what to draw. Below the record, the tree keeps the branches that hold acts: a branch starts folded
(one card: its name, the posts held in it and their acts) and the branches with most acts are unfolded while
the drawing stays within its :class:`Budget`, so that a minister with thousands of subordinates becomes a
few dozen cards that lead to the persons who did the acts. Cards hold both languages' forms; the layout
picks the words.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field, replace
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.records import chain, corroboration
from reviewer.records.models import Act, Facility, Involvement, PersonName, Position
from reviewer.records.record_names import facility_captions
from reviewer.records.tree import OrganizationTree

#: Degrees of involvement that are command, not execution: marked like a superior's post.
COMMAND_DEGREES = ("ordered", "planned", "superior_failed", "failed_to_prevent")


@dataclass(frozen=True)
class Budget:
    """How much one diagram may show: cards in all, children under one card (the rest fold into one
    card), and columns side by side."""

    cards: int
    per_card: int
    columns: int


PAGE = Budget(cards=36, per_card=8, columns=5)
PRINT = Budget(cards=24, per_card=6, columns=3)


@dataclass(frozen=True)
class PersonCard:
    """A person in a post (``no_post``: none recorded at the time), with the acts they answer for in it."""

    person_id: int
    hangul: str
    romanized: str | None
    title_ko: str | None = None
    title_en: str | None = None
    #: The post's organization, when the card above is not that organization.
    organization_ko: str | None = None
    organization_en: str | None = None
    start: str | None = None
    end: str | None = None
    #: Acts the person took part in, in the period.
    acts: int = 0
    #: For the record itself: acts of the persons under their command in the period.
    acts_below: int = 0
    command: bool = False
    target: bool = False
    degree: str | None = None
    no_post: bool = False
    #: The post, when its title is still to be read (filled before the tree is handed out).
    position_id: int | None = None


@dataclass(frozen=True)
class OrganizationCard:
    organization_id: int
    name_ko: str
    name_en: str | None
    #: The heads in office at the time, each with their tenure.
    heads: tuple[PersonCard, ...] = ()
    target: bool = False


@dataclass(frozen=True)
class BranchCard:
    """An organization folded with everything below it; or (``organization_id`` ``None``) the rest of a
    card's children folded together: ``branches`` organizations and ``persons`` persons."""

    organization_id: int | None
    name_ko: str | None
    name_en: str | None
    posts: int
    acts: int
    branches: int = 0
    persons: int = 0


@dataclass(frozen=True)
class FacilityCard:
    facility_id: int
    name: str
    kind: str
    acts: int
    target: bool = True


Card = PersonCard | OrganizationCard | BranchCard | FacilityCard


@dataclass(frozen=True)
class ChainNode:
    """A card and the cards below it; ``sources`` and ``undated`` describe the link from the card above."""

    card: Card
    children: tuple[ChainNode, ...] = ()
    #: Independent sources of the acts below this link (``None``: not counted, as for a structural link).
    sources: int | None = None
    #: The post that makes this link was held at dates not known (or the act's date is not known).
    undated: bool = False

    def walk(self) -> Iterator[ChainNode]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class ChainTree:
    """The diagram's content: one tree per post of a person (or one for an organization, a facility, an
    act), with what it stands for in numbers."""

    roots: tuple[ChainNode, ...]
    #: Posts held under the record, acts they answer for, and posts left out for want of acts.
    posts: int = 0
    acts: int = 0
    left_out: int = 0
    act_id: int | None = None

    def cards(self) -> Iterator[Card]:
        for root in self.roots:
            for node in root.walk():
                yield node.card

    def persons(self) -> list[PersonCard]:
        """Every person drawn: on their own cards and as heads of organizations."""
        found = []
        for card in self.cards():
            if isinstance(card, PersonCard):
                found.append(card)
            elif isinstance(card, OrganizationCard):
                found.extend(card.heads)
        return found


def leaf(node: ChainNode) -> bool:
    return not node.children


def columns(node: ChainNode) -> int:
    """The columns a subtree takes: its leaf children share one (they are stacked), every other child
    takes its own."""
    if not node.children:
        return 1
    stacked = 1 if any(leaf(child) for child in node.children) else 0
    return max(1, stacked + sum(columns(child) for child in node.children if not leaf(child)))


#: Source keys of acts, by act id, for a set of act ids (all evidence on pages; a dossier's only what its
#: consent allows).
Evidence = Callable[[Collection[int]], dict[int, set[str]]]


def all_evidence(session: Session) -> Evidence:
    return lambda act_ids: corroboration.evidence_keys(session, act_ids)


# ---- Names ------------------------------------------------------------------------------------------------


def _names(session: Session, person_ids: Collection[int]) -> dict[int, tuple[str, str | None]]:
    """Each person's Hangul name and a romanized one (DPRK spelling first), from their primary names."""
    order = {"hangul": 0, "dprk": 1, "rr": 2, "lc": 3}
    rows: dict[int, list[tuple[int, int, str, str]]] = {}
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), 500):
        for person_id, name, style, kind, row_id in session.execute(
            select(
                PersonName.person_id, PersonName.name, PersonName.style, PersonName.kind, PersonName.id
            ).where(PersonName.person_id.in_(ids[start : start + 500]))
        ):
            rank = (0 if kind == "primary" else 1) * 10 + order.get(style, 4)
            rows.setdefault(person_id, []).append((rank, row_id, name, style))
    found: dict[int, tuple[str, str | None]] = {}
    for person_id in ids:
        names = sorted(rows.get(person_id, []))
        hangul = next((name for _r, _i, name, style in names if style == "hangul"), None)
        romanized = next((name for _r, _i, name, style in names if style != "hangul"), None)
        found[person_id] = (hangul or romanized or f"#{person_id}", romanized if hangul else None)
    return found


class _People:
    """Person cards, named once all are known: cards are made with placeholders, then filled."""

    def __init__(self) -> None:
        self.wanted: set[int] = set()

    def card(self, person_id: int, **fields: object) -> PersonCard:
        self.wanted.add(person_id)
        return PersonCard(person_id, "", None, **fields)  # type: ignore[arg-type]

    def fill(self, session: Session, tree: ChainTree) -> ChainTree:
        names = _names(session, self.wanted)

        def named(card: PersonCard) -> PersonCard:
            hangul, romanized = names.get(card.person_id, (f"#{card.person_id}", None))
            return replace(card, hangul=hangul, romanized=romanized)

        def visit(node: ChainNode) -> ChainNode:
            card = node.card
            if isinstance(card, PersonCard):
                card = named(card)
            elif isinstance(card, OrganizationCard):
                card = replace(card, heads=tuple(named(head) for head in card.heads))
            return replace(node, card=card, children=tuple(visit(child) for child in node.children))

        return replace(tree, roots=tuple(visit(root) for root in tree.roots))


def _heads(people: _People, level: chain.Level) -> tuple[PersonCard, ...]:
    return tuple(
        people.card(head.person_id, start=head.occupancy.start, end=head.occupancy.end, command=True)
        for head in level.heads
    )


def _upward(people: _People, above: list[chain.Level], node: ChainNode, sources: int | None) -> ChainNode:
    """``node`` under the organizations above it (nearest first in ``above``), each with its heads."""
    for level in above:
        organization = level.organization
        card = OrganizationCard(
            organization.id, organization.name_ko, organization.name_en, _heads(people, level)
        )
        node = ChainNode(card, (node,), sources=sources)
    # The top card has no link above it.
    return replace(node, sources=None)


# ---- Below a record: the scope folded into branches ------------------------------------------------------


@dataclass
class _Folding:
    """A command scope grouped by organization, with the acts (and their sources) below each."""

    scope: chain.CommandScope
    tree: OrganizationTree
    acts_of: dict[int, set[int]]
    keys: dict[int, set[str]]
    people: _People
    rows_in: dict[int, list[chain.ScopeRow]] = field(default_factory=dict)
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

    def keys_of(self, row: chain.ScopeRow) -> set[str]:
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

    def person(self, row: chain.ScopeRow) -> ChainNode:
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


def _fold(
    make: Callable[[set[int]], ChainNode], folding: _Folding, budget: Budget, fixed_cards: int
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
    people = _People()
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
        folding = _Folding(scope, tree, acts_of, keys, people)
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
        node = _fold(make, folding, budget, fixed_cards=len(post.above))
        roots.append(_upward(people, post.above, node, all_sources))
        posts += post.subordinate_count
        act_total += len(below)
        left_out += sum(1 for row in scope.rows if not acts_of.get(row.occupancy_id))
    return _finish(session, people, ChainTree(tuple(roots), posts, act_total, left_out))


def _commander(
    folding: _Folding, organization_id: int, budget: Budget, node: ChainNode, expanded: set[int]
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
    people = _People()
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
    folding = _Folding(scope, tree, acts_of, keys, people)
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

    node = _fold(make, folding, budget, fixed_cards=len(view.above))
    root = _upward(people, view.above, node, all_sources)
    left_out = sum(1 for row in scope.rows if not acts_of.get(row.occupancy_id) and not row.is_head)
    return _finish(
        session, people, ChainTree((root,), view.subordinate_count, len(below | facility_acts), left_out)
    )


def _facility_card(session: Session, facility: Facility, acts: int) -> FacilityCard:
    name = facility_captions(session, [facility.id])[facility.id]
    return FacilityCard(facility.id, name, facility.kind, acts)


def act_tree(session: Session, view: chain.ActView) -> ChainTree:
    """The diagram of one act: from the heads in office at its date, down through the organizations, to
    the persons who took part, each in the post they held then; a link to a person carries the independent
    sources of that person's part in the act."""
    people = _People()
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
    return _finish(
        session,
        people,
        ChainTree(tuple(replace(root, sources=None) for root in roots), acts=1, act_id=act.id),
    )


@dataclass
class _Trie:
    """An organization on the way down to the persons of an act, shared by every path through it."""

    level: chain.Level
    heads: dict[int, PersonCard]
    children: list[_Trie] = field(default_factory=list)
    persons: list[ChainNode] = field(default_factory=list)

    @classmethod
    def find(cls, siblings: list[_Trie], level: chain.Level, people: _People) -> _Trie:
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


def _finish(session: Session, people: _People, tree: ChainTree) -> ChainTree:
    """Name every person and title every subordinate's post (read once for all the cards drawn)."""
    tree = people.fill(session, tree)
    wanted = {card.position_id for card in tree.cards() if isinstance(card, PersonCard) and card.position_id}
    if not wanted:
        return tree
    titles = {
        position.id: position for position in session.scalars(select(Position).where(Position.id.in_(wanted)))
    }

    def visit(node: ChainNode) -> ChainNode:
        card = node.card
        if isinstance(card, PersonCard) and card.position_id in titles:
            position = titles[card.position_id]
            card = replace(card, title_ko=position.title_ko, title_en=position.title_en, position_id=None)
        return replace(node, card=card, children=tuple(visit(child) for child in node.children))

    return replace(tree, roots=tuple(visit(root) for root in tree.roots))
