"""An app host dies in the middle of 20 large uploads (issue 15, "Done when" 2): SIGKILL, no warning. The
uploads go through nginx to both hosts; each source resumes on the host left (after a dropped answer, the
empty PUT asks where the upload stands, as static/js/upload.js does). No receipt shown is lost, and no
submission is stored half."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from tests.multihost.cluster import Cluster, sources, upload_in_pieces
from tests.reliability.harness import MIB, audit, run_check, seal

UPLOADS = 20
SIZE = 6 * MIB + 77
PIECE = 512 * 1024


def test_a_host_killed_mid_upload_loses_no_receipt_and_leaves_no_half_submission(cluster: Cluster) -> None:
    doomed, survivor = cluster.host("host-a"), cluster.host("host-b")
    sealed = [seal(cluster.identity, SIZE, f"large-{i}") for i in range(UPLOADS)]
    with cluster.nginx([doomed.instance.port, survivor.instance.port]) as front:
        progress = threading.Event()
        dropped: list[int] = []
        started = time.monotonic()

        def upload(i: int):
            attempt = upload_in_pieces(sources([front]), sealed[i], piece=PIECE, pause=0.05, dropped=dropped)
            progress.set()
            return attempt

        with ThreadPoolExecutor(UPLOADS) as pool:
            running = [pool.submit(upload, i) for i in range(UPLOADS)]
            # Kill once every upload is well under way (a piece or more each), before the first finishes.
            time.sleep(1.5)
            assert not progress.is_set(), "uploads finished before the kill: make them larger"
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
