"""The blob store: envelope files (ciphertext only) under ``<data>/blobs``, written so a crash loses nothing.

A blob is written to ``tmp/`` under a unique name, flushed to disk, then renamed into ``<id[:2]>/<id>``, and
the directory entry flushed too. A blob id therefore names either a complete, durable file or nothing, in any
number of processes at once. Files left in ``tmp/`` are writes that never finished (a crash, a killed worker).

The database keeps only the day a submission arrived; a blob's file times must not be finer. Once the
row naming a blob is committed, :meth:`BlobStore.coarsen_times` sets the blob's modification and access
times, and its shard folder's, to midnight (UTC) of that day. (Not before: until then the exact time is
what tells ``sori check`` that a blob without a row may still be committing.) The inode's change time
(ctime) cannot be set by any program: the kernel stamps it at every change, so a seized disk still shows,
to the second, when each blob file was last changed (here: when its times were set, within moments of
its arrival) and when a shard folder last took one. Only keeping envelopes in the database (the
several-servers blob store) avoids that.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from core.config import BLOBS_TMP_DIR

#: Copy buffer: the envelope's chunk size, so memory stays flat whatever the upload's size.
COPY_BYTES = 64 * 1024

_BLOB_ID = re.compile(r"[0-9a-f]{32}")


class UnknownBlob(Exception):
    """The blob id is malformed, or no blob has it."""


class BlobStore:
    """Envelope files under ``root``; ids are 32 lowercase hex characters (128 random bits)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tmp = self.root / BLOBS_TMP_DIR

    def put(self, stream: BinaryIO) -> tuple[str, int]:
        """Copy ``stream`` to its end into a new blob; returns ``(blob_id, size)`` once it is on disk.

        If reading or writing fails, no blob exists and the temporary file is removed; the error propagates.
        """
        with self.writing() as pending:
            size = 0
            while chunk := stream.read(COPY_BYTES):
                pending.file.write(chunk)
                size += len(chunk)
            return pending.commit(), size

    @contextmanager
    def writing(self) -> Iterator[PendingBlob]:
        """A new blob to write into ``pending.file``; it exists once ``pending.commit()`` returns.

        Leaving the block without committing, normally or by an error, removes the temporary file."""
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix="put-")  # O_EXCL, mode 0600
        pending = PendingBlob(self, Path(tmp_name), os.fdopen(fd, "wb"))
        try:
            yield pending
        finally:
            # Also on KeyboardInterrupt or a worker's timeout: never leave half a blob behind.
            pending.discard()

    def adopt(self, tmp_path: Path) -> PendingBlob:
        """A complete file already in ``tmp/`` (an upload in pieces), ready to be committed as a blob."""
        if tmp_path.parent != self.tmp:
            raise UnknownBlob("only files in the store's tmp/ can become blobs")
        return PendingBlob(self, tmp_path, tmp_path.open("ab"))

    def _commit(self, tmp_path: Path) -> str:
        blob_id = secrets.token_hex(16)
        target = self.path(blob_id)
        if not target.parent.is_dir():
            target.parent.mkdir(mode=0o700, exist_ok=True)
            _fsync_dir(self.root)
        os.rename(tmp_path, target)
        _fsync_dir(target.parent)
        return blob_id

    def coarsen_times(self, blob_id: str) -> None:
        """Set the blob's and its shard folder's access and modification times to midnight UTC today."""
        path = self.path(blob_id)
        midnight = (time.time() // 86400) * 86400
        for each in (path, path.parent):
            os.utime(each, (midnight, midnight))

    def remove(self, blob_id: str) -> None:
        """Delete a blob that no row will ever point at (its row failed to commit)."""
        self.path(blob_id).unlink(missing_ok=True)

    def open(self, blob_id: str) -> BinaryIO:
        """The blob's bytes, for reading; raises :class:`UnknownBlob`."""
        try:
            return self.path(blob_id).open("rb")
        except FileNotFoundError:
            raise UnknownBlob(f"no blob {blob_id}") from None

    def exists(self, blob_id: str) -> bool:
        """Whether a complete blob has this id (``False`` for a malformed id)."""
        return _BLOB_ID.fullmatch(blob_id) is not None and self.path(blob_id).is_file()

    def path(self, blob_id: str) -> Path:
        """Where the blob is or would be; raises :class:`UnknownBlob` for anything but a well-formed id."""
        if _BLOB_ID.fullmatch(blob_id) is None:
            raise UnknownBlob("malformed blob id")
        return self.root / blob_id[:2] / blob_id

    def blob_ids(self) -> Iterator[str]:
        """The ids of all complete blobs, in sorted order; other files in the store are not blobs."""
        for shard in sorted(self.root.iterdir()):
            if shard.is_dir() and re.fullmatch(r"[0-9a-f]{2}", shard.name):
                for entry in sorted(shard.iterdir()):
                    if _BLOB_ID.fullmatch(entry.name) and entry.name[:2] == shard.name and entry.is_file():
                        yield entry.name

    def stray_temp_files(self, min_age_seconds: float = 3600) -> list[Path]:
        """Files in ``tmp/`` untouched for ``min_age_seconds``: writes that died. Younger ones may be uploads
        still streaming in another process."""
        cutoff = time.time() - min_age_seconds
        stray = []
        for entry in self.tmp.iterdir():
            try:
                if entry.stat().st_mtime <= cutoff:
                    stray.append(entry)
            except FileNotFoundError:
                continue  # renamed into place or cleaned up since the listing
        return sorted(stray)


class PendingBlob:
    """A blob being written: ``file`` is open for writing in ``tmp/``; :meth:`commit` makes it durable and
    moves it into place, :meth:`discard` removes it."""

    def __init__(self, store: BlobStore, tmp_path: Path, file: BinaryIO) -> None:
        self.store = store
        self.file = file
        self._tmp_path = tmp_path
        self.blob_id: str | None = None

    def commit(self) -> str:
        """Flush the file to disk and rename it into the store; returns the new blob id."""
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        self.blob_id = self.store._commit(self._tmp_path)
        return self.blob_id

    def discard(self) -> None:
        """Remove the temporary file, unless committed."""
        if not self.file.closed:
            # Closing flushes what is buffered, which fails again on a full disk: the file goes anyway.
            with suppress(OSError):
                self.file.close()
        if self.blob_id is None:
            self._tmp_path.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    # A rename is durable only once the directory holding the new entry is flushed.
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
