"""What the records view modules share: rendering a records page, the translated refusals of the person,
organization, post and facility forms, reading numbered form rows, saving a form (or showing it again,
refused, with HTTP 400, every value as typed and a message beside each field) and removing a record, each
ending in a commit, a message and a redirect; for the small forms of the
incident, act and linking pages, going back to the page a form was on, with the rule that refused it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from core import db, divisions
from reviewer.models import User
from reviewer.records import events, sources, vocab
from reviewer.records.blueprint import division_label, get_or_404, page_number
from reviewer.records.corroboration import Support
from reviewer.records.forms import Refused
from reviewer.records.record_names import organization_caption

#: Who reads the records pages; only reviewers change records.
READ = ("reviewer", "case_team")
#: Rows read back from a form at most (a form never has more than the existing ones and the blanks).
MAX_ROWS = 100
#: The longest name filter read from a list's ``?q=``.
QUERY_MAX = 200

ERRORS = {
    "required": _l("This field is required."),
    "too_long": _l("This is too long."),
    "bad_choice": _l("Choose one of the options."),
    "bad_date": _l("Write a date as a year (1998), a month (1998-04) or a day (1998-04-17), from 1900 on."),
    "end_before_start": _l("The end is before the start."),
    "bad_name": _l("Check this name: its spelling style, and for an alias whether it is strong or weak."),
    "name_required": _l("Give at least one name that is not an alias."),
    "bad_identifier": _l("Check this identifier: its kind, and a two-letter country code such as kp."),
    "bad_country": _l("Write two-letter country codes separated by spaces, such as kp."),
    "bad_envelope": _l("There is no envelope with this number."),
    "bad_part": _l("Name the attachment inside the envelope (its file name)."),
    "bad_parent": _l("There is no such organization."),
    "cycle": _l("This organization cannot be placed under itself or under an organization below it."),
    "bad_province": _l("Choose a province from the list."),
    "bad_county": _l("Choose a city or county from the list."),
    "county_not_in_province": _l("This city or county is not in the province chosen."),
    "bad_organization": _l("There is no such organization."),
    "bad_coordinate": _l("Latitude is between -90 and 90, longitude between -180 and 180 (decimal degrees)."),
    "coordinates_pair": _l("Give both the latitude and the longitude, or neither."),
    "bad_person": _l("There is no such person (or the record was merged into another)."),
    "bad_position": _l("Choose a post from the list."),
}


def locale() -> str:
    """The page's language: ``ko`` or ``en``."""
    found = get_locale()
    return found.language if found else "ko"


