"""What a picture's layout produces and its renderers draw: a canvas in points with boxes, lines, marks and
lines of text, each text with the box it takes, and the title and description that tell a reader who cannot
see it what it shows.

Coordinates run from the top left, y downwards (as in SVG; the PDF renderer turns them). A :class:`Text` is
one line: its box is where it is set, its width measured with the embedded font
(reviewer/records/pictures/text.py), so that overlaps can be found from the layout alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from reviewer.records.pictures import text as metrics

INK = "#1a1a1a"
MUTED = "#555555"
LINE = "#6b6b6b"
PAPER = "#ffffff"
ACCENT = "#0b5394"
ACCENT_PALE = "#dde8f5"
PALE = "#f2f2f2"

Point = tuple[float, float]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str | None = PAPER
    stroke: str | None = LINE
    stroke_width: float = 1.0
    dash: tuple[float, ...] | None = None
    radius: float = 0.0
    opacity: float = 1.0


@dataclass(frozen=True)
class Path:
    """A polyline (``closed``: a polygon, filled with ``fill``)."""

    points: tuple[Point, ...]
    stroke: str | None = LINE
    stroke_width: float = 1.0
    dash: tuple[float, ...] | None = None
    fill: str | None = None
    closed: bool = False


@dataclass(frozen=True)
class Circle:
    cx: float
    cy: float
    r: float
    fill: str | None = INK
    stroke: str | None = None
    stroke_width: float = 1.0


@dataclass(frozen=True)
class Text:
    """One line of text in the box ``x, y, w, h`` (``w`` its measured width); ``anchor`` says which edge of
    the box the renderer sets it from."""

    x: float
    y: float
    w: float
    h: float
    text: str
    size: float
    bold: bool = False
    fill: str = INK
    anchor: str = "start"

    @property
    def baseline(self) -> float:
        return self.y + (self.h - self.size) / 2 + self.size * metrics.ASCENT

    @property
    def anchor_x(self) -> float:
        return {"start": self.x, "middle": self.x + self.w / 2, "end": self.x + self.w}[self.anchor]


Shape = Rect | Path | Circle | Text


def text(
    x: float, y: float, line: str, size: float, *, bold: bool = False, fill: str = INK, anchor: str = "start"
) -> Text:
    """A line of text whose box starts at ``x`` (or is centred on it, or ends at it: ``anchor``) and ``y``."""
    w = metrics.width(line, size, bold)
    left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
    return Text(left, y, w, metrics.line_height(size), line, size, bold, fill, anchor)


@dataclass
class Scene:
    """A picture laid out: its size, what it shows in words, and its shapes in drawing order."""

    width: float
    height: float
    title: str
    description: str
    shapes: list[Shape] = field(default_factory=list)
    #: A name for the picture's elements in a page (ids of its title and description).
    name: str = "picture"

    def add(self, *shapes: Shape) -> None:
        self.shapes.extend(shapes)

    def texts(self) -> Iterator[Text]:
        return (shape for shape in self.shapes if isinstance(shape, Text))


def overlaps(a: Text, b: Text, slack: float = 0.01) -> bool:
    """Whether two text boxes share any area (touching edges do not count)."""
    return (
        a.x < b.x + b.w - slack
        and b.x < a.x + a.w - slack
        and a.y < b.y + b.h - slack
        and b.y < a.y + a.h - slack
    )


def overlapping_texts(scene: Scene) -> list[tuple[Text, Text]]:
    """Every pair of text boxes of the scene that overlap (a sweep over the boxes sorted by their top)."""
    boxes = sorted(scene.texts(), key=lambda t: t.y)
    found = []
    for index, box in enumerate(boxes):
        for other in boxes[index + 1 :]:
            if other.y >= box.y + box.h:
                break
            if overlaps(box, other):
                found.append((box, other))
    return found


def outside(scene: Scene) -> list[Shape]:
    """Text boxes that stick out of the canvas."""
    return [
        t
        for t in scene.texts()
        if t.x < -0.01 or t.y < -0.01 or t.x + t.w > scene.width + 0.01 or t.y + t.h > scene.height + 0.01
    ]
