"""The blob store: where envelopes too large for their row are kept (ciphertext only), behind one interface.

Two backends, chosen by ``SORI_BLOB_STORE`` (core/config.py; ``submissions.blob_store()`` gives the one
configured): ``files``, the default, keeps each blob as a file under ``<data>/blobs/`` on this host's disk
(core/blobs_on_disk.py); ``database`` keeps it as chunks of about 1 MiB in the database's ``blob_chunks``
table, shared by every app host (core/blobs_in_database.py). Whatever the backend, a blob id is 32 lowercase
hex characters and names either a complete, durable blob or nothing.

The interface, :class:`BlobStore`; nothing outside the two backends uses more:

Writing. A receipt is shown only once the row naming a blob is committed (core/submissions.py).
    ``writing()``           a context giving a :class:`WritingBlob`: write to ``pending.file`` (a scratch file
                            on this host), then ``pending.commit(connection)`` returns the new blob's id.
                            Files: flushed to disk and renamed into place before it returns. Database:
                            inserted in ``connection``'s transaction, so the commit of the row makes both
                            durable at once. Leaving the block without committing leaves nothing behind.
    ``put(stream, blob_id=None)``  a new blob holding ``stream`` to its end, committed on its own (or in the
                            transaction of :meth:`~BlobStore.within`); returns ``(blob_id, size)``. A backup's
                            restore and ``sori blobs move`` give the id.
    ``coarsen_times(id)``   once the row is committed: a file's times to the day (the database keeps none).
Reading.
    ``open(id)``            the bytes, as a binary file object streamed in constant memory; ``exists(id)``.
    ``blob_ids()``          every complete blob's id, sorted, streamed (uploads under way are not blobs).
    While blobs move between backends (``sori blobs move``), ``open`` and ``exists`` also look in the other
    backend, so that readers never miss a blob.
Removing.
    ``remove(id)``          delete a blob once no committed row names it (after the row's deletion is
                            committed, or after its insertion failed), in both backends while blobs move;
                            a blob already gone is no error.
Uploads in pieces (intake/uploads.py), kept where every host sees them (database) or in ``blobs/tmp``:
    ``start_upload(size)`` → id; ``append_upload(id, offset, body, max_piece)`` → bytes held (raises
    :class:`OffsetMismatch` or :class:`TooLarge`); ``read_upload(id)`` → (bytes, received, announced);
    ``adopt(id)`` → a :class:`PendingBlob` whose ``commit(connection)`` makes the upload a blob under a new
    id; ``discard_upload(id)``.
Housekeeping (``sori check``).
    ``leftovers(min_age)`` writes and uploads that never finished, untouched for ``min_age`` seconds;
    ``discard(leftover)``; ``age(id)`` (seconds since a blob was written; infinite in the database, where
    a blob exists only with its row, so an orphan there is never one still committing); ``where(id)``,
    words naming where a blob is, for messages.
In a transaction.
    ``within(connection)``  the same store acting in ``connection``'s transaction (database; files have none).
    Without it, the database backend writes in transactions of its own: on SQLite, where one writer waits
    for another, never call ``put`` or ``remove`` while a session of yours holds an uncommitted write.

A method given a malformed id raises :class:`UnknownBlob`, and so does one that reads or changes a blob or
upload that is not there (removing one that is gone is not an error).
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Connection

#: Copy buffer: the envelope's chunk size, so memory stays flat whatever the upload's size.
COPY_BYTES = 64 * 1024

BLOB_ID = re.compile(r"[0-9a-f]{32}")


class UnknownBlob(Exception):
    """The blob (or upload) id is malformed, or no blob (or upload) has it."""


class OffsetMismatch(Exception):
    """A piece does not start where the upload stands; ``received`` says where it does."""

    def __init__(self, received: int) -> None:
        super().__init__(f"the upload holds {received} bytes")
        self.received = received


class TooLarge(Exception):
    """A piece goes past the largest piece allowed or past the upload's announced size."""


@dataclass(frozen=True)
class Leftover:
    """A write or an upload that never finished: ``name`` for messages, ``age`` in seconds since it was last
    touched, ``upload`` whether it is an upload in pieces, and its file on this host or its upload id in the
    database."""

    name: str
    age: float
    upload: bool
    path: Path | None = None
    upload_id: str | None = None


