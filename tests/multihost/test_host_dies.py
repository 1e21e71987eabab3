"""An app host dies in the middle of 20 large uploads (issue 15, "Done when" 2): it hangs (SIGSTOP) with
pieces on their way to it, then gets SIGKILL, no warning. The uploads go through nginx to both hosts; each
source resumes on the host left (after a dropped answer, the empty PUT asks where the upload stands, as
static/js/upload.js does). No receipt shown is lost, and no submission is stored half."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.multihost.cluster import Cluster, sources, upload_in_pieces
from tests.reliability.harness import MIB, audit, run_check, seal

UPLOADS = 20
SIZE = 6 * MIB + 77
PIECE = 512 * 1024


def test_a_host_killed_mid_upload_loses_no_receipt_and_leaves_no_half_submission(cluster: Cluster) -> None:
    doomed, survivor = cluster.host("host-a"), cluster.host("host-b")
    sealed = [seal(cluster.identity, SIZE, f"large-{i}") for i in range(UPLOADS)]
    with cluster.nginx([doomed.instance.port, survivor.instance.port]) as front:
        finished = threading.Event()
        under_way = threading.Semaphore(0)
        dropped: list[int] = []
        started = time.monotonic()

        def upload(i: int):
            took_one = threading.Event()

            def acknowledged() -> None:
                if not took_one.is_set():
                    took_one.set()
                    under_way.release()

            attempt = upload_in_pieces(
                sources([front]),
                sealed[i],
                piece=PIECE,
                pause=0.05,
                dropped=dropped,
                acknowledged=acknowledged,
            )
            finished.set()
            return attempt

        with ThreadPoolExecutor(UPLOADS) as pool:
            running = [pool.submit(upload, i) for i in range(UPLOADS)]
            # Once every upload is under way (a host took a piece of each), the doomed host freezes, so that
            # the pieces nginx passes to it pile up mid-flight, and is killed once some are there. A kill at a
            # fixed moment could miss them all on a loaded machine, and nginx quietly sends a piece it has not
            # begun to pass on to the other host, which would leave nothing cut to resume.
            for _ in range(UPLOADS):
                assert under_way.acquire(timeout=120), "an upload never started"
            assert not finished.is_set(), "uploads finished before the kill: make them larger"
            doomed.freeze()
            deadline = time.monotonic() + 30
            while _pieces_waiting(doomed.instance.port) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            doomed.kill()
            killed_at = time.monotonic() - started
            attempts = [job.result(timeout=240) for job in running]

    assert dropped, "no upload was cut by the kill"
    refused = [f"{a.status} {a.error}" for a in attempts if not a.shown]
    assert refused == [], refused[:5]
    report = audit(cluster, attempts)
    assert report.problems == [], report.problems[:5]  # no receipt lost, no half submission, all decrypt
    assert report.receipts_verified == report.submissions == report.decrypted == UPLOADS
    # The killed host may leave scratch files on its own disk; nothing of it is left in the shared store.
    checked = run_check(cluster)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    print(
        f"\nhost A killed at {killed_at:.1f} s; {len(dropped)} pieces cut ({sorted(set(dropped))}), resumed; "
        f"{UPLOADS} uploads of {SIZE / MIB:.0f} MiB finished on host B"
    )


def _pieces_waiting(port: int) -> int:
    """Connections to ``port`` on loopback holding bytes the (frozen) host has not read: /proc/net/tcp lists
    local address, remote address, state (01: established) and the receive queue in hex."""
    waiting = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        receive_queue = int(fields[4].split(":")[1], 16)
        if local_port == port and fields[3] == "01" and receive_queue > 0:
            waiting += 1
    return waiting
