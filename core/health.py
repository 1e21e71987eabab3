"""``/health``: whether the application can reach its database, for monitoring and load balancers.

It says nothing else (no version, no counts), so it tells an outsider nothing worth knowing.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core import db

bp = Blueprint("health", __name__)


@bp.route("/health")
def health() -> tuple[Response, int]:
    try:
        db.session().execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.warning("health check: the database is unavailable", exc_info=True)
        return jsonify(status="unavailable", database="unavailable"), 503
    return jsonify(status="ok", database="ok"), 200
