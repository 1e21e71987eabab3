"""Text in pictures: measured with the metrics of the font a dossier's PDF embeds (Nanum Gothic, Debian's
fonts-nanum), and broken into lines as Korean is written: at spaces (keep-all), a run too long for a line
split between characters, the last line cut with an ellipsis when lines run out.

Pages draw the same boxes: every SVG text carries its measured length (``textLength``), so a reader's own
font is fitted to the box the layout computed, and boxes that do not overlap here do not overlap there.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

from reportlab.pdfbase.ttfonts import TTFontFace

FONT_DIR = Path("/usr/share/fonts/truetype/nanum")
FONT_FILES = {False: "NanumGothic.ttf", True: "NanumGothicBold.ttf"}
#: The font's ascent, as a fraction of its size: where the baseline sits below the top of a line's box.
ASCENT = 0.8
#: A line's height, as a multiple of the font's size.
LEADING = 1.25
ELLIPSIS = "…"


@cache
def _metrics(bold: bool) -> tuple[dict[int, int], int]:
    """The advance widths of the font (thousandths of its size) by code point, and the width of others."""
    face = TTFontFace(str(FONT_DIR / FONT_FILES[bold]))
    return face.charWidths, face.defaultWidth


@lru_cache(maxsize=20_000)
def width(text: str, size: float, bold: bool = False) -> float:
    """The width of ``text`` set in ``size`` points."""
    widths, default = _metrics(bold)
    return sum(widths.get(ord(char), default) for char in text) * size / 1000


def line_height(size: float) -> float:
    return size * LEADING


def wrap(
    text: str, max_width: float, size: float, bold: bool = False, max_lines: int | None = None
) -> list[str]:
    """``text`` in lines no wider than ``max_width``: broken at spaces, a word too long for a line split
    between characters; with ``max_lines``, the last line kept ends in an ellipsis if text was left out."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if width(candidate, size, bold) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while width(current, size, bold) > max_width and len(current) > 1:
            cut = _longest_prefix(current, max_width, size, bold)
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = shorten(lines[-1] + ELLIPSIS, max_width, size, bold)
    return lines


def shorten(text: str, max_width: float, size: float, bold: bool = False) -> str:
    """``text`` as it is when it fits, else cut to fit with an ellipsis at its end."""
    if width(text, size, bold) <= max_width:
        return text
    body = text.removesuffix(ELLIPSIS)
    cut = _longest_prefix(body + ELLIPSIS, max_width, size, bold, keep=ELLIPSIS)
    return body[:cut].rstrip() + ELLIPSIS


def _longest_prefix(text: str, max_width: float, size: float, bold: bool, keep: str = "") -> int:
    """How many characters of ``text`` (followed by ``keep``) fit ``max_width``; at least one."""
    low, high = 1, len(text) - len(keep)
    while low < high:
        middle = (low + high + 1) // 2
        if width(text[:middle] + keep, size, bold) <= max_width:
            low = middle
        else:
            high = middle - 1
    return max(low, 1)
