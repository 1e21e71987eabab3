"""A timeline of acts: one row per type of violation, the years along the bottom, each act where its dates
put it, drawn as what is known of them: a band for a year, a month or a period (its whole span), a tick for
an exact day. Acts without a date are counted in a column of their own at the end of their row; acts done by
persons under command (a person's timeline) are paler than the person's own.

Acts with the same type and the same dates are drawn once, darker as they add up, so that thousands of acts
cost a few hundred marks. Text sits in the label column, under the axis, in the undated column and in the
key: never among the marks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from reviewer.records import dates, vocab
from reviewer.records.pictures import text as metrics
from reviewer.records.pictures.scene import ACCENT, INK, LINE, MUTED, PALE, Path, Rect, Scene, text
from reviewer.records.pictures.words import PictureWords


@dataclass(frozen=True)
class TimelineAct:
    """What the timeline needs of an act."""

    violation: str
    start: str | None
    end: str | None
    #: Done by persons under the command of the timeline's person, not with their own part.
    under_command: bool = False

    @property
    def tick(self) -> bool:
        """Known to the day, and a single day."""
        return bool(self.start) and dates.precision(self.start) == "day" and self.end in (None, self.start)

    @property
    def span(self) -> tuple[date, date]:
        return dates.span(self.start, self.end)


@dataclass(frozen=True)
class Style:
    size: float
    small: float
    label_width: float
    axis_width: float
    row_height: float
    undated_width: float
    margin: float
    line: float


PAGE = Style(size=12, small=10.5, label_width=176, axis_width=520, row_height=24, undated_width=84, margin=8,
             line=1.0)  # fmt: skip
PRINT = Style(size=7.5, small=6.5, label_width=118, axis_width=300, row_height=15, undated_width=52, margin=4,
              line=0.6)  # fmt: skip

OWN = ACCENT
COMMANDED = "#8fb3d9"


def _rows(acts: list[TimelineAct]) -> list[str]:
    """The violation types present, in the taxonomy's order (unknown codes after)."""
    present = {act.violation for act in acts}
    order = [code for code in vocab.VIOLATIONS if code in present]
    return order + sorted(present - set(order))


def _years(acts: list[TimelineAct]) -> tuple[int, int]:
    dated = [act.span for act in acts if act.start]
    if not dated:
        return 0, 0
    first = min(lo.year for lo, _hi in dated)
    last = max(min(hi, date(9999, 12, 31)).year for _lo, hi in dated)
    return first, max(last, first)


