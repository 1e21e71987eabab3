"""How one value is written in a cell of the Uwazi layout, and read back: text made inert for spreadsheets,
several values in one cell, date ranges for partial dates, coordinates.

Rules of Uwazi's CSV import (huridocs/uwazi, app/api/csv/typeParsers) that the cells follow:

- a daterange cell is ``from:to``, each side parsed loosely against the instance's date format and a few
  fixed ones; only a full ISO day (``2019-03-14``) reads the same whatever that format is, so every date
  is one, and a partial date is the range of days it stands for (``2019-03`` is
  ``2019-03-01:2019-03-31``; a year runs from 1 January to 31 December);
- a multiselect, multidate or relationship cell separates its values with ``|``; a select holds one value,
  and a text or markdown cell keeps a ``|`` as it is, so several names are one a line in a markdown cell;
- a geolocation cell is ``latitude|longitude``.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (some also a tab or a carriage
return) as a formula, and a record's text comes from testimony and reviewers, so such a cell is written
with a leading apostrophe (OWASP, "CSV Injection"); so is a cell that already starts with one, so that
reading back is exact: drop one leading apostrophe, if there is one. Titles, and each title in a link cell,
are made inert one by one, so that a link still names its title exactly.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date

from reviewer.records import dates

SEPARATOR = "|"
RANGE = ":"
LINE = "\n"
#: What makes a spreadsheet read a cell as a formula (OWASP, CSV Injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
_DAY = r"\d{4}-\d{2}-\d{2}"
_RANGE = re.compile(rf"({_DAY})(?:{RANGE}({_DAY}))?")
_IDENTIFIER = re.compile(r"(.*\S) \(([A-Za-z]{2})\)")


class CellError(ValueError):
    """A cell that does not read as its column's type; ``code`` names the rule
    (reviewer/records/uwazi/messages.py)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# ---- Text -----------------------------------------------------------------------------------------------


def inert(text: str) -> str:
    """``text`` as a cell no spreadsheet runs: with a leading apostrophe if it could start a formula or
    already starts with an apostrophe."""
    return ESCAPE + text if text.startswith((*FORMULA_STARTS, ESCAPE)) else text


def plain(text: str) -> str:
    """What :func:`inert` was given."""
    return text[1:] if text.startswith(ESCAPE) else text


def table(header: Sequence[str], rows: Iterable[dict[str, str]]) -> bytes:
    """A CSV file (UTF-8, CRLF) of ``rows`` (column -> cell, made inert here) under ``header``."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([inert(row.get(name, "")) for name in header] for row in rows)
    return out.getvalue().encode("utf-8")


def lines(values: Iterable[str]) -> str:
    """Several texts in one markdown cell, one a line."""
    return LINE.join(values)


def read_lines(cell: str) -> list[str]:
    return [line.strip() for line in cell.splitlines() if line.strip()]


def multi(values: Iterable[str]) -> str:
    """Several choices (or dates) in one cell."""
    return SEPARATOR.join(values)


def read_multi(cell: str) -> list[str]:
    return [value.strip() for value in cell.split(SEPARATOR) if value.strip()]


def links(titles: Iterable[str]) -> str:
    """A relationship cell: the exact titles it links to, each to be inert as the title cells are (the
    first is made so with the cell, by :func:`table`)."""
    first, *others = [*titles] or [""]
    return SEPARATOR.join([first, *(inert(title) for title in others)])


def read_links(cell: str) -> list[str]:
    return [plain(value.strip()) for value in cell.split(SEPARATOR) if value.strip()]


def identifier(value: str, country: str | None) -> str:
    """An identifier as a line: its value, then its country's code in brackets (``745123456 (KP)``)."""
    return f"{value} ({country.upper()})" if country else value


def read_identifier(line: str) -> tuple[str, str]:
    """(value, country code or ``""``) of an :func:`identifier` line."""
    found = _IDENTIFIER.fullmatch(line)
    return (found.group(1), found.group(2).lower()) if found else (line, "")


