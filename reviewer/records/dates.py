"""Partial dates: a year, a month or a day (``2019``, ``2019-03``, ``2019-03-14``), as testimony gives them.

A partial date stands for a span of days; comparing periods uses the earliest and the latest day it may mean.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

#: The earliest and latest days any period may reach: an unknown start or end.
EARLIEST = date(1900, 1, 1)
LATEST = date(9999, 12, 31)

_FORM = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


class PartialDateError(ValueError):
    """Not a partial date (YYYY, YYYY-MM or YYYY-MM-DD, a real day, 1900 or later)."""


def parse(text: str | None) -> str | None:
    """The canonical form of ``text`` (``None`` for empty), or :class:`PartialDateError`."""
    if text is None or not text.strip():
        return None
    match = _FORM.fullmatch(text.strip())
    if match is None:
        raise PartialDateError(text)
    year, month, day = (int(part) if part else None for part in match.groups())
    try:
        earliest = date(year, month or 1, day or 1)  # type: ignore[arg-type]
    except ValueError as exc:
        raise PartialDateError(text) from exc
    if earliest < EARLIEST:
        raise PartialDateError(text)
    return match.group(0)


def precision(text: str) -> str:
    """``year``, ``month`` or ``day``."""
    return ("year", "month", "day")[text.count("-")]


def earliest(text: str | None) -> date:
    """The first day ``text`` may mean (:data:`EARLIEST` when unknown)."""
    if not text:
        return EARLIEST
    parts = [int(part) for part in text.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def latest(text: str | None) -> date:
    """The last day ``text`` may mean (:data:`LATEST` when unknown)."""
    if not text:
        return LATEST
    parts = [int(part) for part in text.split("-")]
    if len(parts) == 3:
        return date(*parts)
    month = parts[1] if len(parts) == 2 else 12
    return date(parts[0], month, calendar.monthrange(parts[0], month)[1])


def span(start: str | None, end: str | None) -> tuple[date, date]:
    """The widest period from ``start`` to ``end`` (one partial date alone: the span it stands for)."""
    if start and not end:
        return earliest(start), latest(start)
    return earliest(start), latest(end)
