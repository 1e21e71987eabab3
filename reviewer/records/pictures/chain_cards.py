"""The chain-of-command diagram's content as data: the cards (organizations with their heads, persons in their
posts, folded branches, a facility), the tree that links them from the top of the chain down, and the
:class:`Budget` that bounds how much one diagram shows.

reviewer/records/pictures/chain_tree.py fills these from the chain of command; chain_layout.py places them
and the PDF export prints them. Cards hold both languages' forms; the layout picks the words.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


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
