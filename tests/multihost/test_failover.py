"""Failover (issue 15, "Done when" 3): a PostgreSQL primary with a synchronous streaming replica, two app
hosts under load; the primary stops at once (``-m immediate``) and the replica is promoted. The hosts
reconnect on their own through the libpq multi-host URL (``target_session_attrs=read-write``) within 10 s,
and every receipt shown, before the stop or after, opens its submission in the promoted database."""

from __future__ import annotations

import secrets
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.multihost.cluster import Cluster, sources
from tests.reliability.harness import KIB, ROOT, Attempt, NoAnswer, audit, run_check, seal

SCRIPT = ROOT / "scripts" / "pg-throwaway.sh"
RECONNECT_SECONDS = 10


def _replica(action: str, folder: Path) -> str:
    done = subprocess.run([str(SCRIPT), action, str(folder)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def replicated() -> Iterator[tuple[str, Path]]:
    """A primary and its synchronous replica (scripts/pg-throwaway.sh): the multi-host URL and the folder."""
    folder = Path(f"/tmp/sori-pg-multihost-failover-{secrets.token_hex(4)}")
    try:
        yield _replica("start-replicated", folder), folder
    finally:
        subprocess.run([str(SCRIPT), "stop", str(folder)], capture_output=True, timeout=120)


def test_the_replica_takes_over_and_no_shown_receipt_is_lost(
    replicated: tuple[str, Path], tmp_path: Path
) -> None:
    url, folder = replicated
    cluster = Cluster(tmp_path, url).setup()
    try:
        hosts = [cluster.host("host-a"), cluster.host("host-b")]
        ports = [host.instance.port for host in hosts]
        envelopes = [seal(cluster.identity, 300 * KIB if i % 2 else KIB, f"failover-{i}") for i in range(40)]
        attempts: list[tuple[float, int, Attempt]] = []
        stop = threading.Event()

        def load(worker: int) -> None:
            n = worker
            while not stop.is_set():
                port = ports[n % 2]
                started = time.monotonic()
                try:
                    source = sources([port])[0]
                    attempt = source.single(envelopes[n % len(envelopes)]) if n % 4 else source.nojs(8 * KIB)
                except (NoAnswer, RuntimeError):  # no answer, or no form: the database is away
                    attempt = Attempt("single")
                attempts.append((started, port, attempt))
                if not attempt.shown:
                    time.sleep(0.1)
                n += 4

        workers = [threading.Thread(target=load, args=(i,), daemon=True) for i in range(4)]
        for worker in workers:
            worker.start()
        time.sleep(3)
        stopped_at = time.monotonic()
        _replica("stop-primary", folder)
        time.sleep(1)  # an operator's pause: requests fail meanwhile, and no receipt is shown for them
        _replica("promote", folder)
        promoted_at = time.monotonic()
        deadline = promoted_at + RECONNECT_SECONDS + 5
        back: dict[int, float] = {}
        while time.monotonic() < deadline and len(back) < len(ports):
            for at, port, attempt in list(attempts):
                if at > promoted_at and attempt.shown:
                    back.setdefault(port, at - promoted_at)
            time.sleep(0.1)
        time.sleep(1)
        stop.set()
        for worker in workers:
            worker.join(timeout=90)

        shown_before = sum(1 for at, _, a in attempts if at < stopped_at and a.shown)
        print(
            f"\n{len(attempts)} submissions tried, {shown_before} shown before the stop; back after the "
            f"promotion in " + ", ".join(f"{seconds:.1f} s" for seconds in back.values())
        )
        assert sorted(back) == sorted(ports), f"a host did not come back within {RECONNECT_SECONDS + 5} s"
        assert max(back.values()) <= RECONNECT_SECONDS
        assert shown_before > 0
        report = audit(cluster, [attempt for _, _, attempt in attempts])
        assert report.problems == [], report.problems[:5]  # every receipt shown opens its submission
        assert report.receipts_verified == sum(1 for _, _, a in attempts if a.shown)
        checked = run_check(cluster)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    finally:
        cluster.stop()
