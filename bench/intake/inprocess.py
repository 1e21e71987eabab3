"""Costs measured inside this process, as a profile would see them: the receipt's argon2id on the server, and
the CPU time each source page takes to answer through the application (a test client, no network), both
when the shared page is reused and when it is rendered afresh, beside the bare Flask app's page."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import nacl.pwhash.argon2id

from bench.bare_app import app as bare_app
from bench.intake.servers import Setup
from core import db
from crypto import receipts as receipt_format
from intake import responses
from sori import create_app

SOURCE_PAGES = ("/?lang=ko", "/submit?lang=ko", "/status?lang=ko", "/readers?lang=ko", "/submit?lang=en")
MIB = 1024 * 1024


@dataclass
class Argon2Cost:
    name: str
    opslimit: int
    memlimit: int
    wall_ms: float  # median, one at a time
    cpu_ms: float
    two_at_once_ms: float  # median wall time of each when two run at once (the gate's two slots)


def argon2_costs(rounds: int = 7) -> list[Argon2Cost]:
    """The receipt's argon2id as the server runs it, and OWASP's minimum for comparison."""
    costs = [
        ("receipt (FORMAT.md 6)", receipt_format.OPSLIMIT, receipt_format.MEMLIMIT),
        ("OWASP's minimum", 2, 19 * MIB),
    ]
    return [_argon2(name, ops, mem, rounds) for name, ops, mem in costs]


def _argon2(name: str, opslimit: int, memlimit: int, rounds: int) -> Argon2Cost:
    def derive() -> None:
        nacl.pwhash.argon2id.kdf(32, b"1234567890123456", b"s" * 16, opslimit=opslimit, memlimit=memlimit)

    derive()
    walls, cpus = [], []
    for _ in range(rounds):
        cpu, wall = time.process_time(), time.perf_counter()
        derive()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    pair: list[float] = []

    def timed() -> None:
        start = time.perf_counter()
        derive()
        pair.append(time.perf_counter() - start)

    for _ in range(rounds):
        both = [threading.Thread(target=timed) for _ in range(2)]
        for thread in both:
            thread.start()
        for thread in both:
            thread.join()
    return Argon2Cost(
        name,
        opslimit,
        memlimit,
        statistics.median(walls) * 1000,
        statistics.median(cpus) * 1000,
        statistics.median(pair) * 1000,
    )


@dataclass
class PageCost:
    path: str
    reused_us: float  # CPU per request with the shared page reused (the usual case)
    rendered_us: float  # CPU per request when the page is rendered afresh (once a minute per process)
    size: int


def page_costs(setup: Setup, requests: int = 400) -> tuple[list[PageCost], float]:
    """CPU microseconds per request of each source page, and of the bare app's ``GET /``."""
    app = create_app({"SORI_DATA_DIR": setup.data_dir, "SORI_DATABASE_URL": setup.database_url})
    try:
        client = app.test_client()
        costs = []
        for path in SOURCE_PAGES:
            size = len(_get(client, path))
            reused = _cpu_us(lambda path=path: _get(client, path), requests)
            rendered = _cpu_us(lambda path=path: _fresh(client, path), max(requests // 10, 20))
            costs.append(PageCost(path, reused, rendered, size))
        bare = bare_app.test_client()
        return costs, _cpu_us(lambda: _get(bare, "/"), requests)
    finally:
        db.database(app).engine.dispose()


def _get(client: object, path: str) -> bytes:
    response = client.get(path)  # type: ignore[attr-defined]
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return response.data  # type: ignore[no-any-return]


def _fresh(client: object, path: str) -> bytes:
    # As when the page is older than SHARED_PAGE_SECONDS: rendered again on this request.
    kept, responses.SHARED_PAGE_SECONDS = responses.SHARED_PAGE_SECONDS, -1.0
    try:
        return _get(client, path)
    finally:
        responses.SHARED_PAGE_SECONDS = kept


def _cpu_us(request: Callable[[], object], count: int) -> float:
    for _ in range(20):
        request()
    start = time.process_time()
    for _ in range(count):
        request()
    return (time.process_time() - start) * 1_000_000 / count
