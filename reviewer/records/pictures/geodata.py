"""North Korea's outline for the facility map, and how it was made.

``data/nk_outline.json`` is derived from Natural Earth's Admin 0 country boundaries at 1:10m (public domain,
naturalearthdata.com), as redistributed in TopoJSON by the npm package ``world-atlas`` 2.0.2 (ISC licence,
installed as a development dependency: package.json): North Korea's rings decoded, simplified
(Douglas-Peucker, :data:`TOLERANCE` degrees), islands smaller than :data:`MIN_AREA` dropped, coordinates
rounded to three decimals. The derived file is public domain like its source, and small (a few kB); it is
read from the package, never fetched. Run ``python -m reviewer.records.pictures.geodata`` after
``npm ci`` to make it again; a test checks that the committed file is what this gives.

No package on PyPI or npm that we could use carries North Korea's provinces (first-level divisions): the
map collections that do (Highcharts', amCharts') are licensed for use with their own products only. The
map therefore draws the country's outline and names each province at a point inside it given in
core/data/nk_divisions.json (``label_at``).
"""

from __future__ import annotations

import json
import sys
from functools import cache
from importlib import resources
from pathlib import Path

#: Natural Earth's numeric code (ISO 3166-1) of North Korea, as world-atlas keys its countries.
NORTH_KOREA = "408"
SOURCE = "world-atlas/countries-10m.json"
TOLERANCE = 0.01
MIN_AREA = 0.002
OUTLINE_FILE = "nk_outline.json"

Ring = list[tuple[float, float]]


@cache
def outline() -> list[Ring]:
    """North Korea's rings as (longitude, latitude) pairs, the largest first."""
    raw = json.loads(resources.files(__package__).joinpath("data", OUTLINE_FILE).read_text(encoding="utf-8"))
    return [[(lon, lat) for lon, lat in ring] for ring in raw["rings"]]


def _decode_arcs(topology: dict) -> list[Ring]:
    """TopoJSON's quantized, delta-encoded arcs as absolute (longitude, latitude) points."""
    scale, translate = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale[0] + translate[0], y * scale[1] + translate[1]))
        arcs.append(points)
    return arcs


def _ring(arcs: list[Ring], indexes: list[int]) -> Ring:
    points: Ring = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    return points


def _area(ring: Ring) -> float:
    return (
        abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True))) / 2
    )


def _simplify(points: Ring, tolerance: float) -> Ring:
    """Douglas-Peucker, iterative."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x0, y0), (x1, y1) = points[first], points[last]
        length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
        farthest, distance = first, 0.0
        for index in range(first + 1, last):
            x, y = points[index]
            if length:
                d = abs((y1 - y0) * x - (x1 - x0) * y + x1 * y0 - y1 * x0) / length
            else:
                d = ((x - x0) ** 2 + (y - y0) ** 2) ** 0.5
            if d > distance:
                farthest, distance = index, d
        if distance > tolerance:
            keep[farthest] = True
            stack += [(first, farthest), (farthest, last)]
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def derive(topology: dict) -> dict:
    """The outline file's content from world-atlas's TopoJSON."""
    arcs = _decode_arcs(topology)
    country = next(g for g in topology["objects"]["countries"]["geometries"] if g.get("id") == NORTH_KOREA)
    polygons = country["arcs"] if country["type"] == "MultiPolygon" else [country["arcs"]]
    rings = [_ring(arcs, polygon[0]) for polygon in polygons]
    rings = [ring for ring in rings if _area(ring) >= MIN_AREA]
    rings.sort(key=_area, reverse=True)
    simplified = [[(round(x, 3), round(y, 3)) for x, y in _simplify(ring, TOLERANCE)] for ring in rings]
    return {
        "source": "Natural Earth 1:10m Admin 0 countries (public domain), via world-atlas 2.0.2 (npm, ISC)",
        "licence": "Public domain, as its source: https://www.naturalearthdata.com/about/terms-of-use/",
        "derived": f"North Korea ({NORTH_KOREA}); Douglas-Peucker {TOLERANCE} degrees; islands under "
        f"{MIN_AREA} square degrees dropped; 3 decimals. reviewer/records/pictures/geodata.py",
        "rings": [[list(point) for point in ring] for ring in simplified],
    }


def dumps(content: dict) -> str:
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")) + "\n"


def main(node_modules: Path = Path("node_modules")) -> None:
    topology = json.loads((node_modules / SOURCE).read_text(encoding="utf-8"))
    target = Path(__file__).parent / "data" / OUTLINE_FILE
    target.write_text(dumps(derive(topology)), encoding="utf-8")
    print(f"{target}: {target.stat().st_size} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("node_modules"))
