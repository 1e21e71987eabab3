"""A bounded flood with real sources in the middle: no-JavaScript forms (each one a receipt the server must
derive with argon2id) and junk envelopes, sent by wrk as fast as the server answers, each on a new
connection (as nginx passes a flood on); halfway through, one real source on the browser path and one
without JavaScript press Send on forms they opened before the flood, timed from Send to the receipt
(target: within 10 s), and someone opens the form."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field

from bench.intake.load import LUA, Run, parse
from bench.intake.servers import Server, Setup
from tests.reliability.harness import SOURCE_KEY, NoAnswer, Source, seal

WITHIN_S = 10.0


@dataclass
class RealSource:
    path: str  # "browser" or "no-JS"
    seconds: float | None = None  # from pressing Send to the receipt (or to the answer without one)
    status: int | None = None
    receipt: bool = False
    error: str = ""

    def line(self) -> str:
        if self.seconds is None:
            return f"  real source, {self.path}: no answer ({self.error})"
        verdict = "met" if self.receipt and self.seconds <= WITHIN_S else "NOT MET"
        outcome = "receipt" if self.receipt else f"no receipt ({self.status}: {self.error[:120]})"
        target = f"(target <= {WITHIN_S:g} s)"
        return f"  real source, {self.path}: {outcome} {self.seconds:.2f} s after Send {target}: {verdict}"


@dataclass
class Flood:
    seconds: float
    nojs: Run
    junk: Run
    cpu_seconds: float
    sources: list[RealSource] = field(default_factory=list)
    page_seconds: float | None = None  # GET /submit during the flood
    drained_after: float = 0.0  # seconds from the flood's end until the server answered /health at once


def _wrk(
    server: Server, script: str, connections: int, seconds: float, env: dict[str, str]
) -> subprocess.Popen[str]:
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "-s", str(LUA / script)]
    return subprocess.Popen(
        [*argv, server.url + "/"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **env},
    )


def _send(source: Source, path: str, setup: Setup) -> RealSource:
    """Press Send on a form opened before the flood: the browser path's one request, or the form posted."""
    result = RealSource(path)
    sealed = seal(setup.identity, 0, "flood") if path == "browser" else None
    start = time.monotonic()
    try:
        attempt = source.single(sealed) if sealed is not None else source.nojs(0)
    except NoAnswer as exc:
        result.error = str(exc)
        return result
    result.seconds = time.monotonic() - start
    result.status, result.receipt, result.error = attempt.status, attempt.shown, attempt.error or ""
    return result


def _page_seconds(server: Server) -> float | None:
    start = time.monotonic()
    try:
        Source(server.port, timeout=120).open_form()
    except (NoAnswer, RuntimeError):
        return None
    return time.monotonic() - start


def flood(
    server: Server, setup: Setup, seconds: float, nojs_connections: int, junk_connections: int
) -> Flood:
    """Flood ``server`` for ``seconds``; halfway through, the real sources (whose forms were opened before
    the flood, as a source writes for minutes) press Send, and someone opens the form."""
    flooder = Source(server.port)
    flooder.open_form()
    real = {path: Source(server.port, timeout=120) for path in ("browser", "no-JS")}
    for source in real.values():
        source.open_form()
    common = {"BENCH_CSRF": flooder.token, "BENCH_COOKIE": flooder.cookie}
    nojs_env = {**common, "BENCH_MODE": "flood", "BENCH_TEXT_FILE": str(setup.root / "account.txt")}
    junk_env = {**common, "BENCH_JUNK": "2048", "BENCH_SOURCE_KEY": SOURCE_KEY}
    cpu_before = server.cpu()
    floods = [
        _wrk(server, "nojs.lua", nojs_connections, seconds, nojs_env),
        _wrk(server, "submit.lua", junk_connections, seconds, junk_env),
    ]
    sources: list[RealSource] = []
    page: list[float | None] = []
    try:
        time.sleep(seconds / 2)
        threads = [
            threading.Thread(target=lambda p=path, s=source: sources.append(_send(s, p, setup)))
            for path, source in real.items()
        ]
        threads.append(threading.Thread(target=lambda: page.append(_page_seconds(server))))
        for thread in threads:
            thread.start()
        outputs = [process.communicate(timeout=seconds + 60)[0] for process in floods]
        ended = time.monotonic()
        for thread in threads:
            thread.join(timeout=180)
    finally:
        for process in floods:
            if process.poll() is None:
                process.kill()
    cpu = server.cpu() - cpu_before
    drained = _drained_after(server) - ended
    nojs, junk = (parse(out, 0.0) for out in outputs)
    ordered = sorted(sources, key=lambda s: s.path)
    return Flood(seconds, nojs, junk, cpu, ordered, page[0] if page else None, drained)


def _drained_after(server: Server, limit: float = 300) -> float:
    """The moment ``server`` answers /health within 50 ms again (the flood's queue has cleared)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        start = time.monotonic()
        try:
            conn = server.connection(timeout=30)
            conn.request("GET", "/health")
            conn.getresponse().read()
            conn.close()
        except OSError:
            pass
        else:
            if time.monotonic() - start < 0.05:
                return time.monotonic()
        time.sleep(0.2)
    return time.monotonic()


def lines(result: Flood) -> list[str]:
    nojs, junk = result.nojs, result.junk
    posts, receipts = nojs.counts.get("posts", 0), nojs.counts.get("receipts", 0)
    seconds = result.seconds
    out = [
        f"  no-JS flood: {posts / seconds:,.0f} forms/s sent, {receipts / seconds:,.1f} receipts/s; "
        f"answers {dict(sorted(nojs.statuses.items()))}; socket errors {nojs.socket_errors}",
        f"  junk flood (2 KB of random bytes as envelopes): {junk.requests / seconds:,.0f} answers/s; "
        f"answers {dict(sorted(junk.statuses.items()))}; socket errors {junk.socket_errors}",
        f"  workers' CPU over the flood: {result.cpu_seconds:.1f} s in {seconds:g} s; the server answered "
        f"/health at once again {result.drained_after:.1f} s after the flood ended",
    ]
    page = "no answer" if result.page_seconds is None else f"{result.page_seconds:.2f} s"
    out.append(f"  someone opening the form in the middle of the flood: {page}")
    return out + [source.line() for source in result.sources]
