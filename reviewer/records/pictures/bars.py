"""Counts as horizontal bars: a label, a bar as long as its share of the largest count, and the number at its
end, one row a line; labels wrap in their own column, so Korean and English fit a phone's width."""

from __future__ import annotations

from dataclasses import dataclass

from reviewer.records.pictures import text as metrics
from reviewer.records.pictures.scene import ACCENT, INK, LINE, MUTED, Path, Rect, Scene, text


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    #: Drawn paler: a remainder ("other places", "date unknown") rather than a category of its own.
    muted: bool = False


@dataclass(frozen=True)
class Style:
    size: float
    small: float
    label_width: float
    bar_width: float
    margin: float
    gap: float


PAGE = Style(size=12, small=11, label_width=150, bar_width=150, margin=6, gap=6)
PRINT = Style(size=7.5, small=7, label_width=150, bar_width=200, margin=4, gap=3)


def draw(title: str, description: str, bars: list[Bar], *, style: Style = PAGE, name: str = "bars") -> Scene:
    """One bar chart as a scene; ``title`` heads it."""
    line = metrics.line_height(style.small)
    number_width = (
        metrics.width(str(max((bar.value for bar in bars), default=0)), style.small, True) + style.gap
    )
    width = 2 * style.margin + style.label_width + style.gap + style.bar_width + style.gap + number_width
    scene = Scene(width, 0, title, description, name=name)
    y = style.margin
    for part in metrics.wrap(title, width - 2 * style.margin, style.size, True):
        scene.add(text(style.margin, y, part, style.size, bold=True))
        y += metrics.line_height(style.size)
    y += style.gap
    largest = max((bar.value for bar in bars), default=0) or 1
    left = style.margin + style.label_width + style.gap
    bars_top = y
    for bar in bars:
        lines = metrics.wrap(bar.label, style.label_width, style.small, max_lines=3)
        height = max(len(lines) * line, line)
        for index, part in enumerate(lines):
            scene.add(
                text(style.margin, y + index * line, part, style.small, fill=MUTED if bar.muted else INK)
            )
        length = style.bar_width * bar.value / largest
        if bar.value:
            length = max(length, 2.0)
            colour = "#9aa7b4" if bar.muted else ACCENT
            scene.add(Rect(left, y + line * 0.15, length, line * 0.7, colour, None))
        scene.add(text(left + length + style.gap, y, str(bar.value), style.small, bold=True))
        y += height + style.gap
    scene.add(Path(((left, bars_top), (left, y - style.gap)), LINE, 0.8))
    scene.height = y + style.margin
    return scene
