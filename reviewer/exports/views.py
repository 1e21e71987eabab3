"""Dossier export pages (being written)."""

from flask import Blueprint

bp = Blueprint("exports", __name__, url_prefix="/reviewer/dossiers")
