"""50 concurrent simulated sources against gunicorn on loopback: zero errors, zero lost, all decrypt.

Each source is a thread with its own session cookie and CSRF token, submitting without pause for
``SORI_LOAD_SECONDS`` (default 60) and at most ``SORI_LOAD_MAX`` submissions in all: mostly the browser
path in one request (envelopes of 1-200 KiB, inline or in blobs), some uploads in pieces (0.5-1.5 MiB in
256 KiB pieces) and a few no-JavaScript forms (sealed on the server, with its argon2id receipt). Every
answer must be a receipt; afterwards every receipt opens its submission, the rows are exactly the
receipts, every envelope decrypts, and ``sori check`` is clean. Prints submissions/s per path.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.databases import fresh_database
from tests.reliability.harness import (
    KIB,
    Attempt,
    Instance,
    Source,
    audit,
    run_check,
    seal,
    sori_check_available,
)

SECONDS = float(os.environ.get("SORI_LOAD_SECONDS", "60"))
MAX_SUBMISSIONS = int(os.environ.get("SORI_LOAD_MAX", "50000"))
SOURCES = 50


@pytest.mark.slow
def test_fifty_sources_at_once_lose_nothing(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as database_url:
        instance = Instance(tmp_path, database_url).setup()
        identity = instance.identity
        single = [seal(identity, size, f"one-{size}") for size in (1 * KIB, 8 * KIB, 100 * KIB, 300 * KIB)]
        pieces = [seal(identity, size, f"pieces-{size}") for size in (512 * KIB, 1536 * KIB)]

        attempts: list[Attempt] = []
        failures: list[str] = []
        lock = threading.Lock()
        server = instance.gunicorn()
        try:
            sources = [Source(instance.port, timeout=60) for _ in range(SOURCES)]
            for source in sources:
                source.open_form()
            start = time.monotonic()
            deadline = start + SECONDS
            numbers = iter(range(SOURCES))

            def run() -> None:
                i = next(numbers)
                source, rng = sources[i], random.Random(i)
                while time.monotonic() < deadline:
                    with lock:
                        if len(attempts) + len(failures) >= MAX_SUBMISSIONS:
                            return
                    roll = rng.random()
                    try:
                        if roll < 0.86:
                            attempt = source.single(rng.choice(single))
                        elif roll < 0.98:
                            attempt = source.pieces(rng.choice(pieces), 256 * KIB)
                        else:
                            attempt = source.nojs(rng.choice([2 * KIB, 64 * KIB]))
                    except Exception as exc:  # noqa: BLE001  (every failure is counted and reported)
                        with lock:
                            failures.append(repr(exc))
                        continue
                    with lock:
                        attempts.append(attempt)

            threads = [threading.Thread(target=run, daemon=True) for _ in range(SOURCES)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=SECONDS + 120)
            elapsed = time.monotonic() - start
            assert not any(t.is_alive() for t in threads), "a source is stuck"
        finally:
            server.stop()

        shown = [a for a in attempts if a.shown]
        errors = [f"{a.kind}: {a.status} {a.error}" for a in attempts if not a.shown] + failures
        by_kind = Counter(a.kind for a in shown)
        rates = ", ".join(f"{kind} {n} ({n / elapsed:.1f}/s)" for kind, n in sorted(by_kind.items()))
        print(
            f"\nload: {SOURCES} sources, {elapsed:.1f} s: {len(shown)} submissions answered with a receipt "
            f"= {len(shown) / elapsed:.1f}/s ({rates}); errors {len(errors)}"
        )
        assert errors == [], errors[:10]
        report = audit(instance, attempts)
        print(
            f"stored {report.submissions} submissions, {report.envelopes} envelopes ({report.inline} inline,"
            f" {report.in_blobs} in blobs), {report.decrypted} decrypted, {report.receipts_verified} receipts"
            f" verified"
        )
        assert not report.problems, report.problems[:10]
        assert report.receipts_verified == len(shown) == report.submissions == report.decrypted > 0
        assert report.unclaimed_submissions == 0 and report.orphan_blobs == [] and report.temp_files == []
        assert set(by_kind) == {"single", "pieces", "nojs"}
        if sori_check_available():
            checked = run_check(instance)
            assert checked.returncode == 0, checked.stdout + checked.stderr
