"""core/hashing.py: argon2id a few at a time, first come first served, and "busy" after a bounded wait."""

from __future__ import annotations

import threading
import time

import pytest

from core.hashing import Busy, Gate


def test_no_more_than_the_slots_run_at_once_and_waiters_are_served_in_order() -> None:
    gate = Gate(slots=2, patience=10)
    running, peak, order = 0, 0, []
    lock = threading.Lock()

    def work(i: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
            order.append(i)
        time.sleep(0.05)
        with lock:
            running -= 1
        return i

    threads = []
    for i in range(8):
        thread = threading.Thread(target=gate.run, args=(lambda i=i: work(i),))
        thread.start()
        threads.append(thread)
        time.sleep(0.005)  # a known arrival order
    for thread in threads:
        thread.join(10)
    assert peak == 2
    assert order == list(range(8))
    assert gate.waiting == 0


def test_a_request_that_waits_too_long_is_told_busy_and_gives_its_turn_up() -> None:
    gate = Gate(slots=1, patience=0.1)
    release = threading.Event()
    holder = threading.Thread(target=gate.run, args=(release.wait,))
    holder.start()
    time.sleep(0.02)
    started = time.monotonic()
    with pytest.raises(Busy):
        gate.run(lambda: None)
    assert 0.09 <= time.monotonic() - started < 1
    assert gate.waiting == 0
    release.set()
    holder.join(5)
    assert gate.run(lambda: "free again") == "free again"


def test_an_error_in_the_work_frees_the_slot() -> None:
    gate = Gate(slots=1, patience=0.5)
    with pytest.raises(ValueError):
        gate.run(lambda: int("not a number"))
    assert gate.run(lambda: 7) == 7
