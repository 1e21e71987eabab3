"""A map of places of detention: North Korea's outline (reviewer/records/pictures/geodata.py) with each
province named at its label point (core/data/nk_divisions.json), facilities with coordinates drawn where
they are, their type as the marker's shape (관리소 a square, 교화소 a triangle, 구류장 a circle, 집결소 a
diamond, 노동단련대 a triangle pointing down), and facilities without coordinates listed by province beside
the map (below it on a page, where a phone is narrow).

Names are placed around their marker where they overlap no other name and no marker; a facility whose name
finds no room gets a number on the map and its name in the key. Province names that would collide are
left out rather than drawn over each other (the list beside the map names every province it uses).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from core import divisions
from reviewer.records.pictures import text as metrics
from reviewer.records.pictures.geodata import outline
from reviewer.records.pictures.scene import (
    ACCENT,
    INK,
    LINE,
    MUTED,
    Circle,
    Path,
    Scene,
    Text,
    overlaps,
    text,
)
from reviewer.records.pictures.words import PictureWords

#: The map's frame in degrees: North Korea's outline with a little sea around it.
WEST, EAST, SOUTH, NORTH = 124.1, 130.9, 37.5, 43.15
#: Longitude shrinks with latitude: degrees of longitude are drawn this much narrower than latitude's.
ASPECT = math.cos(math.radians(40.3))
LAND = "#f1eee6"
KINDS = ("kwanliso", "kyohwaso", "kuryujang", "jipkyulso", "rodong_danryondae", "other")


@dataclass(frozen=True)
class MapFacility:
    facility_id: int
    name: str
    kind: str
    province: str | None
    latitude: float | None
    longitude: float | None
    #: The dossier's or the page's own facility, drawn in the accent colour.
    highlighted: bool = False


@dataclass(frozen=True)
class Style:
    size: float
    small: float
    map_width: float
    marker: float
    panel_width: float
    margin: float
    line: float
    #: The list and the key beside the map (a PDF) or below it (a page).
    beside: bool


PAGE = Style(
    size=12, small=10.5, map_width=360, marker=5.5, panel_width=360, margin=8, line=1.0, beside=False
)
PRINT = Style(
    size=7.5, small=6.5, map_width=250, marker=3.6, panel_width=180, margin=4, line=0.6, beside=True
)


def marker(
    kind: str, x: float, y: float, r: float, *, highlighted: bool = False, line: float = 1.0
) -> Path | Circle:
    """The marker of a facility type at ``x, y``, about ``2 r`` across."""
    fill = ACCENT if highlighted else INK
    stroke, width = ("#ffffff", line)
    if kind == "kuryujang":
        return Circle(x, y, r, fill, stroke, width)
    shapes = {
        "kwanliso": [(-1, -1), (1, -1), (1, 1), (-1, 1)],
        "kyohwaso": [(0, -1.25), (1.15, 0.95), (-1.15, 0.95)],
        "jipkyulso": [(0, -1.3), (1.3, 0), (0, 1.3), (-1.3, 0)],
        "rodong_danryondae": [(-1.15, -0.95), (1.15, -0.95), (0, 1.25)],
    }
    corners = shapes.get(kind)
    if corners is None:  # other: a cross
        a, b = 0.35, 1.15
        corners = [
            (-a, -b),
            (a, -b),
            (a, -a),
            (b, -a),
            (b, a),
            (a, a),
            (a, b),
            (-a, b),
            (-a, a),
            (-b, a),
            (-b, -a),
            (-a, -a),
        ]
    return Path(tuple((x + dx * r, y + dy * r) for dx, dy in corners), stroke, width, fill=fill, closed=True)


class _Room:
    """The boxes taken so far (texts and markers), to place the next text where it overlaps none."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.taken: list[Text] = []

    def free(self, box: Text) -> bool:
        inside = box.x >= 0 and box.y >= 0 and box.x + box.w <= self.width and box.y + box.h <= self.height
        return inside and not any(overlaps(box, other) for other in self.taken)

    def take(self, box: Text) -> None:
        self.taken.append(box)


