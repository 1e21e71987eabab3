"""The records' pictures (reviewer/records/pictures/) in a dossier's PDF, as vector graphics: each scene
becomes a reportlab ``Drawing`` of rectangles, lines, polygons and strings set in the embedded Nanum Gothic,
the very boxes the page's SVG draws.

reportlab's own graphics rather than svglib: the scene is already shapes and measured lines of text, so
drawing it directly needs no SVG parser and no new dependency (svglib brings lxml, cssselect2 and tinycss2),
sets every string in the font the layout measured with (svglib maps SVG font names to fonts as it can), and
keeps the text real text that a reader can search and copy, as pdftotext shows.
"""

from __future__ import annotations

from reportlab.graphics.shapes import Circle as PdfCircle
from reportlab.graphics.shapes import Drawing, Group, Polygon, PolyLine, String
from reportlab.graphics.shapes import Rect as PdfRect
from reportlab.lib import colors
from reportlab.platypus import Flowable, KeepTogether, Paragraph

from reviewer.exports.pdf_style import CONTENT_WIDTH, FONT, FONT_BOLD, Styles, markup
from reviewer.records.pictures.scene import Circle, Path, Rect, Scene, Text

#: The tallest a drawing may be, in points: a page's frame less a heading and a caption.
MAX_HEIGHT = 600


def _colour(value: str | None):  # noqa: ANN202  (a reportlab colour or None)
    return colors.HexColor(value) if value else None


def drawing(scene: Scene, max_width: float = CONTENT_WIDTH, max_height: float = MAX_HEIGHT) -> Drawing:
    """The scene as a Drawing, scaled down (never up) to fit ``max_width`` by ``max_height``."""
    scale = min(1.0, max_width / scene.width, max_height / scene.height)
    group = Group()
    height = scene.height

    def y(value: float) -> float:
        return height - value

    for shape in scene.shapes:
        if isinstance(shape, Text):
            group.add(
                String(
                    shape.anchor_x,
                    y(shape.baseline),
                    shape.text,
                    fontName=FONT_BOLD if shape.bold else FONT,
                    fontSize=shape.size,
                    fillColor=_colour(shape.fill),
                    textAnchor=shape.anchor,
                )
            )
        elif isinstance(shape, Rect):
            rect = PdfRect(
                shape.x,
                y(shape.y + shape.h),
                shape.w,
                shape.h,
                rx=shape.radius,
                ry=shape.radius,
                fillColor=_colour(shape.fill),
                strokeColor=_colour(shape.stroke),
                strokeWidth=shape.stroke_width,
                strokeDashArray=list(shape.dash) if shape.dash else None,
            )
            if shape.opacity < 1:
                rect.fillOpacity = shape.opacity
            group.add(rect)
        elif isinstance(shape, Circle):
            group.add(
                PdfCircle(
                    shape.cx,
                    y(shape.cy),
                    shape.r,
                    fillColor=_colour(shape.fill),
                    strokeColor=_colour(shape.stroke),
                    strokeWidth=shape.stroke_width,
                )
            )
        elif isinstance(shape, Path):
            points = [coordinate for x, v in shape.points for coordinate in (x, y(v))]
            if shape.closed:
                group.add(
                    Polygon(
                        points,
                        fillColor=_colour(shape.fill),
                        strokeColor=_colour(shape.stroke),
                        strokeWidth=shape.stroke_width,
                        strokeLineJoin=1,
                    )
                )
            else:
                group.add(
                    PolyLine(
                        points,
                        strokeColor=_colour(shape.stroke),
                        strokeWidth=shape.stroke_width,
                        strokeDashArray=list(shape.dash) if shape.dash else None,
                        strokeLineJoin=1,
                    )
                )
    group.transform = (scale, 0, 0, scale, 0, 0)
    # The embedded font from the start: reportlab would otherwise open every drawing in Helvetica.
    made = Drawing(scene.width * scale, scene.height * scale, initialFontName=FONT, initialFontSize=8)
    made.add(group)
    made.hAlign = "LEFT"
    return made


def figure(scene: Scene, styles: Styles, heading: str | None = None) -> Flowable:
    """The drawing with its title under it (and a heading over it), kept on one page."""
    parts: list[Flowable] = [Paragraph(markup(heading), styles.h2)] if heading else []
    return KeepTogether([*parts, drawing(scene), Paragraph(markup(scene.title), styles.caption)])