def render(template: str, status: int = 200, **context: Any) -> Response:
    """``reviewer/records/<template>`` with the vocabularies and labels every records page uses; never
    kept by a shared cache, since record pages name officials and places from testimony."""
    here = locale()
    shared = {
        "vocab": vocab,
        "division_label": lambda code: division_label(code, here),
        "country_names": lambda codes: vocab.country_names(codes, here),
        "organization_caption": lambda organization: organization_caption(organization, here),
        "can_edit": bool(g.user.is_reviewer),
    }
    response = Response(
        render_template(f"reviewer/records/{template}", **{**shared, **context}), status=status
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def division_choices() -> dict[str, Any]:
    """The province and county selects' choices, in the page's language."""
    here = locale()
    return {
        "provinces": [(p.code, p.name(here)) for p in divisions.provinces()],
        "counties": divisions.choices(here),
    }


def list_page(
    template: str,
    lister: Callable[[Session, str, int], tuple[list[Any], bool]],
    beside: Callable[[Session, list[Any]], dict[str, Any]] | None = None,
) -> Response:
    """A list page: the rows ``lister`` finds for the name filter ``?q=`` and the page ``?page=``, and what
    ``beside`` adds for those rows."""
    session = db.session()
    query = request.args.get("q", "")[:QUERY_MAX]
    page = page_number()
    rows, more = lister(session, query, page)
    extra = beside(session, rows) if beside is not None else {}
    return render(template, rows=rows, query=query, page=page, more=more, **extra)


def form_rows(prefix: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    """Numbered rows of a form (``name-0-style`` ...), in order, while any of their fields is present."""
    rows = []
    for index in range(MAX_ROWS):
        keys = [f"{prefix}-{index}-{name}" for name in fields]
        if not any(key in request.form for key in keys):
            break
        rows.append({name: request.form.get(key, "") for name, key in zip(fields, keys, strict=True)})
    return rows


def with_blanks(rows: list[Any], errors: dict[str, str], blank: Callable[[], Any], count: int) -> list[Any]:
    """The rows a form shows: after a refusal, every row as sent (so that messages keep their row);
    otherwise the filled rows. Then blank rows up to ``count``, so that rows can be added without
    JavaScript."""
    shown = list(rows) if errors else [row for row in rows if not row.is_blank()]
    missing = count - sum(1 for row in shown if row.is_blank())
    return shown + [blank() for _ in range(max(missing, 0))]


def refuse_merged(record: Any, back: str) -> Response | None:
    """A redirect to ``back`` when ``record`` was merged into another, which is the one to change."""
    if record.merged_into_id is None:
        return None
    flash(_("This record was merged into another: change that one instead."))
    return redirect(back, code=303)


def save_form(
    save: Callable[[], Any],
    show_again: Callable[[dict[str, str]], Response],
    saved: str,
    to: Callable[[Any], str],
) -> Response:
    """Run ``save`` (a service call that raises :class:`Refused`) and commit, flash ``saved`` and redirect
    to ``to(record)``; or roll back and ``show_again`` the form with the translated messages."""
    session = db.session()
    try:
        record = save()
    except Refused as refused:
        session.rollback()
        return show_again(
            {name: str(ERRORS.get(code, ERRORS["bad_choice"])) for name, code in refused.errors.items()}
        )
    return done(saved, to(record))


def done(message: str, to: str) -> Response:
    """Commit the change a page made, flash ``message`` and redirect (303) to ``to``."""
    db.session().commit()
    flash(message)
    return redirect(to, code=303)


def remove_page(
    model: type,
    record_id: int,
    remove: Callable[[Session, User, Any], None],
    message: str,
    to: Callable[[Any], str],
) -> Response:
    """Remove the ``model`` record ``record_id`` (a 404 when there is none) with the service ``remove``, then
    lead to ``to(record)``, the page it was on (read before it is gone)."""
    session = db.session()
    record = get_or_404(session, model, record_id)
    target = to(record)
    remove(session, g.user, record)
    return done(message, target)


@dataclass(frozen=True)
class RecordForm:
    """The new and edit pages of one kind of record (``person``, ``organization``, ``facility``): how its form
    is read from the request, filled from a stored record, shown and saved. A saved record leads to its page
    (``.<kind>``); a refused form comes back with HTTP 400."""

    kind: str
    model: type
    #: The form as the request sent it.
    read: Callable[[], Any]
    #: The form filled from a stored record.
    stored: Callable[[Session, Any], Any]
    #: The form page's template, which gets the form as ``data``, the record or None as ``<kind>`` and the
    #: messages as ``errors``.
    template: str
    #: What else the form page shows: (form, record or None, messages) to the template's context.
    context: Callable[[Any, Any, dict[str, str]], dict[str, Any]]
    #: The service that saves it: (session, actor, form, record or None), raising :class:`Refused`.
    save: Callable[[Session, User, Any, Any], Any]
    #: The flashed message (lazily translated).
    saved: Any
    #: Whether a record merged into another is refused (that one is to be changed instead).
    refuse_merged: bool = True

    def new_page(self, blank: Any) -> Response:
        """GET: the empty form (``blank``); POST: save a new record."""
        if request.method == "GET":
            return self.show(blank, None, {}, 200)
        return self._save(None)

    def edit_page(self, record_id: int) -> Response:
        """GET: the form filled from the record; POST: save it."""
        session = db.session()
        record = get_or_404(session, self.model, record_id)
        if self.refuse_merged:
            merged = refuse_merged(record, self.url(record))
            if merged is not None:
                return merged
        if request.method == "GET":
            return self.show(self.stored(session, record), record, {}, 200)
        return self._save(record)

    def show(self, data: Any, record: Any, errors: dict[str, str], status: int) -> Response:
        """The form page, filled with ``data``, with ``errors`` beside their fields."""
        return render(
            self.template,
            status,
            data=data,
            errors=errors,
            **{self.kind: record},
            **self.context(data, record, errors),
        )

    def url(self, record: Any) -> str:
        """The record's page."""
        return url_for(f".{self.kind}", **{f"{self.kind}_id": record.id})

    def _save(self, record: Any) -> Response:
        data = self.read()
        return save_form(
            lambda: self.save(db.session(), g.user, data, record),
            lambda errors: self.show(data, record, errors, 400),
            str(self.saved),
            self.url,
        )


def support_text(support: Support | None) -> str:
    """How many independent sources and leads support a record, in words."""
    support = support or Support()
    sources = ngettext("%(num)d independent source", "%(num)d independent sources", support.sources)
    leads = ngettext("%(num)d lead", "%(num)d leads", support.leads)
    return _("%(sources)s, %(leads)s", sources=sources, leads=leads)


def done_back(message: str, default: str) -> Response:
    """Commit the change a page made, flash ``message`` and go back as :func:`back` does."""
    db.session().commit()
    flash(message)
    return back(default)


def back(default: str) -> Response:
    """Redirect (303) to the form's ``return_to`` when it is a path on this site, else to ``default``."""
    target = request.form.get("return_to", "")
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        target = default
    return redirect(target, code=303)


def refused(error: events.RecordError | sources.SourceError, default: str) -> Response:
    """Roll back, show the rule that refused the change, and go back to the form's page."""
    db.session().rollback()
    messages = events.ERRORS if isinstance(error, events.RecordError) else sources.ERRORS
    flash(str(messages[error.code]), "error")
    return back(default)