def coordinates(latitude: float | None, longitude: float | None) -> str:
    """A geolocation cell, each number written so that it reads back exactly."""
    return "" if latitude is None or longitude is None else f"{latitude!r}{SEPARATOR}{longitude!r}"


def read_coordinates(cell: str) -> tuple[str, str]:
    """(latitude, longitude) as text, for the facility form to check."""
    if not cell.strip():
        return "", ""
    parts = cell.split(SEPARATOR)
    if len(parts) != 2 or not all(part.strip() for part in parts):
        raise CellError("coordinates")
    return parts[0].strip(), parts[1].strip()


# ---- Dates ----------------------------------------------------------------------------------------------


def day_range(first: date, last: date) -> str:
    return f"{first.isoformat()}{RANGE}{last.isoformat()}"


def date_range(start: str | None, end: str | None = None) -> str:
    """The range of days a partial date, or the period from ``start`` to ``end``, stands for."""
    return day_range(*dates.span(start, end)) if start else ""


def as_recorded(start: str | None, end: str | None) -> str:
    """A date or period as Sori keeps it: ``2019-03``, or ``2016/2019-05`` (ISO 8601's interval)."""
    if not start:
        return ""
    return f"{start}/{end}" if end else start


def read_range(cell: str) -> tuple[date, date] | None:
    """The first and last day of a daterange cell (a single day may stand alone), or ``None`` if empty."""
    text = cell.strip()
    if not text:
        return None
    found = _RANGE.fullmatch(text)
    if found is None:
        raise CellError("date_range")
    try:
        first = date.fromisoformat(found.group(1))
        last = date.fromisoformat(found.group(2) or found.group(1))
    except ValueError as exc:
        raise CellError("date_range") from exc
    if last < first or first < dates.EARLIEST:
        raise CellError("date_range")
    return first, last


def read_partial_date(cell: str) -> str | None:
    """The one partial date (a year, a month or a day) whose range a cell is exactly."""
    found = read_range(cell)
    if found is None:
        return None
    first, last = found
    start, end = _widest_start(first, last), _widest_end(first, last)
    if start != end:
        raise CellError("one_date")
    return start


def read_period(cell: str, recorded: str) -> tuple[str | None, str | None]:
    """An act's start and end (partial dates) from its range and the date as recorded.

    The recorded form decides where it is a Sori date or period and agrees with the range; otherwise each
    end is the widest partial date that starts (or ends) the range exactly."""
    found = read_range(cell)
    words = recorded.strip()
    if words:
        start, _slash, end = words.partition("/")
        try:
            start, end = dates.parse(start), dates.parse(end)
        except dates.PartialDateError:
            start = None
        if start is not None and found is None:
            raise CellError("date_range")
        if start is not None:
            if dates.span(start, end) != found:
                raise CellError("date_disagrees")
            return start, end
    if found is None:
        return None, None
    first, last = found
    start, end = _widest_start(first, last), _widest_end(first, last)
    return (start, None) if start == end else (start, end)


def _widest_start(first: date, last: date) -> str:
    """The widest partial date whose first day is ``first`` and that ends by ``last``."""
    if first.month == 1 and first.day == 1 and date(first.year, 12, 31) <= last:
        return f"{first.year:04d}"
    if first.day == 1 and _month_end(first) <= last:
        return f"{first.year:04d}-{first.month:02d}"
    return first.isoformat()


def _widest_end(first: date, last: date) -> str:
    """The widest partial date whose last day is ``last`` and that starts no earlier than ``first``."""
    if last.month == 12 and last.day == 31 and date(last.year, 1, 1) >= first:
        return f"{last.year:04d}"
    if last == _month_end(last) and date(last.year, last.month, 1) >= first:
        return f"{last.year:04d}-{last.month:02d}"
    return last.isoformat()


def _month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