def draw(
    acts: Iterable[TimelineAct],
    words: PictureWords,
    title: str,
    *,
    style: Style = PAGE,
    name: str = "timeline",
) -> Scene:
    """The timeline of ``acts`` as a scene."""
    acts = list(acts)
    rows = _rows(acts)
    first, last = _years(acts)
    undated = Counter(act.violation for act in acts if not act.start)
    per_row = Counter(act.violation for act in acts)
    say = words
    label_room = style.label_width - style.margin
    labels = {
        code: metrics.wrap(
            f"{say.code('violations', code)} ({per_row[code]})", label_room, style.small, max_lines=3
        )
        for code in rows
    }
    line = metrics.line_height(style.small)
    heights = {code: max(style.row_height, len(labels[code]) * line + 4) for code in rows}
    left = style.margin + style.label_width
    axis_right = left + style.axis_width
    undated_x = axis_right + style.small
    top = style.margin + line + 4
    width = undated_x + style.undated_width + style.margin
    scene = Scene(width, 0, title, "", name=name)
    # The undated column's heading, over it.
    heading = metrics.wrap(say("undated"), style.undated_width, style.small, max_lines=2)
    top = style.margin + len(heading) * line + 4
    for index, part in enumerate(heading):
        scene.add(text(undated_x, style.margin + index * line, part, style.small, fill=MUTED))
    y = top
    row_top: dict[str, float] = {}
    for index, code in enumerate(rows):
        row_top[code] = y
        if index % 2 == 0:
            scene.add(Rect(style.margin, y, axis_right - style.margin, heights[code], PALE, None))
        for number, part in enumerate(labels[code]):
            scene.add(text(style.margin, y + 2 + number * line, part, style.small))
        if undated[code]:
            scene.add(
                text(undated_x, y + (heights[code] - line) / 2, str(undated[code]), style.small, bold=True)
            )
        y += heights[code]
    bottom = y
    if first:
        start, end = date(first, 1, 1), date(last + 1, 1, 1)
        scale = style.axis_width / (end.toordinal() - start.toordinal())

        def x_of(day: date) -> float:
            day = min(max(day, start), end)
            return left + (day.toordinal() - start.toordinal()) * scale

        _axis(scene, style, first, last, x_of, top, bottom)
        marks = Counter((act.violation, act.span, act.tick, act.under_command) for act in acts if act.start)
        for (code, (lo, hi), tick, commanded), count in sorted(
            marks.items(), key=lambda item: item[0][3], reverse=True
        ):
            row_y, row_h = row_top[code], heights[code]
            colour = COMMANDED if commanded else OWN
            if tick:
                x = x_of(lo) + scale / 2
                scene.add(
                    Path(
                        ((x, row_y + 3), (x, row_y + row_h - 3)),
                        colour,
                        style.line * (1.5 + min(count, 5) * 0.3),
                    )
                )
            else:
                x0 = x_of(lo)
                x1 = max(
                    x_of(date.fromordinal(min(hi.toordinal() + 1, date.max.toordinal()))), x0 + style.line * 2
                )
                opacity = min(0.3 + 0.14 * count, 0.9)
                scene.add(
                    Rect(
                        x0,
                        row_y + row_h * 0.22,
                        x1 - x0,
                        row_h * 0.56,
                        colour,
                        colour,
                        style.line * 0.5,
                        opacity=opacity,
                    )
                )
        bottom += line + 4
    else:
        scene.add(Path(((left, top), (left, bottom)), LINE, style.line))
    scene.height = (
        _legend(scene, style, words, bottom + style.small, any(a.under_command for a in acts)) + style.margin
    )
    dated = sum(1 for act in acts if act.start)
    scene.description = say(
        "timeline_desc", acts=say.count("acts", len(acts)), undated=say.count("acts", len(acts) - dated)
    )
    return scene


def _axis(scene: Scene, style: Style, first: int, last: int, x_of, top: float, bottom: float) -> None:  # noqa: ANN001
    """Year lines across the rows and year labels under them, as many as fit side by side."""
    label = metrics.width("0000", style.small) + style.small
    per_year = x_of(date(first + 1, 1, 1)) - x_of(date(first, 1, 1)) if last >= first else label
    step = 1
    while step * per_year < label:
        step = {1: 2, 2: 5, 5: 10}.get(step, step + 10)
    for year in range(first, last + 2):
        x = x_of(date(year, 1, 1)) if year <= last else x_of(date(last + 1, 1, 1))
        scene.add(Path(((x, top), (x, bottom)), LINE, style.line * 0.5))
        if (year - first) % step == 0 and year <= last:
            middle = x + per_year / 2 if per_year * step >= label else x
            scene.add(text(middle, bottom + 2, str(year), style.small, anchor="middle", fill=INK))
    scene.add(
        Path(((x_of(date(first, 1, 1)), bottom), (x_of(date(last + 1, 1, 1)), bottom)), INK, style.line)
    )


def _legend(scene: Scene, style: Style, words: PictureWords, y: float, commanded: bool) -> float:
    line = metrics.line_height(style.small)
    x = style.margin
    room = scene.width - 2 * style.margin - 3 * style.size
    entries = [("band", words("legend_band")), ("tick", words("legend_tick"))]
    if commanded:
        entries.append(("commanded", words("legend_command_acts")))
    for kind, label in entries:
        middle = y + line / 2
        if kind == "band":
            scene.add(
                Rect(
                    x,
                    middle - line * 0.28,
                    style.size * 2,
                    line * 0.56,
                    OWN,
                    OWN,
                    style.line * 0.5,
                    opacity=0.6,
                )
            )
        elif kind == "tick":
            scene.add(Path(((x + style.size, y + 1), (x + style.size, y + line - 1)), OWN, style.line * 2))
        else:
            scene.add(
                Rect(
                    x,
                    middle - line * 0.28,
                    style.size * 2,
                    line * 0.56,
                    COMMANDED,
                    COMMANDED,
                    style.line * 0.5,
                    opacity=0.6,
                )
            )
        for part in metrics.wrap(label, room, style.small):
            scene.add(text(x + 3 * style.size, y, part, style.small))
            y += line
        y += 2
    return y