def draw(
    facilities: Iterable[MapFacility],
    words: PictureWords,
    title: str,
    *,
    style: Style = PAGE,
    name: str = "map",
) -> Scene:
    """The map of ``facilities`` as a scene."""
    facilities = list(facilities)
    scale = style.map_width / ((EAST - WEST) * ASPECT)
    map_height = (NORTH - SOUTH) * scale
    left, top = style.margin, style.margin

    def at(latitude: float, longitude: float) -> tuple[float, float]:
        return left + (longitude - WEST) * ASPECT * scale, top + (NORTH - latitude) * scale

    placed = [f for f in facilities if f.latitude is not None and f.longitude is not None]
    unplaced = [f for f in facilities if f.latitude is None or f.longitude is None]
    scene = Scene(0, 0, title, "", name=name)
    for ring in outline():
        scene.add(Path(tuple(at(lat, lon) for lon, lat in ring), LINE, style.line, fill=LAND, closed=True))
    room = _Room(left + style.map_width, top + map_height)
    # Markers first: names then go where no marker is.
    points = []
    for facility in sorted(placed, key=lambda f: (not f.highlighted, f.facility_id)):
        x, y = at(facility.latitude, facility.longitude)  # type: ignore[arg-type]
        points.append((facility, x, y))
        r = style.marker * (1.3 if facility.highlighted else 1)
        room.take(Text(x - r, y - r, 2 * r, 2 * r, "", style.small))
    for facility, x, y in points:
        scene.add(
            marker(
                facility.kind,
                x,
                y,
                style.marker * (1.3 if facility.highlighted else 1),
                highlighted=facility.highlighted,
                line=style.line,
            )
        )
    numbered: list[tuple[int, MapFacility]] = []
    for facility, x, y in points:
        label = metrics.shorten(facility.name, style.map_width * 0.45, style.small, facility.highlighted)
        box = _place(room, label, x, y, style, bold=facility.highlighted)
        if box is None:
            number = str(len(numbered) + 1)
            box = _place(room, number, x, y, style, bold=True)
            numbered.append((len(numbered) + 1, facility))
        if box is not None:
            room.take(box)
            scene.add(box)
    for province in divisions.provinces():
        if province.label_at is None:
            continue
        x, y = at(*province.label_at)
        label = _short(province, words.locales[0])
        for dy in (0.0, -metrics.line_height(style.small), metrics.line_height(style.small)):
            box = text(
                x,
                y + dy - metrics.line_height(style.small) / 2,
                label,
                style.small,
                fill=MUTED,
                anchor="middle",
            )
            if room.free(box):
                room.take(box)
                scene.add(box)
                break
    scene.add(text(left, top + map_height + 2, words("map_source"), style.small * 0.85, fill=MUTED))
    map_bottom = top + map_height + 2 + metrics.line_height(style.small * 0.85)
    if style.beside:
        panel_x, panel_y = left + style.map_width + style.size, top
    else:
        panel_x, panel_y = left, map_bottom + style.size
    bottom = _panel(scene, style, words, panel_x, panel_y, facilities, unplaced, numbered)
    scene.width = max(left + style.map_width, panel_x + style.panel_width) + style.margin
    scene.height = max(map_bottom, bottom) + style.margin
    scene.description = words(
        "map_desc",
        placed=words.count("facilities", len(placed)),
        listed=words.count("facilities", len(unplaced)),
    )
    return scene


def _short(province: divisions.Province, locale: str) -> str:
    """A province's name as a map writes it: a city without its status (평양, not 평양직할시)."""
    name = province.name(locale)
    if locale == "ko" and province.kind != "province":
        return name.removesuffix("직할시").removesuffix("특별시")
    return name


def _place(room: _Room, label: str, x: float, y: float, style: Style, *, bold: bool) -> Text | None:
    """``label`` beside the marker at ``x, y``: right, left, above or below, wherever it is free."""
    h = metrics.line_height(style.small)
    w = metrics.width(label, style.small, bold)
    gap = style.marker * 1.5
    for bx, by in (
        (x + gap, y - h / 2),
        (x - gap - w, y - h / 2),
        (x - w / 2, y - gap - h),
        (x - w / 2, y + gap),
        (x + gap, y - gap - h),
        (x + gap, y + gap),
        (x - gap - w, y - gap - h),
        (x - gap - w, y + gap),
    ):
        box = Text(bx, by, w, h, label, style.small, bold, INK)
        if room.free(box):
            return box
    return None


def _panel(
    scene: Scene,
    style: Style,
    words: PictureWords,
    x: float,
    y: float,
    facilities: list[MapFacility],
    unplaced: list[MapFacility],
    numbered: list[tuple[int, MapFacility]],
) -> float:
    """The key of marker shapes, the numbered names, and the facilities without coordinates by province;
    returns the bottom."""
    line = metrics.line_height(style.small)
    room = style.panel_width - 2.5 * style.size
    kinds = [kind for kind in KINDS if any(f.kind == kind for f in facilities)]
    for kind in kinds:
        scene.add(marker(kind, x + style.size * 0.6, y + line / 2, style.marker, line=style.line))
        for part in metrics.wrap(words.code("facilities", kind), room, style.small):
            scene.add(text(x + 2 * style.size, y, part, style.small))
            y += line
    for number, facility in numbered:
        for index, part in enumerate(
            metrics.wrap(f"{number}  {facility.name}", room, style.small, max_lines=2)
        ):
            scene.add(text(x + (0 if index == 0 else 2 * style.size), y, part, style.small))
            y += line
    if unplaced:
        y += line * 0.5
        for part in metrics.wrap(words("no_coordinates"), style.panel_width, style.size, True):
            scene.add(text(x, y, part, style.size, bold=True))
            y += metrics.line_height(style.size)
        by_province: dict[str, list[MapFacility]] = {}
        for facility in unplaced:
            by_province.setdefault(facility.province or "", []).append(facility)
        order = {p.code: index for index, p in enumerate(divisions.provinces())}
        for code in sorted(by_province, key=lambda c: (order.get(c, len(order)), c)):
            for part in metrics.wrap(words.province(code), style.panel_width, style.small, True):
                scene.add(text(x, y, part, style.small, bold=True))
                y += line
            for facility in by_province[code]:
                scene.add(
                    marker(
                        facility.kind, x + style.size * 0.6, y + line / 2, style.marker * 0.8, line=style.line
                    )
                )
                for part in metrics.wrap(facility.name, room, style.small, max_lines=2):
                    scene.add(text(x + 2 * style.size, y, part, style.small, bold=facility.highlighted))
                    y += line
    return y
