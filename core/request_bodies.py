"""Request bodies that cannot starve the server: a minimum average rate, and a cap on uploads at once.

A source on Tor may take 15 minutes to send 100 MiB, so a slow body is normal and cannot simply be cut.
What must not happen is that bodies which are not really uploads (a byte every ten seconds, or nothing)
hold the server's capacity for ever (issue 18). Two rules, for every request with a body:

- **Minimum average rate.** After a grace period (``SORI_UPLOAD_GRACE``, 60 s), a body must have arrived at
  ``SORI_UPLOAD_MIN_RATE`` bytes per second on average (default 2 KiB/s, 16 kbit/s: a sixtieth of the
  1 Mbit/s of a slow Tor circuit). Put differently, byte *n* must arrive within ``grace + n / rate`` seconds
  of the body's start, so a stall after a fast start is forgiven in proportion to what came before. A body
  that falls behind is cut with 408 and nothing of it is kept. On green threads the deadline interrupts a
  read that is still waiting; see core/green.py for OS threads.
- **Uploads at once.** The views that stream a whole upload take a slot (:func:`upload_slot`), at most
  ``SORI_UPLOADS_AT_ONCE`` per process (default 500). Beyond that the source is told, translated, that
  many people are sending and to try again in a minute (503 with ``Retry-After``), at once: the slots left
  in gunicorn's ``worker_connections`` stay for pages, status and reviewers. A slot is given back as soon
  as the body is in, so that forms waiting for their receipt (core/hashing.py) keep no upload out.

Neither rule keeps anything about a client: a body is measured only against its own start. Slow request
headers never reach the application: nginx reads them whole, and gunicorn's gevent worker gives them
``keepalive`` seconds.
"""

from __future__ import annotations

import functools
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, TypeVar

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestTimeout, ServiceUnavailable

from core import green, hashing

#: Let other requests of a green-thread process run after this many bytes read without a wait.
_YIELD_EVERY = 1024 * 1024

View = TypeVar("View", bound=Callable[..., Any])


class BodyTooSlow(RequestTimeout):
    """The body fell behind the minimum average rate; nothing of it is kept."""


class UploadsBusy(ServiceUnavailable):
    """Every upload slot of this process is taken."""


class RateGuardedInput:
    """``wsgi.input`` that raises :class:`BodyTooSlow` once the body falls behind the minimum rate."""

    def __init__(
        self,
        stream: IO[bytes],
        sock: socket.socket | None,
        min_rate: float,
        grace: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._sock = sock
        self._min_rate = min_rate
        self._grace = grace
        self._clock = clock
        self._start = clock()
        self._received = 0
        self._since_pause = 0

    @property
    def deadline(self) -> float:
        """When the next byte must have arrived (on the clock given)."""
        return self._start + self._grace + self._received / self._min_rate

    def read(self, size: int = -1) -> bytes:
        return self._guarded(lambda: self._stream.read(size))

    def readline(self, size: int = -1) -> bytes:
        return self._guarded(lambda: self._stream.readline(size))

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def _guarded(self, read: Callable[[], bytes]) -> bytes:
        remaining = self.deadline - self._clock()
        if remaining <= 0:
            raise BodyTooSlow()
        try:
            with green.deadline(remaining, self._sock):
                data = read()
        except green.TooLate:
            raise BodyTooSlow() from None
        self._received += len(data)
        if data and self._clock() > self.deadline:
            raise BodyTooSlow()
        self._since_pause += len(data)
        if self._since_pause >= _YIELD_EVERY:
            self._since_pause = 0
            green.pause()
        return data


class RateGuard:
    """WSGI middleware: every request body is read through a :class:`RateGuardedInput`."""

    def __init__(self, app: Callable[..., Iterable[bytes]], min_rate: float, grace: float) -> None:
        self.app = app
        self.min_rate = min_rate
        self.grace = grace

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if _has_body(environ):
            environ["wsgi.input"] = RateGuardedInput(
                environ["wsgi.input"], environ.get("gunicorn.socket"), self.min_rate, self.grace
            )
        return self.app(environ, start_response)


def _has_body(environ: dict[str, Any]) -> bool:
    length = environ.get("CONTENT_LENGTH") or ""
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    return chunked or (length.isdigit() and int(length) > 0)


class UploadSlots:
    """A count of uploads streaming now in this process, up to ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.taken = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.taken >= self.limit:
                return False
            self.taken += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self.taken -= 1


_EXTENSION = "sori.upload_slots"


def upload_slot(view: View) -> View:
    """Let ``view`` (one that streams a whole upload) run only in a free upload slot; answer busy when
    there is none, without reading the body. The view may give the slot back early
    (:func:`give_back_upload_slot`)."""

    @functools.wraps(view)
    def admitted(*args: Any, **kwargs: Any) -> Any:
        slots: UploadSlots = current_app.extensions[_EXTENSION]
        if not slots.take():
            raise UploadsBusy()
        g.setdefault(_HELD, True)
        try:
            return view(*args, **kwargs)
        finally:
            give_back_upload_slot()

    return admitted  # type: ignore[return-value]


def give_back_upload_slot() -> None:
    """Give the current request's upload slot back (once), when its body is in and what it still does
    (waiting for its receipt's turn) must not keep other uploads out."""
    if g.pop(_HELD, False):
        current_app.extensions[_EXTENSION].give_back()


_HELD = "sori_upload_slot"


def busy_message() -> str:
    """What a source is told when every upload slot is taken."""
    return _(
        "Many people are sending at the moment, so what you sent was not kept. Please try again in a minute."
    )


def too_slow_message() -> str:
    """What a source is told when the connection was too slow to finish the upload."""
    return _(
        "The connection was too slow, so the upload was stopped and nothing was kept. Please try again, "
        "perhaps with fewer or smaller files, or on a better connection."
    )


def _refusal(code: str, message: str, status: int) -> Response:
    if request.path.startswith("/api/"):
        # The browser script shows ``message`` (docs/source-intake.md, upload protocol).
        response = jsonify(error=code, message=message)
    else:
        response = Response(render_template("errors/refused.html", message=message, error_page=True))
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _busy(_error: UploadsBusy | hashing.Busy) -> Response:
    response = _refusal("busy", busy_message(), 503)
    response.headers["Retry-After"] = "60"
    return response


def _too_slow(_error: BodyTooSlow) -> Response:
    return _refusal("too_slow", too_slow_message(), 408)


def init_app(app: Flask) -> None:
    """Guard every request body of ``app`` and give it its upload slots and refusal pages."""
    app.wsgi_app = RateGuard(  # type: ignore[method-assign]
        app.wsgi_app, app.config["SORI_UPLOAD_MIN_RATE"], app.config["SORI_UPLOAD_GRACE"]
    )
    app.extensions[_EXTENSION] = UploadSlots(app.config["SORI_UPLOADS_AT_ONCE"])
    app.register_error_handler(UploadsBusy, _busy)
    app.register_error_handler(BodyTooSlow, _too_slow)
    # A receipt that waited too long for its turn (core/hashing.py): the same answer.
    app.register_error_handler(hashing.Busy, _busy)
