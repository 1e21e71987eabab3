"""``sori blobs move``: every blob from one backend of the blob store to the other, while Sori keeps serving.

Each blob is copied with its id and made durable in the target (files: flushed and linked into place;
database: committed) before it is removed from the source, so that at every moment it is whole in one
backend or both, and a reader (whose store looks in the other backend for what its own lacks,
core/blobstore.py) always finds it; one read from the database while its blob moves to files reads on
from the file. The envelope rows name blobs by id only, so nothing else changes. Interrupted, it is run
again: a blob already in the target is only removed from the source. Memory stays flat: one blob is
streamed at a time, in the store's pieces.

Order for an installation: set ``SORI_BLOB_STORE`` to the target on every app host (new blobs then go
there, old ones are still read from the source), then run the move once; deploy/README.md says more.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from core.blobstore import BlobStore


@dataclass
class MoveReport:
    """What a move did: blobs moved, their bytes, blobs already in the target, and how long it took."""

    moved: int = 0
    bytes: int = 0
    already_there: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        rate = self.bytes / 1024**2 / self.seconds if self.seconds else 0.0
        return (
            f"{self.moved} blob(s) moved ({self.bytes / 1024**2:.1f} MiB in {self.seconds:.1f} s, "
            f"{rate:.0f} MiB/s); {self.already_there} were in the target already"
        )


def move(source: BlobStore, target: BlobStore, emit: Callable[[str], None], every: int = 100) -> MoveReport:
    """Move every blob of ``source`` into ``target`` (neither reading from the other), saying how far it got
    every ``every`` blobs."""
    report = MoveReport()
    started = time.monotonic()
    for blob_id in source.blob_ids():
        if target.exists(blob_id):
            report.already_there += 1
        else:
            with source.open(blob_id) as stream:
                _, size = target.put(stream, blob_id)
            target.coarsen_times(blob_id)
            report.moved += 1
            report.bytes += size
        source.remove(blob_id)
        if (report.moved + report.already_there) % every == 0:
            emit(f"... {report.moved + report.already_there} blob(s) so far")
    report.seconds = time.monotonic() - started
    return report
