"""The chain-of-command diagram laid out: a layered tree from the top down, cards of a fixed width with their
text wrapped inside (Korean at spaces), and links from each card to those below it.

Children that have children of their own stand side by side under a bus line; children that do not (most
of them: persons, folded branches) are stacked in one column beside them, hanging from a trunk, so that a
card with eight persons below takes one column, not eight. Every subtree owns a band of columns no other
subtree enters, and every text stays inside its card or, for a link's number, in the gap the link crosses:
no two text boxes can overlap, which tests check on the scene itself.

A link's number is the independent sources of the acts below it, and its thickness grows with them; a
link whose post was held at unknown dates is dashed; a triangle marks command responsibility; the record
itself is drawn in the accent colour; a folded branch looks like a small stack of cards.

Longer than most modules on purpose: it is one layout (measure, place, draw) whose steps share the style,
the boxes and the columns they own, and read best side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reviewer.records.pictures import text as metrics
from reviewer.records.pictures.chain_cards import (
    BranchCard,
    ChainNode,
    ChainTree,
    FacilityCard,
    OrganizationCard,
    PersonCard,
)
from reviewer.records.pictures.scene import (
    ACCENT,
    ACCENT_PALE,
    INK,
    LINE,
    MUTED,
    PALE,
    PAPER,
    Path,
    Rect,
    Scene,
    text,
)
from reviewer.records.pictures.words import PictureWords


@dataclass(frozen=True)
class Style:
    size: float
    small: float
    card_width: float
    padding: float
    gap: float
    layer_gap: float
    stack_gap: float
    indent: float
    line: float
    dash: tuple[float, float]
    margin: float
    max_heads: int = 4


#: On a page, in CSS pixels; in a PDF, in points (scaled to the page if need be).
PAGE = Style(size=12, small=10.5, card_width=196, padding=6, gap=20, layer_gap=38, stack_gap=10, indent=40,
             line=1.2, dash=(5, 3), margin=8)  # fmt: skip
PRINT = Style(size=7.5, small=6.5, card_width=128, padding=4, gap=10, layer_gap=24, stack_gap=6, indent=26,
              line=0.7, dash=(3, 2), margin=4)  # fmt: skip

#: Where a stacked card's link meets it, below its top edge; and the trunk, right of the column's edge.
_STUB_DOWN = 0.95
_TRUNK = 0.25


@dataclass
class _Line:
    text: str
    bold: bool = False
    muted: bool = False
    marker: bool = False
    #: Set after a marker's room (every line of a marked name).
    indent: bool = False


@dataclass
class _Box:
    node: ChainNode
    depth: int
    lines: list[_Line]
    height: float
    children: list[_Box] = field(default_factory=list)
    width: float = 0.0
    x: float = 0.0
    y: float = 0.0
    stacked: bool = False

    @property
    def leaf(self) -> bool:
        return not self.children


class ChainLayout:
    """Lays out one :class:`ChainTree` in one style and one language."""

    def __init__(self, words: PictureWords, style: Style = PAGE) -> None:
        self.words = words
        self.style = style

    # ---- Cards -----------------------------------------------------------------------------------------

    def _wrap(
        self, value: str, *, bold: bool = False, muted: bool = False, marker: bool = False, lines: int = 3
    ) -> list[_Line]:
        style = self.style
        size = style.size if bold else style.small
        room = style.card_width - 2 * style.padding - (self._marker_room if marker else 0)
        wrapped = metrics.wrap(value, room, size, bold, max_lines=lines)
        return [_Line(part, bold, muted, marker and index == 0, marker) for index, part in enumerate(wrapped)]

    @property
    def _marker_room(self) -> float:
        return self.style.size * 0.95

    def _person_lines(self, card: PersonCard, *, head: bool = False) -> list[_Line]:
        say = self.words
        name = card.hangul if not card.romanized else f"{card.hangul} · {card.romanized}"
        found = self._wrap(name, bold=not head, marker=card.command)
        if card.no_post:
            found += self._wrap(say("no_post_at_time"), muted=True, lines=2)
        elif card.title_ko or card.organization_ko:
            title = say.name(card.title_ko or "", card.title_en) if card.title_ko else ""
            organization = (
                say.name(card.organization_ko, card.organization_en) if card.organization_ko else ""
            )
            found += self._wrap(", ".join(part for part in (title, organization) if part), lines=3)
        if not card.no_post:
            found += self._wrap(say.period(card.start, card.end), muted=True, lines=1)
        if card.degree:
            found += self._wrap(say.code("degrees", card.degree), lines=2)
        if card.acts:
            found += self._wrap(say.count("acts", card.acts), lines=1)
        if card.acts_below:
            found += self._wrap(say.count("acts_below", card.acts_below), lines=2)
        return found

    def _card_lines(self, node: ChainNode) -> list[_Line]:
        say = self.words
        card = node.card
        if isinstance(card, PersonCard):
            return self._person_lines(card)
        if isinstance(card, OrganizationCard):
            found = self._wrap(say.name(card.name_ko, card.name_en), bold=True)
            heads = card.heads[: self.style.max_heads]
            for head in heads:
                found += self._person_lines(head, head=True)
            if len(card.heads) > len(heads):
                found += self._wrap(
                    say.count("more_persons", len(card.heads) - len(heads)), muted=True, lines=1
                )
            if not card.heads:
                found += self._wrap(say("no_head"), muted=True, lines=1)
            return found
        if isinstance(card, FacilityCard):
            return (
                self._wrap(card.name, bold=True)
                + self._wrap(say.code("facilities", card.kind), lines=2)
                + self._wrap(say.count("acts", card.acts), lines=1)
            )
        assert isinstance(card, BranchCard)
        if card.organization_id is not None:
            found = self._wrap(say.name(card.name_ko or "", card.name_en), bold=True)
        else:
            found = []
            if card.branches:
                found += self._wrap(say.count("more_branches", card.branches), bold=True, lines=2)
            if card.persons:
                found += self._wrap(say.count("more_persons", card.persons), bold=not card.branches, lines=2)
        return found + self._wrap(
            f"{say.count('posts', card.posts)} · {say.count('acts', card.acts)}", lines=2
        )

    def _measure(self, node: ChainNode, depth: int) -> _Box:
        lines = self._card_lines(node)
        style = self.style
        height = 2 * style.padding + sum(
            metrics.line_height(style.size if line.bold else style.small) for line in lines
        )
        box = _Box(node, depth, lines, height)
        box.children = [self._measure(child, depth + 1) for child in node.children]
        for child in box.children:
            child.stacked = child.leaf
        return box

    # ---- Geometry --------------------------------------------------------------------------------------

    def _indent(self, box: _Box) -> float:
        """The room left of a stack for its trunk and the links' numbers."""
        widest = max(
            (
                metrics.width(self._number(child.node), self.style.small)
                for child in box.children
                if child.stacked
            ),
            default=0,
        )
        return max(self.style.indent, self.style.indent * _TRUNK + widest + 2 * self.style.padding)

    def _width(self, box: _Box) -> float:
        style = self.style
        if box.leaf:
            box.width = style.card_width
            return box.width
        items = []
        if any(child.stacked for child in box.children):
            items.append(self._indent(box) + style.card_width)
        items += [self._width(child) for child in box.children if not child.stacked]
        box.width = max(style.card_width, sum(items) + style.gap * (len(items) - 1))
        return box.width

    def _place(self, box: _Box, x: float, tops: dict[int, float]) -> None:
        """Place the subtree in the band of columns from ``x``: children first, then the card over them
        (over the middle of the cards side by side, or left, above its stack's trunk)."""
        style = self.style
        box.y = tops[box.depth]
        stack = [child for child in box.children if child.stacked]
        spread = [child for child in box.children if not child.stacked]
        indent = self._indent(box) if stack else 0.0
        items_width = (indent + style.card_width if stack else 0) + sum(c.width for c in spread)
        items_width += style.gap * (len(spread) + (1 if stack else 0) - 1)
        row_x = x + (box.width - items_width) / 2 if spread else x
        centres = []
        if stack:
            y = (
                tops[box.depth]
                + self._layer_height(box.depth)
                + (style.layer_gap if spread else style.layer_gap * 0.45)
            )
            for child in stack:
                child.x = row_x + indent
                child.y = y
                y += child.height + style.stack_gap
            centres.append(row_x + indent * _TRUNK)
            row_x += indent + style.card_width + style.gap
        for child in spread:
            self._place(child, row_x, tops)
            centres.append(child.x + style.card_width / 2)
            row_x += child.width + style.gap
        if not spread:
            box.x = x
        else:
            middle = (min(centres) + max(centres)) / 2
            box.x = min(max(middle - style.card_width / 2, x), x + box.width - style.card_width)

    def _layer_height(self, depth: int) -> float:
        return self._heights.get(depth, 0.0)

    def _collect(self, box: _Box, heights: dict[int, float]) -> None:
        if not box.stacked:
            heights[box.depth] = max(heights.get(box.depth, 0.0), box.height)
        for child in box.children:
            self._collect(child, heights)

    # ---- Drawing ---------------------------------------------------------------------------------------

    def _number(self, node: ChainNode) -> str:
        return "" if node.sources is None else str(node.sources)

    def _weight(self, node: ChainNode) -> float:
        sources = node.sources or 0
        return self.style.line * (1 + 0.35 * min(sources, 10))

    def _draw_card(self, scene: Scene, box: _Box) -> None:
        style = self.style
        card = box.node.card
        target = getattr(card, "target", False)
        if isinstance(card, BranchCard):
            offset = style.padding * 0.6
            scene.add(
                Rect(
                    box.x + offset, box.y + offset, style.card_width, box.height, PALE, LINE, style.line * 0.8
                )
            )
        fill = ACCENT_PALE if target else (PALE if isinstance(card, BranchCard) else PAPER)
        stroke, width = (ACCENT, style.line * 2) if target else (LINE, style.line)
        scene.add(
            Rect(box.x, box.y, style.card_width, box.height, fill, stroke, width, radius=style.padding * 0.6)
        )
        y = box.y + style.padding
        for line in box.lines:
            size = style.size if line.bold else style.small
            x = box.x + style.padding
            if line.marker:
                scene.add(self._triangle(x, y + metrics.line_height(size) / 2, size))
            left = x + (self._marker_room if line.indent else 0)
            scene.add(text(left, y, line.text, size, bold=line.bold, fill=MUTED if line.muted else INK))
            y += metrics.line_height(size)

    def _triangle(self, x: float, middle: float, size: float) -> Path:
        half = size * 0.32
        return Path(
            ((x, middle + half), (x + 2 * half, middle + half), (x + half, middle - half)),
            stroke=None,
            fill=ACCENT,
            closed=True,
        )

    def _draw_links(self, scene: Scene, box: _Box) -> None:
        style = self.style
        if box.leaf:
            return
        bottom = box.y + box.height
        stack = [child for child in box.children if child.stacked]
        spread = [child for child in box.children if not child.stacked]
        if spread:
            bus = bottom + style.layer_gap * 0.35
            ends = [child.x + style.card_width / 2 for child in spread]
            trunk_x = None
            if stack:
                trunk_x = stack[0].x - self._indent(box) + self._indent(box) * _TRUNK
                ends.append(trunk_x)
            centre = box.x + style.card_width / 2
            scene.add(Path(((centre, bottom), (centre, bus)), LINE, style.line))
            scene.add(Path(((min(ends + [centre]), bus), (max(ends + [centre]), bus)), LINE, style.line))
            for child in spread:
                cx = child.x + style.card_width / 2
                self._link(scene, child.node, ((cx, bus), (cx, child.y)))
                self._label(scene, child.node, cx + style.padding * 0.5, bus, child.y, vertical=True)
            if stack and trunk_x is not None:
                self._stack_links(scene, stack, trunk_x, bus)
        elif stack:
            trunk_x = stack[0].x - self._indent(box) + self._indent(box) * _TRUNK
            self._stack_links(scene, stack, trunk_x, bottom)
        for child in spread:
            self._draw_links(scene, child)

    def _stack_links(self, scene: Scene, stack: list[_Box], trunk_x: float, top: float) -> None:
        style = self.style
        last = stack[-1].y + style.size * _STUB_DOWN
        scene.add(Path(((trunk_x, top), (trunk_x, last)), LINE, style.line))
        for child in stack:
            y = child.y + style.size * _STUB_DOWN
            self._link(scene, child.node, ((trunk_x, y), (child.x, y)))
            self._label(scene, child.node, trunk_x + style.padding * 0.5, y, child.x, vertical=False)

    def _link(self, scene: Scene, node: ChainNode, points: tuple) -> None:
        dash = self.style.dash if node.undated else None
        scene.add(Path(points, INK, self._weight(node), dash))

    def _label(
        self, scene: Scene, node: ChainNode, x: float, start: float, end: float, *, vertical: bool
    ) -> None:
        """The link's number: right of a vertical link, between its ends; above a horizontal one."""
        number = self._number(node)
        if not number:
            return
        size = self.style.small
        height = metrics.line_height(size)
        if vertical:
            y = start + (end - start - height) / 2
            scene.add(text(x + self._weight(node) / 2, y, number, size, bold=True, fill=INK))
        else:
            scene.add(text(x, start - height - self._weight(node) / 2, number, size, bold=True, fill=INK))

    # ---- The picture -----------------------------------------------------------------------------------

    def layout(self, tree: ChainTree, title: str, name: str = "chain") -> Scene:
        """The whole diagram: each tree under the one before, then the legend."""
        style = self.style
        boxes = [self._measure(root, 0) for root in tree.roots]
        width = max([self._width(box) for box in boxes] + [0])
        y = style.margin
        placed: list[tuple[_Box, dict[int, float]]] = []
        for box in boxes:
            heights: dict[int, float] = {}
            self._collect(box, heights)
            self._heights = heights
            tops, top = {}, y
            for depth in range(max(heights) + 2 if heights else 1):
                tops[depth] = top
                top += heights.get(depth, 0.0) + style.layer_gap
            self._place(box, style.margin, tops)
            bottom = max(child_bottom for child_bottom in self._bottoms(box))
            placed.append((box, dict(heights)))
            y = bottom + style.layer_gap
        width = max(width + 2 * style.margin, 2 * style.card_width + style.gap + 2 * style.margin)
        scene = Scene(width, 0, title, self._description(tree), name=name)
        for box, heights in placed:
            self._heights = heights
            self._draw_links(scene, box)
            for each in self._all(box):
                self._draw_card(scene, each)
        scene.height = self._legend(scene, y - style.layer_gap + style.layer_gap * 0.6, tree) + style.margin
        return scene

    def _bottoms(self, box: _Box):  # noqa: ANN202
        for each in self._all(box):
            yield each.y + each.height

    def _all(self, box: _Box):  # noqa: ANN202
        yield box
        for child in box.children:
            yield from self._all(child)

    def _description(self, tree: ChainTree) -> str:
        say = self.words
        names = ", ".join(dict.fromkeys(card.hangul for card in tree.persons()))
        summary = say("chain_desc", posts=say.count("posts", tree.posts), acts=say.count("acts", tree.acts))
        return f"{summary} {names}".strip()

    def _legend(self, scene: Scene, y: float, tree: ChainTree) -> float:
        """The key under the drawing, one entry a line; returns the bottom."""
        style, say = self.style, self.words
        x = style.margin
        room = scene.width - 2 * style.margin - 3 * style.size
        entries = [
            ("target", say("legend_target")),
            ("command", say("legend_command")),
            ("dashed", say("legend_dashed")),
            ("weight", say("legend_weight")),
        ]
        if tree.left_out:
            entries.append(("note", say("left_out")))
        height = metrics.line_height(style.small)
        for kind, label in entries:
            lines = metrics.wrap(label, room, style.small)
            middle = y + height / 2
            mark_x = x + style.size * 0.2
            if kind == "target":
                scene.add(
                    Rect(mark_x, y + 1, style.size * 2, height - 2, ACCENT_PALE, ACCENT, style.line * 2)
                )
            elif kind == "command":
                scene.add(self._triangle(mark_x + style.size * 0.5, middle, style.size))
            elif kind == "dashed":
                scene.add(
                    Path(((mark_x, middle), (mark_x + style.size * 2, middle)), INK, style.line, style.dash)
                )
            elif kind == "weight":
                scene.add(Path(((mark_x, middle), (mark_x + style.size * 2, middle)), INK, style.line * 3))
            for line in lines:
                scene.add(
                    text(x + 3 * style.size, y, line, style.small, fill=INK if kind != "note" else MUTED)
                )
                y += height
            y += style.padding * 0.5
        return y


def draw(
    tree: ChainTree, words: PictureWords, title: str, *, style: Style = PAGE, name: str = "chain"
) -> Scene:
    """The diagram of ``tree`` as a scene."""
    return ChainLayout(words, style).layout(tree, title, name)
