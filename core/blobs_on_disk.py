"""The file backend of the blob store (core/blobstore.py): envelope files under ``<data>/blobs`` on this
host's disk, written so a crash loses nothing. The default, for one server with SQLite or PostgreSQL.

A blob is written to ``tmp/`` under a unique name, flushed to disk, then renamed into ``<id[:2]>/<id>``, and
the directory entry flushed too. A blob id therefore names either a complete, durable file or nothing, in any
number of processes at once. Files left in ``tmp/`` are writes that never finished (a crash, a killed worker).
An upload in pieces is one file ``tmp/upload-<id>-<announced size>``; pieces are appended under an exclusive
lock (flock) at the offset the browser names, so any worker process of this host can take the next piece.

The database keeps only the day a submission arrived; a blob's file times must not be finer. Once the
row naming a blob is committed, :meth:`FileBlobs.coarsen_times` sets the blob's modification and access
times, and its shard folder's, to midnight (UTC) of that day. (Not before: until then the exact time is
what tells ``sori check`` that a blob without a row may still be committing.) The inode's change time
(ctime) cannot be set by any program: the kernel stamps it at every change, so a seized disk still shows,
to the second, when each blob file was last changed (here: when its times were set, within moments of
its arrival) and when a shard folder last took one. Only keeping envelopes in the database (the
``database`` backend) avoids that.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Connection

from core.blobstore import (
    BLOB_ID,
    COPY_BYTES,
    BlobStore,
    OffsetMismatch,
    PendingBlob,
    TooLarge,
    UnknownBlob,
    check_id,
)
from core.config import BLOBS_TMP_DIR

_UPLOAD_NAME = re.compile(r"upload-([0-9a-f]{32})-([0-9]{1,15})")


class FileBlobs(BlobStore):
    """Envelope files under ``root``."""

    def __init__(self, root: Path, fallback: BlobStore | None = None) -> None:
        super().__init__(Path(root) / BLOBS_TMP_DIR, fallback)
        self.root = Path(root)

    def path(self, blob_id: str) -> Path:
        """Where the blob is or would be; raises :class:`UnknownBlob` for anything but a well-formed id."""
        check_id(blob_id)
        return self.root / blob_id[:2] / blob_id

    # --- writing ---------------------------------------------------------------------------------------

    def put(self, stream: BinaryIO, blob_id: str | None = None) -> tuple[str, int]:
        with self.writing() as pending:
            size = 0
            while chunk := stream.read(COPY_BYTES):
                pending.file.write(chunk)
                size += len(chunk)
            if blob_id is None:
                return pending.commit(None), size  # type: ignore[arg-type]  (files need no connection)
            pending.file.flush()
            os.fsync(pending.file.fileno())
            target = self._shard_of(blob_id)
            try:
                os.link(pending.scratch, target)  # unlike rename, never replaces a blob that exists
            except FileExistsError:
                raise UnknownBlob(f"a blob {blob_id} exists already") from None
            fsync_dir(target.parent)
            return blob_id, size

    def _commit_scratch(self, scratch: Path, file: BinaryIO, connection: Connection | None) -> str:
        os.fsync(file.fileno())
        file.close()
        blob_id = secrets.token_hex(16)
        target = self._shard_of(blob_id)
        os.rename(scratch, target)
        fsync_dir(target.parent)
        return blob_id

    def _shard_of(self, blob_id: str) -> Path:
        target = self.path(blob_id)
        if not target.parent.is_dir():
            target.parent.mkdir(mode=0o700, exist_ok=True)
            fsync_dir(self.root)
        return target

    def coarsen_times(self, blob_id: str) -> None:
        """Set the blob's and its shard folder's access and modification times to midnight UTC today."""
        path = self.path(blob_id)
        midnight = (time.time() // 86400) * 86400
        for each in (path, path.parent):
            os.utime(each, (midnight, midnight))

    # --- reading and removing --------------------------------------------------------------------------

    def _open(self, blob_id: str) -> BinaryIO:
        try:
            return self.path(blob_id).open("rb")
        except FileNotFoundError:
            raise UnknownBlob(f"no blob {blob_id}") from None

    def _exists(self, blob_id: str) -> bool:
        return self.path(blob_id).is_file()

    def blob_ids(self) -> Iterator[str]:
        for shard in sorted(self.root.iterdir()):
            if shard.is_dir() and re.fullmatch(r"[0-9a-f]{2}", shard.name):
                for entry in sorted(shard.iterdir()):
                    if BLOB_ID.fullmatch(entry.name) and entry.name[:2] == shard.name and entry.is_file():
                        yield entry.name

    def _remove(self, blob_id: str) -> None:
        self.path(blob_id).unlink(missing_ok=True)

    def age(self, blob_id: str) -> float | None:
        try:
            return time.time() - self.path(blob_id).stat().st_mtime
        except FileNotFoundError:
            return None

    def where(self, blob_id: str) -> str:
        try:
            return f"the blob file {self.path(blob_id)}"
        except UnknownBlob:
            return f"the blob {blob_id!r}"

    # --- uploads in pieces -----------------------------------------------------------------------------

    def start_upload(self, size: int) -> str:
        upload_id = secrets.token_hex(16)
        fd = os.open(self.tmp / f"upload-{upload_id}-{size}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        return upload_id

    def append_upload(self, upload_id: str, offset: int, body: BinaryIO, max_piece: int) -> int:
        with self._locked(upload_id) as (file, announced):
            received = os.fstat(file.fileno()).st_size
            if offset != received:
                raise OffsetMismatch(received)
            written = 0
            try:
                while piece := body.read(COPY_BYTES):
                    written += len(piece)
                    if written > max_piece or received + written > announced:
                        raise TooLarge("the piece goes past the limit or the announced size")
                    file.write(piece)
                file.flush()
            except BaseException:
                # Never keep half a piece: the browser resends the whole of it.
                file.truncate(received)
                raise
            return received + written

    def read_upload(self, upload_id: str) -> tuple[BinaryIO, int, int]:
        with self._locked(upload_id) as (file, announced):
            reader = open(file.name, "rb")  # noqa: SIM115  (the caller closes it)
            return reader, os.fstat(reader.fileno()).st_size, announced

    def adopt(self, upload_id: str) -> PendingBlob:
        return _AdoptedUpload(self, self._upload_path(upload_id))

    def discard_upload(self, upload_id: str) -> None:
        for path in self._candidates(upload_id):
            path.unlink(missing_ok=True)

    def _candidates(self, upload_id: str) -> list[Path]:
        if not isinstance(upload_id, str) or BLOB_ID.fullmatch(upload_id) is None:
            return []
        return [p for p in self.tmp.glob(f"upload-{upload_id}-*") if _UPLOAD_NAME.fullmatch(p.name)]

    def _upload_path(self, upload_id: str) -> Path:
        candidates = self._candidates(upload_id)
        if len(candidates) != 1:
            raise UnknownBlob("no such upload")
        return candidates[0]

    @contextmanager
    def _locked(self, upload_id: str) -> Iterator[tuple[BinaryIO, int]]:
        """The upload's file open for appending under an exclusive lock, and its announced size."""
        path = self._upload_path(upload_id)
        match = _UPLOAD_NAME.fullmatch(path.name)
        assert match is not None  # _candidates only returns matching names
        try:
            file = path.open("r+b")
        except FileNotFoundError:
            raise UnknownBlob("no such upload") from None
        with file:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX)
            if not path.exists():  # finished by another worker while this one waited for the lock
                raise UnknownBlob("no such upload")
            file.seek(0, os.SEEK_END)
            yield file, int(match.group(2))


class _AdoptedUpload(PendingBlob):
    """A complete upload file in ``tmp/``, to be flushed and renamed into the store."""

    def __init__(self, store: FileBlobs, path: Path) -> None:
        super().__init__(store)
        self._path = path

    def commit(self, connection: Connection | None) -> str:
        try:
            self.blob_id = self.store._commit_scratch(self._path, self._path.open("rb"), connection)
        except FileNotFoundError:  # finished by another request meanwhile
            raise UnknownBlob("no such upload") from None
        return self.blob_id


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries to disk: a rename or link is durable only once its folder is."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
