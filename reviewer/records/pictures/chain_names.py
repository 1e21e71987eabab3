"""Names and titles on the chain-of-command diagram's person cards: cards are made with placeholders while the
tree is built (:class:`People`), then named and titled with one read for all the cards drawn
(:func:`finish`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.records.models import PersonName, Position
from reviewer.records.pictures.chain_cards import ChainNode, ChainTree, OrganizationCard, PersonCard


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


class People:
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


def finish(session: Session, people: People, tree: ChainTree) -> ChainTree:
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
