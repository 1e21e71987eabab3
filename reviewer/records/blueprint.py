"""The records pages' blueprint, shared by the view modules of reviewer/records/ (each adds its routes), and
the small helpers they share."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request
from sqlalchemy.orm import Session

from core import divisions

bp = Blueprint("records", __name__, url_prefix="/reviewer/records")


def get_or_404(session: Session, model: Any, record_id: int) -> Any:
    """The ``model`` row ``record_id``, or a 404 page."""
    record = session.get(model, record_id)
    if record is None:
        abort(404)
    return record


def division_label(code: str | None, locale: str) -> str:
    """A province's or county's name in ``locale``; an unknown code (the shipped list changed) as itself."""
    if not code:
        return ""
    try:
        return divisions.label(code, locale)
    except KeyError:
        return code


def page_number() -> int:
    """The list page asked for by ``?page=``: 1 unless a sane positive number."""
    text = request.args.get("page", "1")
    return int(text) if text.isdigit() and 0 < int(text) < 100_000 else 1