def check_id(blob_id: str) -> str:
    """``blob_id`` if it is well formed; raises :class:`UnknownBlob`."""
    if not isinstance(blob_id, str) or BLOB_ID.fullmatch(blob_id) is None:
        raise UnknownBlob("malformed blob id")
    return blob_id


class BlobStore(ABC):
    """The interface of the module docstring; ``tmp`` is this host's scratch folder, ``fallback`` the other
    backend that reads look in while blobs move."""

    #: Whether a new blob is written in the transaction of the row that names it (the database), rather than
    #: made durable on its own before that row is written (files): ``commit(None)`` is then enough.
    in_row_transaction: bool = False

    def __init__(self, tmp: Path, fallback: BlobStore | None = None) -> None:
        self.tmp = Path(tmp)
        self.fallback = fallback

    # --- writing ---------------------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[WritingBlob]:
        """A new blob to write into ``pending.file``; it exists once ``pending.commit(connection)`` returns
        (database: once that connection's transaction commits). Leaving the block without committing, normally
        or by an error, removes the scratch file."""
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix="put-")  # O_EXCL, mode 0600
        pending = WritingBlob(self, Path(tmp_name), os.fdopen(fd, "wb"))
        try:
            yield pending
        finally:
            # Also on KeyboardInterrupt or a worker's timeout: never leave half a blob behind.
            pending.discard()

    @abstractmethod
    def put(self, stream: BinaryIO, blob_id: str | None = None) -> tuple[str, int]:
        """Copy ``stream`` to its end into a new blob (named ``blob_id`` if given, which must be free);
        returns ``(blob_id, size)`` once it is durable. On failure no blob exists; the error propagates."""

    @abstractmethod
    def _commit_scratch(self, scratch: Path, file: BinaryIO, connection: Connection | None) -> str:
        """Make the scratch file, still open as ``file`` (written, flushed), a blob under a new id and close
        ``file`` (see :meth:`WritingBlob.commit`)."""

    def coarsen_times(self, blob_id: str) -> None:  # noqa: B027  (a backend keeping no times has nothing to do)
        """Once the row naming the blob is committed: hide when it was written, as far as the backend can."""

    def within(self, connection: Connection) -> BlobStore:
        """This store acting in ``connection``'s transaction, where the backend has transactions."""
        return self

    # --- reading ---------------------------------------------------------------------------------------

    def open(self, blob_id: str) -> BinaryIO:
        """The blob's bytes, for reading; raises :class:`UnknownBlob`."""
        try:
            return self._open(check_id(blob_id))
        except UnknownBlob:
            if self.fallback is None:
                raise
            return self.fallback._open(blob_id)

    def exists(self, blob_id: str) -> bool:
        """Whether a complete blob has this id (``False`` for a malformed id)."""
        if BLOB_ID.fullmatch(blob_id) is None:
            return False
        return self._exists(blob_id) or (self.fallback is not None and self.fallback._exists(blob_id))

    @abstractmethod
    def _open(self, blob_id: str) -> BinaryIO: ...

    @abstractmethod
    def _exists(self, blob_id: str) -> bool: ...

    @abstractmethod
    def blob_ids(self) -> Iterator[str]:
        """The ids of all complete blobs, in sorted order."""

    # --- removing --------------------------------------------------------------------------------------

    def remove(self, blob_id: str) -> None:
        """Delete a blob that no committed row names, from the other backend too (a blob deleted while it
        moves must not stay behind there); a blob already gone is not an error."""
        self._remove(check_id(blob_id))
        if self.fallback is not None:
            self.fallback._remove(blob_id)

    @abstractmethod
    def _remove(self, blob_id: str) -> None: ...

    # --- uploads in pieces -----------------------------------------------------------------------------

    @abstractmethod
    def start_upload(self, size: int) -> str:
        """A new, empty upload of an envelope announced to be ``size`` bytes; returns its id."""

    @abstractmethod
    def append_upload(self, upload_id: str, offset: int, body: BinaryIO, max_piece: int) -> int:
        """Add ``body`` at byte ``offset``, whole or not at all; returns how many bytes the upload holds.

        Raises :class:`OffsetMismatch` when ``offset`` is not where it stands (also when another host added
        a piece meanwhile), :class:`TooLarge` when the piece is over ``max_piece`` or goes past the
        announced size."""

    @abstractmethod
    def read_upload(self, upload_id: str) -> tuple[BinaryIO, int, int]:
        """The upload's bytes so far, how many there are, and the size announced."""

    @abstractmethod
    def adopt(self, upload_id: str) -> PendingBlob:
        """The upload, ready to be committed as a blob (it must hold its announced size by then)."""

    @abstractmethod
    def discard_upload(self, upload_id: str) -> None:
        """Remove an upload, if it is still there."""

    # --- housekeeping ----------------------------------------------------------------------------------

    def leftovers(self, min_age: float = 0) -> list[Leftover]:
        """Writes and uploads that never finished, untouched for ``min_age`` seconds: on this host's disk,
        and (database) uploads left by any host. Younger ones may still be under way."""
        now = time.time()
        found = []
        for entry in self.tmp.iterdir():
            try:
                age = now - entry.stat().st_mtime
            except FileNotFoundError:
                continue  # renamed into place or cleaned up since the listing
            if age >= min_age:
                found.append(Leftover(str(entry), age, entry.name.startswith("upload-"), entry))
        return sorted(found, key=lambda leftover: leftover.name)

    def discard(self, leftover: Leftover) -> None:
        """Remove a leftover (a folder in ``tmp/`` is left alone: only a person should remove that)."""
        if leftover.path is not None and not leftover.path.is_dir():
            leftover.path.unlink(missing_ok=True)

    @abstractmethod
    def age(self, blob_id: str) -> float | None:
        """Seconds since the blob was written, ``None`` if it is not there."""

    @abstractmethod
    def where(self, blob_id: str) -> str:
        """Where the blob is or would be, in words for a message ("the blob file /var/...")."""

    # --- shared by the backends ------------------------------------------------------------------------

    @contextmanager
    def spooled(self, body: BinaryIO, limit: int) -> Iterator[tuple[BinaryIO, int]]:
        """``body`` copied to a scratch file on this host, then open for reading from its start, with its
        size; raises :class:`TooLarge` past ``limit`` bytes. The file is removed at the block's end."""
        with tempfile.TemporaryFile(dir=self.tmp, prefix="piece-") as file:
            size = 0
            while piece := body.read(COPY_BYTES):
                size += len(piece)
                if size > limit:
                    raise TooLarge("the piece goes past the limit or the announced size")
                file.write(piece)
            file.seek(0)
            yield file, size  # type: ignore[misc]


