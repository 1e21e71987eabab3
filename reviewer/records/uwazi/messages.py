"""What ``sori records import`` says about a file, translated: the problems that stop an import and the
notes it leaves, each from a stable code (reviewer/records/uwazi/sheets.py ``Problem``)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from reviewer.records import events, pages
from reviewer.records.uwazi.sheets import Problem

MESSAGES = {
    "not_utf8": _l("The file is not UTF-8 text."),
    "no_header": _l("The file has no header row."),
    "not_csv": _l("The file cannot be read as CSV: %(error)s"),
    "extra_cells": _l("The row has more cells than the header has columns."),
    "duplicate_column": _l("The column %(column)s appears more than once."),
    "no_title": _l("The row has no title."),
    "duplicate_title": _l(
        "The title “%(title)s” is also on line %(other)s: titles must be unique, since links name them."
    ),
    "unknown_link": _l("%(column)s: no row of %(file)s has the title “%(title)s”."),
    "one_value": _l("%(column)s holds one value: no “|” in it."),
    "choice": _l("%(column)s: “%(value)s” is not a value of its list."),
    "date_range": _l("%(column)s: write a date range as YYYY-MM-DD:YYYY-MM-DD."),
    "one_date": _l("%(column)s: the range is not one year, one month or one day."),
    "date_disagrees": _l("%(column)s: the date range and the date as recorded disagree."),
    "number": _l("%(column)s: write a whole number."),
    "coordinates": _l("%(column)s: write the coordinates as latitude|longitude."),
    "required": _l("%(column)s is required."),
    "sori_id_twice": _l("The sori_id %(sori_id)s is also on line %(other)s."),
    "sori_id_long": _l("The sori_id is longer than 120 characters."),
    "sori_id_missing": _l("The sori_id %(sori_id)s names no record of this file's kind in this Sori."),
    "parent_loop": _l("The parent organizations of these rows make a loop."),
    "depends": _l("%(column)s: the row it links to (%(file)s line %(other)s) was not imported."),
    "refused": _l("%(column)s: %(rule)s"),
    "unknown_column": _l("The column %(column)s is not part of the layout: not imported."),
    "wording": _l(
        "%(column)s: “%(value)s” is not a Sori date, so it is not kept; the dates of the range are."
    ),
    "evidence": _l(
        "Evidence, not imported: in Sori, what supports a record is verified testimony linked to it."
    ),
}


def message(problem: Problem) -> str:
    """The problem in words, in the current language."""
    params = dict(problem.params)
    if problem.code == "refused":
        rule = str(params.get("rule", ""))
        params["rule"] = str(pages.ERRORS.get(rule) or events.ERRORS.get(rule) or rule)
    return str(MESSAGES[problem.code]) % {key: str(value) for key, value in params.items()}


def where(problem: Problem) -> str:
    """``acts.csv line 7`` (or the file alone for a problem of the whole file)."""
    return _("%(file)s line %(line)s", file=problem.file, line=problem.line) if problem.line else problem.file
