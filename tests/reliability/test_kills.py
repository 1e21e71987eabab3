"""The server killed with SIGKILL during uploads, many times, at random moments (DESIGN.md section 2.6).

gunicorn (2 gthread workers) serves Sori; eight simulated sources submit without pause on the three paths:
the browser path in one request (small envelopes kept in their row, larger ones in blobs), the browser path
in pieces (multi-MiB envelopes in 512 KiB pieces) and the no-JavaScript form (streamed multipart, sealed
on the server). Every round the whole gunicorn process group is SIGKILLed after a random delay and
started again. Afterwards every receipt a source was shown opens a submission holding exactly what it
sent, every stored envelope decrypts, no submission lacks its envelope, and whatever is left over (a blob
without a row, a file in blobs/tmp, a submission nobody got a receipt for) is accounted for by a request
that never got an answer; ``sori check`` reports only those, and is clean after ``--clean-stale``.

Bounded: ``SORI_KILL_ROUNDS`` rounds (default 20) and ``SORI_KILL_SECONDS`` seconds (default 150).
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
    MIB,
    Attempt,
    Instance,
    NoAnswer,
    Source,
    audit,
    background,
    remove_leftovers,
    run_check,
    seal,
    sori_check_available,
)

ROUNDS = int(os.environ.get("SORI_KILL_ROUNDS", "20"))
SECONDS = float(os.environ.get("SORI_KILL_SECONDS", "150"))
SOURCES = 8


@pytest.mark.slow
def test_sigkill_during_uploads_loses_nothing_that_was_acknowledged(tmp_path: Path) -> None:
    started = time.monotonic()
    with fresh_database(tmp_path) as database_url:
        instance = Instance(tmp_path, database_url).setup()
        identity = instance.identity
        single = [
            seal(identity, size, f"single-{size}") for size in (1 * KIB, 60 * KIB, 200 * KIB, 700 * KIB)
        ]
        large = [seal(identity, size, f"pieces-{size}") for size in (2 * MIB, 4 * MIB)]

        attempts: list[Attempt] = []
        lock = threading.Lock()
        stop = threading.Event()
        server = instance.gunicorn()
        sources = [Source(instance.port, timeout=30) for _ in range(SOURCES)]
        for source in sources:
            source.open_form()  # the token stays valid across restarts: the secret key is in the data folder

        def submit_until_stopped(source: Source, rng: random.Random) -> None:
            while not stop.is_set():
                kind = rng.choices(["single", "pieces", "nojs"], weights=[5, 3, 2])[0]
                try:
                    if kind == "single":
                        attempt = source.single(rng.choice(single))
                    elif kind == "pieces":
                        attempt = source.pieces(rng.choice(large), 512 * KIB, pause=0.005)
                    else:
                        attempt = source.nojs(rng.choice([4 * KIB, 300 * KIB, 1 * MIB]), pause=0.002)
                except NoAnswer as exc:
                    attempt = Attempt(kind, error=str(exc))
                    time.sleep(0.05)  # the server is down: try again shortly, as a source would
                with lock:
                    attempts.append(attempt)

        workers = iter(range(SOURCES))

        def run() -> None:
            i = next(workers)
            submit_until_stopped(sources[i], random.Random(i))

        kills = 0
        answered_per_round: list[int] = []
        with background(run, SOURCES):
            try:
                for _ in range(ROUNDS):
                    if time.monotonic() - started > SECONDS:
                        break
                    before = len(attempts)
                    time.sleep(random.uniform(0.4, 2.5))
                    server.kill()
                    kills += 1
                    answered_per_round.append(sum(a.answered for a in attempts[before:]))
                    server = instance.gunicorn()
                time.sleep(1.0)  # a last stretch of normal service after the final restart
            finally:
                stop.set()
        server.kill()  # the last one too: the store must be consistent whatever state it was left in

        shown = [a for a in attempts if a.shown]
        unanswered = [a for a in attempts if not a.answered]
        refused = [a for a in attempts if a.answered and not a.shown]
        report = audit(instance, attempts)
        leftovers = len(report.orphan_blobs) + len(report.temp_files) + report.unclaimed_submissions
        print(
            f"\nkills: {kills} SIGKILLs of the whole gunicorn group in {time.monotonic() - started:.0f} s; "
            f"attempts {len(attempts)}: receipts shown {len(shown)} "
            f"({dict(Counter(a.kind for a in shown))}), no answer {len(unanswered)}, other answers "
            f"{len(refused)}; receipts verified {report.receipts_verified}; rows: {report.submissions} "
            f"submissions, {report.envelopes} envelopes ({report.inline} inline, {report.in_blobs} blobs), "
            f"{report.decrypted} decrypted; leftovers: {len(report.orphan_blobs)} orphan blobs, "
            f"{len(report.temp_files)} temp files, {report.unclaimed_submissions} submissions stored whose "
            f"answer never arrived"
        )
        assert kills >= min(ROUNDS, 5)
        assert not report.problems, report.problems
        assert [a.error for a in refused] == [], "a request that was answered was refused"
        assert report.receipts_verified == len(shown) > 0
        assert {a.kind for a in shown} == {"single", "pieces", "nojs"}
        assert report.decrypted == report.envelopes
        assert sum(answered_per_round) > 0 and len(unanswered) > 0, "no kill landed on a request in flight"
        assert leftovers <= len(unanswered), "leftovers that no unanswered request explains"

        if sori_check_available():
            checked = run_check(instance)
            print(f"sori check before cleaning: exit {checked.returncode}\n{checked.stdout}{checked.stderr}")
            problems = [line for line in checked.stdout.splitlines() if line.startswith("PROBLEM")]
            assert (checked.returncode != 0) == bool(problems)
            # Only what a kill between the blob's rename and the row's commit leaves, or an old temp file.
            assert all(line.startswith(("PROBLEM orphan-blob", "PROBLEM stale-temp")) for line in problems)
            assert len(problems) <= len(report.orphan_blobs) + len(report.temp_files)
            cleaned = run_check(instance, "--clean-stale", "--max-age", "0")
            print(f"sori check --clean-stale --max-age 0: exit {cleaned.returncode}\n{cleaned.stdout}")
            final = run_check(instance)
            assert final.returncode == 0, final.stdout + final.stderr
        else:
            remove_leftovers(instance, report)
        after = audit(instance, attempts)
        assert not after.problems and not after.orphan_blobs and not after.temp_files
        assert after.receipts_verified == len(shown)
