"""A laid-out picture as SVG, to put inline in a page: no script, no style element (the pages' Content
Security Policy allows neither inline), nothing fetched; presentation attributes only, so that it prints and
reads the same with JavaScript off. ``role="img"`` with a title and a description names it for assistive
technology; the tables beside it remain the full text alternative."""

from __future__ import annotations

from markupsafe import Markup, escape

from reviewer.records.pictures.scene import Circle, Path, Rect, Scene, Shape, Text

#: Nanum Gothic first (the metrics the layout measured with), then other Korean fonts a reader may have.
FONT_FAMILY = (
    "NanumGothic, 'Nanum Gothic', 'Noto Sans CJK KR', 'Noto Sans KR', 'Apple SD Gothic Neo', "
    "'Malgun Gothic', sans-serif"
)


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _paint(fill: str | None, stroke: str | None, stroke_width: float, dash: tuple[float, ...] | None) -> str:
    parts = [f'fill="{fill or "none"}"']
    if stroke:
        parts.append(f'stroke="{stroke}" stroke-width="{_n(stroke_width)}"')
        if dash:
            parts.append(f'stroke-dasharray="{" ".join(_n(d) for d in dash)}"')
    return " ".join(parts)


def _shape(shape: Shape) -> str:
    if isinstance(shape, Text):
        weight = ' font-weight="bold"' if shape.bold else ""
        anchor = f' text-anchor="{shape.anchor}"' if shape.anchor != "start" else ""
        return (
            f'<text x="{_n(shape.anchor_x)}" y="{_n(shape.baseline)}" font-size="{_n(shape.size)}"'
            f"{weight}{anchor}"
            f' fill="{shape.fill}" textLength="{_n(shape.w)}" lengthAdjust="spacingAndGlyphs">'
            f"{escape(shape.text)}</text>"
        )
    if isinstance(shape, Rect):
        radius = f' rx="{_n(shape.radius)}"' if shape.radius else ""
        opacity = f' fill-opacity="{shape.opacity:.2f}"' if shape.opacity < 1 else ""
        return (
            f'<rect x="{_n(shape.x)}" y="{_n(shape.y)}" width="{_n(shape.w)}" height="{_n(shape.h)}"{radius}'
            f"{opacity} {_paint(shape.fill, shape.stroke, shape.stroke_width, shape.dash)}/>"
        )
    if isinstance(shape, Circle):
        return (
            f'<circle cx="{_n(shape.cx)}" cy="{_n(shape.cy)}" r="{_n(shape.r)}" '
            f"{_paint(shape.fill, shape.stroke, shape.stroke_width, None)}/>"
        )
    assert isinstance(shape, Path)
    points = " ".join(f"{_n(x)},{_n(y)}" for x, y in shape.points)
    tag = "polygon" if shape.closed else "polyline"
    return (
        f'<{tag} points="{points}" stroke-linejoin="round" '
        f"{_paint(shape.fill if shape.closed else None, shape.stroke, shape.stroke_width, shape.dash)}/>"
    )


def render(scene: Scene) -> Markup:
    """The scene as an inline ``<svg>`` element."""
    name = escape(scene.name)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="picture" role="img" width="{_n(scene.width)}"'
        f' height="{_n(scene.height)}" viewBox="0 0 {_n(scene.width)} {_n(scene.height)}"'
        f' aria-labelledby="{name}-title {name}-desc" font-family="{FONT_FAMILY}">'
        f'<title id="{name}-title">{escape(scene.title)}</title>'
        f'<desc id="{name}-desc">{escape(scene.description)}</desc>'
    )
    return Markup(head + "".join(_shape(shape) for shape in scene.shapes) + "</svg>")  # noqa: S704 (escaped above)