class PendingBlob:
    """A blob about to exist: :meth:`commit` makes it one, :meth:`discard` removes what is left of it."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store
        self.blob_id: str | None = None

    def commit(self, connection: Connection | None) -> str:
        """Make the blob exist (in ``connection``'s transaction where the backend has transactions: there it
        must be given); returns its id."""
        raise NotImplementedError

    def discard(self) -> None:
        """Remove what is left, unless committed."""


class WritingBlob(PendingBlob):
    """A blob being written: ``file`` is a scratch file on this host, open for writing."""

    def __init__(self, store: BlobStore, tmp_path: Path, file: BinaryIO) -> None:
        super().__init__(store)
        self.file = file
        self.scratch = tmp_path

    def commit(self, connection: Connection | None) -> str:
        """Hand the written file to the store; returns the new blob id."""
        self.file.flush()
        self.blob_id = self.store._commit_scratch(self.scratch, self.file, connection)
        return self.blob_id

    def discard(self) -> None:
        if not self.file.closed:
            # Closing flushes what is buffered, which fails again on a full disk: the file goes anyway.
            with suppress(OSError):
                self.file.close()
        # Committed into the file store, the scratch file was renamed away; into the database, it was copied.
        self.scratch.unlink(missing_ok=True)


class IteratorReader(io.RawIOBase):
    """A binary file object reading from an iterator of byte strings (a backup's part, for :meth:`put`)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._rest = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._rest:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._rest = memoryview(chunk)
        count = min(len(buffer), len(self._rest))
        buffer[:count] = self._rest[:count]
        self._rest = self._rest[count:]
        return count
