"""500 slow-loris uploads against gunicorn with the shipped configuration: pages, a reviewer page and /health
still answer within 2 s, a real 10 MiB no-JavaScript submission gets its receipt in the middle, and the
slow bodies are cut once they fall behind the minimum average rate (issue 18, finding 1).

The grace before the rate counts is shortened to 40 s (production: 60 s) so that the cut is seen in a
bounded time; everything else is as deploy/ ships it.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.abuse.helpers import AbuseInstance, Browser, add_reviewer, log_in, slow_loris, timed, within
from tests.databases import fresh_database
from tests.reliability.harness import MIB, Source, audit

SLOW_UPLOADS = 500
GRACE = 40
#: How long the normal traffic runs while every slow upload is in flight.
TRAFFIC_SECONDS = 25

#: One abuse test at a time (scripts/test.sh runs with --dist loadgroup): each measures a server on 2 cores.
pytestmark = [pytest.mark.once, pytest.mark.slow, pytest.mark.xdist_group("abuse")]


def test_five_hundred_slow_uploads_starve_nothing(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as database_url:
        instance = AbuseInstance(tmp_path, database_url, extra_env={"SORI_UPLOAD_GRACE": str(GRACE)}).setup()
        reviewer = add_reviewer(instance)
        server = instance.shipped()
        try:
            reviewer_browser = log_in(instance, reviewer)
            source = Source(instance.port, timeout=120)
            source.open_form()
            with slow_loris(instance.port, SLOW_UPLOADS) as attack:
                started = time.monotonic()
                latencies: dict[str, list[float]] = {"/health": [], "/submit": [], "/reviewer/inbox": []}
                failures: list[str] = []

                def traffic(path: str, browser: Browser) -> None:
                    while time.monotonic() - started < TRAFFIC_SECONDS:
                        status, seconds = timed(browser, path)
                        latencies[path].append(seconds)
                        if status != 200:
                            failures.append(f"{path}: {status}")
                        time.sleep(0.1)

                threads = [
                    threading.Thread(target=traffic, args=("/health", Browser(instance.port))),
                    threading.Thread(target=traffic, args=("/submit", Browser(instance.port))),
                    threading.Thread(target=traffic, args=("/reviewer/inbox", reviewer_browser)),
                ]
                for thread in threads:
                    thread.start()
                time.sleep(5)
                submission = source.nojs(10 * MIB)  # a real source in the middle of it
                for thread in threads:
                    thread.join(TRAFFIC_SECONDS + 60)
                in_flight = attack.waiting

                # Past the grace the slow bodies fall behind the minimum rate and are cut with 408.
                deadline = started + GRACE + 30
                while attack.waiting and time.monotonic() < deadline:
                    time.sleep(1)
                cut = attack.received
            report = audit(instance, [submission])
        finally:
            server.stop()

    print(
        "\n".join(
            f"{path}: {len(values)} requests, {within(values, 2):.1%} within 2 s, slowest {max(values):.2f} s"
            for path, values in latencies.items()
        )
        + f"\nslow uploads in flight after the traffic: {in_flight}; answered since: {sum(map(bool, cut))}"
    )
    assert in_flight == SLOW_UPLOADS, "the slow uploads were answered before the traffic ended"
    assert failures == []
    for path, values in latencies.items():
        assert len(values) >= 20, path
        assert within(values, 2) >= 0.99, f"{path}: only {within(values, 2):.1%} within 2 s"
    assert submission.receipt is not None, submission.error
    assert report.problems == [] and report.receipts_verified == 1
    assert sum(1 for answer in cut if answer.startswith(b"HTTP/1.1 408")) >= 0.99 * SLOW_UPLOADS
