"""The pages sources see. For now the home page; the testimony form comes next."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("source", __name__)


@bp.route("/")
def home() -> str:
    return render_template("home.html")
