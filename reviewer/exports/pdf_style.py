"""How a dossier's PDF looks: Nanum Gothic embedded for all text, Latin included (none of the standard 14
fonts, none of reportlab's CID fonts, which are never embedded), the paragraph styles, and the tables:
label and value, a grid with its header repeated on every page, and long lists of short values."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

FONT_DIR = Path("/usr/share/fonts/truetype/nanum")
FONT = "SoriNanumGothic"
FONT_BOLD = "SoriNanumGothic-Bold"

#: Rows per table of the list of documents: small tables split across pages cheaply.
_ROWS_PER_TABLE = 40
MARGIN = 18 * mm
#: Measured widths kept per font before starting afresh (a few MB at most).
_WIDTH_CACHE = 50_000


class _MeasuredFont(TTFont):
    """A TrueType font that remembers the widths it measured: line breaking measures every word, and a
    dossier repeats the same labels and references thousands of times (reportlab measures in Python)."""

    def __init__(self, name: str, filename: str) -> None:
        super().__init__(name, filename)
        self._widths: dict[tuple[str, float, str], float] = {}

    def stringWidth(self, text: str, size: float, encoding: str = "utf8") -> float:  # noqa: N802 (reportlab's)
        key = (text, size, encoding)
        width = self._widths.get(key)
        if width is None:
            if len(self._widths) > _WIDTH_CACHE:
                self._widths.clear()
            width = self._widths[key] = super().stringWidth(text, size, encoding)
        return width


@cache
def register_fonts() -> None:
    """Register Nanum Gothic (regular and bold) once per process, as the whole family so that ``<b>`` and
    ``<i>`` markup never falls back to a standard font."""
    pdfmetrics.registerFont(_MeasuredFont(FONT, str(FONT_DIR / "NanumGothic.ttf")))
    pdfmetrics.registerFont(_MeasuredFont(FONT_BOLD, str(FONT_DIR / "NanumGothicBold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


class Styles:
    """Paragraph styles, all in the embedded font."""

    def __init__(self) -> None:
        base = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13.5, splitLongWords=1)
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=8, leading=10.5)
        # Room above headings: a heading right under a table must not read as its last row.
        self.h1 = ParagraphStyle(
            "h1", parent=base, fontName=FONT_BOLD, fontSize=15, leading=20, spaceBefore=14, spaceAfter=8
        )
        self.h2 = ParagraphStyle(
            "h2", parent=base, fontName=FONT_BOLD, fontSize=11, leading=15, spaceBefore=14, spaceAfter=5
        )
        self.title = ParagraphStyle(
            "title", parent=base, fontName=FONT_BOLD, fontSize=22, leading=30, alignment=TA_CENTER
        )
        self.subtitle = ParagraphStyle("subtitle", parent=base, fontSize=13, leading=19, alignment=TA_CENTER)
        self.centered = ParagraphStyle("centered", parent=base, alignment=TA_CENTER)
        self.act = ParagraphStyle("act", parent=base, fontSize=9, leading=12.5, spaceAfter=6)
        self.caption = ParagraphStyle(
            "caption",
            parent=base,
            fontSize=8,
            leading=10.5,
            textColor=colors.dimgrey,
            spaceBefore=3,
            spaceAfter=8,
        )


_GRID = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
)
_PLAIN_GRID = TableStyle([*_GRID.getCommands(), ("FONTSIZE", (0, 1), (-1, -1), 7)])
_FIELDS = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
    ]
)


def markup(text: object) -> str:
    """Text as Paragraph markup: escaped, line breaks kept."""
    return escape(str(text)).replace("\n", "<br/>")


CONTENT_WIDTH = A4[0] - 2 * MARGIN
_CELL = ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=10, splitLongWords=1)
_CELL_HEAD = ParagraphStyle("cell_head", parent=_CELL, fontName=FONT_BOLD)


def field_table(rows: list[tuple[str, str]], styles: Styles) -> Flowable:
    """Label and value, one per row."""
    data = [
        [Paragraph(markup(label), _CELL_HEAD), Paragraph(markup(value), styles.body)] for label, value in rows
    ]
    return Table(data, colWidths=[CONTENT_WIDTH * 0.3, CONTENT_WIDTH * 0.7], style=_FIELDS, hAlign="LEFT")


def grid(header: Iterable[str], rows: list[tuple[str, ...]], widths: tuple[float, ...]) -> Flowable:
    """A table with a header row repeated on every page it spans."""
    data = [[Paragraph(markup(cell), _CELL_HEAD) for cell in header]]
    data += [[Paragraph(markup(cell), _CELL) for cell in row] for row in rows]
    return Table(
        data,
        colWidths=[CONTENT_WIDTH * w for w in widths],
        style=_GRID,
        repeatRows=1,
        hAlign="LEFT",
    )


def plain_grids(
    header: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[float, ...]
) -> list[Flowable]:
    """Rows of short, unbreakable values (references, digests, numbers) as plain cells, a run of short
    tables: plain cells need no line breaking, and splitting one table of thousands of rows across pages
    costs time quadratic in its length."""
    head = [Paragraph(markup(cell), _CELL_HEAD) for cell in header]
    return [
        Table(
            [head, *rows[start : start + _ROWS_PER_TABLE]],
            colWidths=[CONTENT_WIDTH * w for w in widths],
            style=_PLAIN_GRID,
            repeatRows=1,
            hAlign="LEFT",
        )
        for start in range(0, len(rows), _ROWS_PER_TABLE)
    ]
