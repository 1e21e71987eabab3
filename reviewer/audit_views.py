"""The audit trail in the admin's web pages: the newest entries first, and a check of the whole chain."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from core import audit, db
from reviewer.access import requires
from reviewer.audit_words import action_words

bp = Blueprint("reviewer_audit", __name__, url_prefix="/reviewer")

PAGE_SIZE = 100


@bp.get("/admin/audit")
@requires("admin")
def trail() -> Response:
    """A page of entries, newest first (``?before=SEQ`` for older ones); ``?verify=1`` walks the chain."""
    session = db.session()
    before = request.args.get("before", type=int)
    entries = audit.entries(session, before=before, limit=PAGE_SIZE)
    checked = broken = None
    if request.args.get("verify") == "1":
        checked, broken = audit.verify(session)
    response = Response(
        render_template(
            "reviewer/audit.html",
            entries=entries,
            total=audit.count(session),
            older=entries[-1].seq if len(entries) == PAGE_SIZE else None,
            checked=checked,
            broken=broken,
            action_words=action_words,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response
