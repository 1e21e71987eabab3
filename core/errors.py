"""Error pages: translated, and never echoing anything from the request."""

from __future__ import annotations

import errno

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

#: Codes with a page of their own in templates/errors/; other client errors get the 400 page.
PAGES = frozenset({400, 403, 404, 413, 500, 503})

#: Write errors that mean the disk (or the service's share of it) is full: the blob store cannot take more.
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

#: What a request answered 503 may still send: read and dropped so the source gets the page rather than a
#: broken connection (bounded by the request size limit).
_DRAIN_BYTES = 64 * 1024


def _http_error(error: HTTPException) -> tuple[str, int, list[tuple[str, str]]]:
    """Also receives unhandled exceptions, which Flask wraps in a 500 InternalServerError."""
    code = error.code or 500
    page = code if code in PAGES else (500 if code >= 500 else 400)
    # The exception's description is not shown, and error_page keeps the request's path out of the
    # language link: both could carry what the request sent.
    # get_headers keeps what the status needs, such as Allow on 405.
    return render_template(f"errors/{page}.html", error_page=True), code, error.get_headers()


def unavailable_message() -> str:
    """What a source is told when nothing can be stored for now (database unreachable, disk full)."""
    return _(
        "The server cannot take in accounts at the moment, so nothing you sent was kept. If you did not "
        "see a receipt, please try again later."
    )


def _unavailable() -> Response:
    """503: the database or the disk failed. The source hears that nothing was kept, and no detail."""
    _drain()
    if request.path.startswith("/api/"):
        # The browser script shows ``message`` (docs/source-intake.md, upload protocol).
        response = jsonify(error="unavailable", message=unavailable_message())
    else:
        response = Response(render_template("errors/503.html", error_page=True))
    response.status_code = 503
    response.headers["Retry-After"] = "60"
    response.headers["Cache-Control"] = "no-store"
    return response


def _drain() -> None:
    try:
        while request.stream.read(_DRAIN_BYTES):
            pass
    except Exception:  # noqa: BLE001  (the client went away or the body was cut: nothing to answer then)
        current_app.logger.debug("could not read the rest of a request answered 503")


def _database_error(error: DBAPIError) -> Response:
    # Only the exception's classes are logged: its text carries the statement's parameters (ciphertext,
    # receipt hashes) and, for PostgreSQL, the server's address.
    current_app.logger.error(
        "the database is unavailable (%s: %s); answered 503",
        type(error).__name__,
        type(error.orig).__name__,
    )
    return _unavailable()


def _os_error(error: OSError) -> Response:
    if error.errno not in DISK_FULL:
        raise error  # not ours to explain: Flask logs it and answers with the 500 page
    current_app.logger.error("the disk is full (%s); answered 503", errno.errorcode.get(error.errno, "?"))
    return _unavailable()


def init_app(app: Flask) -> None:
    """Render every HTTP error with Sori's translated pages; a database that cannot be reached or a full
    disk answer 503 with a page that says nothing was kept."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(OSError, _os_error)
