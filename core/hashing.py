"""Where argon2id runs: a few at a time per process, in the order asked, and off the event loop.

Each argon2id computation holds its whole memory cost (64 MiB for a reviewer's password, 32 MiB for a
receipt) for 40-200 ms. Unbounded, a flood of failed logins grows a worker by gigabytes (issue 18: 128
logins, 64 at once, 290 to 2,215 MiB). So every computation passes a :class:`Gate`: at most ``slots`` run
at once in a process, the others wait their turn first come, first served (no newcomer overtakes a
waiting request), and a request that has waited :attr:`Gate.patience` seconds gets :class:`Busy` instead
of waiting on. Receipts and passwords have gates of their own, so that a login flood never delays a
source's receipt.

A flood of forms without JavaScript asks for receipts faster than any server derives them (each costs
argon2id on the server, the attacker nothing). Waiting costs the server almost nothing (a parked green
thread), while answering "busy" at once costs a whole request and, against a flood that sends the next
form as soon as it is answered, only makes the flood faster (issue 13: a real source's submission took
4-5 s instead of 1-2 s). So what waits, waits, in order; but a gate may cap how many wait
(``queue_limit``): :meth:`Gate.admit`, asked before a request's body is read, says :class:`Busy` beyond
that, so that waiting requests never take every connection of a process. The cap counts computations,
never who asked for them.

The gates are per process, also with several app hosts, on purpose: they bound memory, which each host
has its own of. What limits guessing is shared in the database (wrong receipts for the whole instance,
failed logins per account: core/several_hosts.py), so more hosts add memory, never guesses.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from core import green

T = TypeVar("T")


class Busy(Exception):
    """Too many computations were waiting: the caller answers "busy, try again in a minute"."""


class Gate:
    """At most ``slots`` computations at once in this process, handed out strictly in arrival order; with a
    ``queue_limit``, :meth:`admit` refuses a newcomer while that many wait."""

    def __init__(self, slots: int, patience: float, queue_limit: int | None = None) -> None:
        self.slots = slots
        self.patience = patience
        self.queue_limit = queue_limit
        self._free = slots
        self._waiting: deque[threading.Event] = deque()
        self._lock = threading.Lock()

    def run(self, work: Callable[[], T]) -> T:
        """``work()`` once a slot is free, off the event loop (core/green.py); raises :class:`Busy` after
        :attr:`patience` seconds of waiting."""
        self._enter()
        try:
            return green.off_loop(work, background=True)
        finally:
            self._leave()

    def admit(self) -> None:
        """Raise :class:`Busy` at once if :attr:`queue_limit` computations are waiting already."""
        if self.queue_limit is not None and len(self._waiting) >= self.queue_limit:
            raise Busy(f"{len(self._waiting)} computations are waiting for {self.slots} slots")

    @property
    def waiting(self) -> int:
        """How many computations wait for a slot now."""
        return len(self._waiting)

    def _enter(self) -> None:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            turn = threading.Event()
            self._waiting.append(turn)
        if turn.wait(self.patience):
            return
        with self._lock:
            if turn.is_set():  # the slot was handed over just as the wait ended
                return
            self._waiting.remove(turn)
        raise Busy(f"more than {self.patience:g} s waiting for one of {self.slots} slots")

    def _leave(self) -> None:
        with self._lock:
            if self._waiting:
                # Hand the slot straight to the oldest waiter, so that nobody arriving now overtakes it.
                self._waiting.popleft().set()
            else:
                self._free += 1


#: Reviewers' passwords (64 MiB each): 2 per process bound a flood to 128 MiB a process; a login waits up
#: to a minute for its turn (a flood of 64 at once on a busy 2-core machine clears in well under that).
PASSWORDS = Gate(slots=2, patience=60.0)
#: Receipts derived on the server (32 MiB each). A source may have spent minutes uploading before this
#: step, so it waits long rather than refusing. At most 500 wait per process (a quarter of gunicorn's
#: worker_connections, deploy/gunicorn.conf.py): the rest of the connections stay for everything else.
RECEIPTS = Gate(slots=2, patience=600.0, queue_limit=500)
