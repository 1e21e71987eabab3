"""Error pages: translated, and never echoing anything from the request."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

#: Codes with a page of their own in templates/errors/; other client errors get the 400 page.
PAGES = frozenset({400, 403, 404, 413, 500})


def _http_error(error: HTTPException) -> tuple[str, int, list[tuple[str, str]]]:
    """Also receives unhandled exceptions, which Flask wraps in a 500 InternalServerError."""
    code = error.code or 500
    page = code if code in PAGES else (500 if code >= 500 else 400)
    # The exception's description is not shown, and error_page keeps the request's path out of the
    # language link: both could carry what the request sent.
    # get_headers keeps what the status needs, such as Allow on 405.
    return render_template(f"errors/{page}.html", error_page=True), code, error.get_headers()


def init_app(app: Flask) -> None:
    """Render every HTTP error with Sori's translated pages."""
    app.register_error_handler(HTTPException, _http_error)
