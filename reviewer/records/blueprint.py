"""The records pages' blueprint, shared by the view modules of reviewer/records/ (each adds its routes)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("records", __name__, url_prefix="/reviewer/records")

#: The view modules that add routes to :data:`bp`, imported by :func:`reviewer.register`.
VIEW_MODULES = (
    "reviewer.records.people_views",
    "reviewer.records.event_views",
    "reviewer.records.analysis_views",
)
