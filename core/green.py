"""What differs when Sori runs on gevent's green threads (deploy/gunicorn.conf.py) rather than OS threads.

On green threads one event loop per process serves every request, so a C call that holds the process for
long (argon2id: 40-200 ms; a commit's fsync, core/commits.py) freezes every other request of that process,
and a read from a client can be cut off at a deadline. On OS threads (the development server, a gthread
worker) the first does not matter and the second is only approximated. Everything else in Sori is written
once for both.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def is_green() -> bool:
    """Whether gevent has patched this process's threads (gunicorn's gevent worker does, before loading
    the application)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("threading"))


def off_loop(work: Callable[[], T], *, background: bool = False) -> T:
    """Run ``work`` (a C call that releases the GIL, such as a commit's fsync) where it does not hold up
    other requests: on gevent's pool of OS threads when on green threads, else right here.

    ``background`` work (argon2id: tens of milliseconds of CPU each) runs on threads of its own that the
    OS schedules after the event loop (:data:`BACKGROUND_NICE`): however many receipts or logins a flood
    asks for, pages and browser-path submissions are answered first, and argon2id gets what CPU is left.
    """
    if not is_green():
        return work()
    if background:
        return _background_pool().apply(_at_low_priority, (work,))  # type: ignore[no-any-return]
    import gevent

    return gevent.get_hub().threadpool.apply(work)  # type: ignore[no-any-return]


#: The niceness of background threads (0 is the loop's; 19 the lowest): at 10 the OS gives such a thread
#: about a tenth of the CPU a thread of the event loop gets when both want it, and all of it otherwise.
BACKGROUND_NICE = 10
#: Background threads per process: enough for both argon2id gates (core/hashing.py: 2 + 2 slots).
BACKGROUND_THREADS = 4
_background: Any = None


def _background_pool() -> Any:
    global _background
    if _background is None:
        from gevent.threadpool import ThreadPool

        _background = ThreadPool(maxsize=BACKGROUND_THREADS)
    return _background


def _at_low_priority(work: Callable[[], T]) -> T:
    # Niceness is per thread on Linux; the pool's threads only ever run background work, so it is set
    # once and kept (raising it needs no privilege, lowering it again would).
    thread = threading.get_native_id()
    with contextlib.suppress(OSError):
        if os.getpriority(os.PRIO_PROCESS, thread) < BACKGROUND_NICE:
            os.setpriority(os.PRIO_PROCESS, thread, BACKGROUND_NICE)
    return work()


def pause() -> None:
    """Let other requests run: a long stretch of work with no wait in it (sealing a fast upload) would
    otherwise keep a green-thread process to itself. Patched by gevent, ``time.sleep(0)`` yields."""
    time.sleep(0)


class TooLate(Exception):
    """A blocking read did not finish by its deadline."""


@contextlib.contextmanager
def deadline(seconds: float, sock: socket.socket | None) -> Iterator[None]:
    """Raise :class:`TooLate` if the block, which reads from ``sock``, is still waiting after ``seconds``.

    On green threads the whole block is bounded. On OS threads only each wait on the socket is (its
    timeout), so a client that trickles a byte now and then is caught only when the read returns; nginx's
    ``client_body_timeout`` and the shipped gevent worker cover what this cannot."""
    seconds = max(seconds, 0.001)
    if is_green():
        import gevent

        timer = gevent.Timeout(seconds, TooLate)
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
        return
    if sock is None:
        yield
        return
    previous = sock.gettimeout()
    sock.settimeout(seconds)
    try:
        yield
    except TimeoutError as exc:
        raise TooLate from exc
    finally:
        with contextlib.suppress(OSError):
            sock.settimeout(previous)
