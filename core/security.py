"""Protections every response and request gets: security headers, no caching, cookie flags, CSRF, no upload
spooling, address-free logs.

Every response but a static file says ``Cache-Control: no-store``: a page may carry a receipt, a form's
token or a reviewer's reading, and must not stay in a shared or seized browser's cache. Static files
(their URLs carry a version, see core/assets.py) keep their own caching.

No IP address is ever logged (DESIGN.md 2.3). The application itself logs no request lines. The development
server (``flask run``) logs one line per request starting with the client's address: those access lines are
dropped, since even a line without an address gives the exact time of a submission, and the address is cut
from the server's error lines. In production, gunicorn's access log is off unless asked for; keep it off.
"""

from __future__ import annotations

import logging
import re
from typing import IO

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from itsdangerous import URLSafeTimedSerializer
from werkzeug.exceptions import BadRequest

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        # libsodium.js compiles its WebAssembly; that needs 'wasm-unsafe-eval', not 'unsafe-eval'.
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    # No other site may load our responses (a receipt page, an envelope) as a subresource.
    "Cross-Origin-Resource-Policy": "same-origin",
    # Our pages load only same-origin files, which all say same-origin above; libsodium.js compiles its
    # WebAssembly from bytes it carries, which this policy does not touch (tests/browser).
    "Cross-Origin-Embedder-Policy": "require-corp",
}

#: The endpoints that serve files: the only responses that may be cached.
STATIC_ENDPOINTS = frozenset({"static", "assets.vendor", "assets.crypto_js", "assets.favicon"})

#: A source on Tor may spend hours writing and uploading; the token must outlive that.
CSRF_TIME_LIMIT_SECONDS = 24 * 3600

csrf = CSRFProtect()

# The development server's lines look like '127.0.0.1 - - [date] "GET / HTTP/1.1" 200 -'.
_SERVER_LINE = re.compile(r"^\S+ - - \[")


class AddressFilter(logging.Filter):
    """Drops the development server's access lines and cuts the client address from its other lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.msg, str) or not _SERVER_LINE.match(record.msg):
            return True
        if record.levelno < logging.WARNING:
            return False
        record.msg = _SERVER_LINE.sub("- - - [", record.msg, count=1)
        return True


class NoSpoolRequest(Request):
    """A request whose uploaded files are never written to a temporary file (DESIGN.md 2.1).

    Werkzeug spools a multipart file part to disk, in plaintext, once a request passes 500 KB. Views that
    take files read ``request.stream`` and encrypt the bytes as they arrive; any code that parses a file
    part through ``request.form`` or ``request.files`` gets a 400 instead, whatever its size.
    """

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        raise BadRequest("file parts are not parsed; the view must stream and encrypt them")


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookies, the same in every byte, with the signing serializer made once per key
    instead of twice per request: making one signs a probe value to learn its kind. A new ``SECRET_KEY`` or
    ``SECRET_KEY_FALLBACKS`` makes a new serializer at once."""

    def __init__(self) -> None:
        self._made: tuple[object, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        made = self._made
        if made is None or made[0] != keys:
            made = self._made = (keys, super().get_signing_serializer(app))
        return made[1]


def init_app(app: Flask) -> None:
    """Install the headers, cookie flags, CSRF protection, upload guard and log filter on ``app``."""
    app.request_class = NoSpoolRequest
    app.session_interface = SessionCookies()
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        WTF_CSRF_TIME_LIMIT=CSRF_TIME_LIMIT_SECONDS,
    )
    csrf.init_app(app)
    app.after_request(_set_headers)
    werkzeug_logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, AddressFilter) for f in werkzeug_logger.filters):
        werkzeug_logger.addFilter(AddressFilter())


def _set_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if request.endpoint not in STATIC_ENDPOINTS or response.status_code not in (200, 206, 304):
        response.headers["Cache-Control"] = "no-store"
    return response
