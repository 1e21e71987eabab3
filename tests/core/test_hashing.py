"""core/hashing.py: argon2id a few at a time, first come first served, "busy" after a bounded wait or at once
when the queue is full, and behind the event loop on green threads."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core import green
from core.hashing import Busy, Gate

ROOT = Path(__file__).resolve().parents[2]


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


def test_a_full_queue_refuses_newcomers_at_once_and_admits_again_when_it_clears() -> None:
    gate = Gate(slots=1, patience=10, queue_limit=2)
    release = threading.Event()
    holders = [threading.Thread(target=gate.run, args=(release.wait,)) for _ in range(3)]
    for queued, holder in enumerate(holders):
        gate.admit()  # room in the queue: admitted
        holder.start()
        deadline = time.monotonic() + 5
        while gate.waiting < queued and time.monotonic() < deadline:
            time.sleep(0.005)
    assert gate.waiting == 2  # one runs, two wait: the queue is full
    with pytest.raises(Busy):
        gate.admit()  # refused, not queued: admit() never waits
    release.set()
    for holder in holders:
        holder.join(5)
    gate.admit()  # empty again: admitted


def test_argon2id_runs_behind_the_event_loop_on_green_threads() -> None:
    # On gevent's worker the computations run on threads the OS schedules after the event loop's.
    probe = (
        "from gevent import monkey; monkey.patch_all()\n"
        "import os, threading\n"
        "from core.hashing import RECEIPTS\n"
        "print(RECEIPTS.run(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))\n"
        "print(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    computation, loop = (int(line) for line in result.stdout.split())
    assert computation >= green.BACKGROUND_NICE and loop < green.BACKGROUND_NICE
