"""Load generators of the intake benchmark: wrk runs (plain GETs, or one of the Lua scripts in lua/) with the
server's CPU time over each run, and the answers a script counted by status."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from bench.intake.servers import Server
from tests.reliability.harness import SOURCE_KEY, Source

LUA = Path(__file__).resolve().parent / "lua"


def submit_env(port: int, envelope: Path) -> dict[str, str]:
    """What lua/submit.lua reads: ``envelope``'s file, and the session and CSRF token of one visit to the
    form on ``port``."""
    source = Source(port)
    source.open_form()
    return {
        "BENCH_ENVELOPE": str(envelope),
        "BENCH_CSRF": source.token,
        "BENCH_COOKIE": source.cookie,
        "BENCH_SOURCE_KEY": SOURCE_KEY,
    }


@dataclass
class Run:
    """One wrk run: what wrk counted, what the script counted, and the server's CPU time."""

    seconds: float  # as wrk measured the run
    requests: int  # answers wrk read
    non2xx: int
    socket_errors: str
    p50_ms: float | None
    p99_ms: float | None
    cpu_seconds: float  # the workers' CPU over the run
    counts: dict[str, int] = field(default_factory=dict)  # the script's BENCH line: name=number
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def rate_of(self, count: int) -> float:
        return count / self.seconds if self.seconds else 0.0

    def cpu_ms_per(self, count: int) -> float | None:
        return self.cpu_seconds * 1000 / count if count else None


def wrk(
    server: Server,
    path: str,
    seconds: float,
    connections: int,
    threads: int,
    script: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 10,
) -> Run:
    """Load ``server`` at ``path`` with wrk (``script`` names a file in lua/); the workers' CPU is counted."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", f"{timeout:g}s"]
    argv.append("--latency")
    if script is not None:
        argv += ["-s", str(LUA / script)]
    cpu_before = server.cpu()
    result = subprocess.run(
        [*argv, server.url + path],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=seconds + 120,
        check=True,
    )
    return parse(result.stdout, server.cpu() - cpu_before)


def parse(out: str, cpu: float) -> Run:
    """A :class:`Run` from wrk's output."""
    done = re.search(r"(\d+) requests in ([\d.]+)(m?s|m)\b", out)
    if done is None:
        raise RuntimeError(f"wrk said nothing of its requests:\n{out}")
    unit = {"s": 1.0, "ms": 0.001, "m": 60.0}[done.group(3)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    run = Run(
        seconds=float(done.group(2)) * unit,
        requests=int(done.group(1)),
        non2xx=int(non2xx.group(1)) if non2xx else 0,
        socket_errors=errors.group(1) if errors else "none",
        p50_ms=_percentile(out, "50"),
        p99_ms=_percentile(out, "99"),
        cpu_seconds=cpu,
    )
    bench = re.search(r"^BENCH (.*)$", out, re.M)
    if bench:
        for name, value in (item.split("=", 1) for item in bench.group(1).split()):
            if name == "statuses":
                run.statuses = {int(c): int(n) for c, n in (p.split(":") for p in value.split(",") if p)}
            else:
                run.counts[name] = int(value)
    return run


def _percentile(out: str, which: str) -> float | None:
    found = re.search(rf"^\s+{which}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if found is None:
        return None
    return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]
