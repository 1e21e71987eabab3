"""The database backend of the blob store (core/blobstore.py): envelopes as chunks of about 1 MiB in the
``blob_chunks`` table, so that several app hosts on one PostgreSQL share every blob and every upload in
pieces, and a seized app host holds none (``SORI_BLOB_STORE=database``).

Writing: an envelope streams into a scratch file on this host (no database connection is held while a
source's upload trickles in over Tor), and :meth:`WritingBlob.commit` copies it into chunk rows inside the
transaction of the envelope's row: one commit makes both durable, so a blob here never exists without its
row (a crash leaves only the scratch file, which ``sori check`` finds). An upload in pieces is a ``blobs``
row in state ``upload`` with the chunks received so far; each piece is spooled on this host first, then
added in one short transaction that locks the upload's row, so any host can take the next piece and a
piece is stored whole or not at all. Finishing gives the chunks to a new stored blob in the transaction of
the envelope's row.

Nothing here keeps a time finer than the minute an unfinished upload last took a piece (to find abandoned
ones); a stored blob keeps none. PostgreSQL stores each chunk out of line (TOAST) without trying to
compress it (migration 0007).
"""

from __future__ import annotations

import io
import math
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from core.blobstore import (
    BlobStore,
    Leftover,
    OffsetMismatch,
    PendingBlob,
    UnknownBlob,
    check_id,
)
from core.models import BlobChunk, StoredBlob
from crypto.envelope import read_exact

#: The size of a chunk row: large enough that a row costs little beside its bytes (bench/blob_store.py),
#: small enough to hold one in memory per reader.
CHUNK_BYTES = 1024 * 1024
STORED = "stored"
UPLOAD = "upload"

_blobs = StoredBlob.__table__
_chunks = BlobChunk.__table__


def _minute() -> int:
    return int(time.time() // 60)


class DatabaseBlobs(BlobStore):
    """Blobs in the database of ``engine``; ``tmp`` is this host's scratch folder. With ``connection``, every
    read and write happens in that connection's transaction (:meth:`within`)."""

    in_row_transaction = True

    def __init__(
        self,
        engine: Engine,
        tmp: Path,
        fallback: BlobStore | None = None,
        connection: Connection | None = None,
    ) -> None:
        super().__init__(tmp, fallback)
        self.engine = engine
        self._connection = connection

    def within(self, connection: Connection) -> DatabaseBlobs:
        return DatabaseBlobs(self.engine, self.tmp, self.fallback, connection)

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        if self._connection is not None:
            yield self._connection
            return
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        if self._connection is not None:
            yield self._connection
            return
        with self.engine.connect() as connection:
            yield connection

    # --- writing ---------------------------------------------------------------------------------------

    def put(self, stream: BinaryIO, blob_id: str | None = None) -> tuple[str, int]:
        blob_id = check_id(blob_id) if blob_id is not None else secrets.token_hex(16)
        try:
            with self._transaction() as connection:
                return blob_id, _insert_blob(connection, blob_id, stream)
        except IntegrityError:
            raise UnknownBlob(f"a blob {blob_id} exists already") from None

    def _commit_scratch(self, scratch: Path, file: BinaryIO, connection: Connection | None) -> str:
        assert connection is not None  # in_row_transaction
        # No fsync of the scratch file: the database's commit is what makes the blob durable.
        file.close()
        blob_id = secrets.token_hex(16)
        with scratch.open("rb") as written:
            _insert_blob(connection, blob_id, written)
        return blob_id

    # --- reading and removing --------------------------------------------------------------------------

    def _size(self, blob_id: str, state: str) -> int | None:
        query = select(_blobs.c.size).where(_blobs.c.id == blob_id, _blobs.c.state == state)
        with self._reading() as connection:
            return connection.execute(query).scalar()  # type: ignore[no-any-return]

    def _open(self, blob_id: str) -> BinaryIO:
        size = self._size(blob_id, STORED)
        if size is None:
            raise UnknownBlob(f"no blob {blob_id}")
        return _ChunkReader(self, blob_id, size)  # type: ignore[return-value]

    def _exists(self, blob_id: str) -> bool:
        return self._size(blob_id, STORED) is not None

    def blob_ids(self) -> Iterator[str]:
        after = None
        while True:
            query = select(_blobs.c.id).where(_blobs.c.state == STORED).order_by(_blobs.c.id).limit(1000)
            if after is not None:
                query = query.where(_blobs.c.id > after)
            with self._reading() as connection:
                batch = list(connection.execute(query).scalars())
            if not batch:
                return
            yield from batch
            after = batch[-1]

    def _remove(self, blob_id: str) -> None:
        with self._transaction() as connection:
            _delete(connection, blob_id, STORED)

    def age(self, blob_id: str) -> float | None:
        return math.inf if self._exists(blob_id) else None

    def where(self, blob_id: str) -> str:
        return f"the blob {blob_id!r} in the database"

    # --- uploads in pieces -----------------------------------------------------------------------------

    def start_upload(self, size: int) -> str:
        upload_id = secrets.token_hex(16)
        with self._transaction() as connection:
            connection.execute(
                insert(_blobs).values(id=upload_id, state=UPLOAD, size=0, announced=size, touched=_minute())
            )
        return upload_id

    def append_upload(self, upload_id: str, offset: int, body: BinaryIO, max_piece: int) -> int:
        received, announced = self._upload_state(upload_id)
        if offset != received:
            raise OffsetMismatch(received)
        with self.spooled(body, min(max_piece, announced - received)) as (piece, size):
            if size == 0:
                return received  # a probe: where does the upload stand?
            with self._transaction() as connection:
                # Writing the row first locks it against every other host until this commits.
                locked = connection.execute(
                    update(_blobs)
                    .where(_blobs.c.id == upload_id, _blobs.c.state == UPLOAD)
                    .values(touched=_minute())
                    .returning(_blobs.c.size)
                ).scalar()
                if locked is None:
                    raise UnknownBlob("no such upload")
                if locked != offset:
                    raise OffsetMismatch(locked)
                count = select(func.count()).select_from(_chunks).where(_chunks.c.blob_id == upload_id)
                _insert_chunks(connection, upload_id, piece, connection.execute(count).scalar_one())
                connection.execute(update(_blobs).where(_blobs.c.id == upload_id).values(size=offset + size))
        return offset + size

    def _upload_state(self, upload_id: str) -> tuple[int, int]:
        check_id(upload_id)
        query = select(_blobs.c.size, _blobs.c.announced).where(
            _blobs.c.id == upload_id, _blobs.c.state == UPLOAD
        )
        with self._reading() as connection:
            row = connection.execute(query).first()
        if row is None:
            raise UnknownBlob("no such upload")
        return int(row[0]), int(row[1])

    def read_upload(self, upload_id: str) -> tuple[BinaryIO, int, int]:
        received, announced = self._upload_state(upload_id)
        return _ChunkReader(self, upload_id, received), received, announced  # type: ignore[return-value]

    def adopt(self, upload_id: str) -> PendingBlob:
        check_id(upload_id)
        return _AdoptedUpload(self, upload_id)

    def discard_upload(self, upload_id: str) -> None:
        check_id(upload_id)
        with self._transaction() as connection:
            _delete(connection, upload_id, UPLOAD)

    # --- housekeeping ----------------------------------------------------------------------------------

    def leftovers(self, min_age: float = 0) -> list[Leftover]:
        found = super().leftovers(min_age)
        now = time.time()
        query = select(_blobs.c.id, _blobs.c.touched).where(_blobs.c.state == UPLOAD).order_by(_blobs.c.id)
        with self._reading() as connection:
            for upload_id, touched in connection.execute(query):
                age = now - (touched or 0) * 60
                if age >= min_age:
                    name = f"upload {upload_id} (in the database)"
                    found.append(Leftover(name, age, upload=True, upload_id=upload_id))
        return found

    def discard(self, leftover: Leftover) -> None:
        if leftover.upload_id is not None:
            self.discard_upload(leftover.upload_id)
        else:
            super().discard(leftover)


class _AdoptedUpload(PendingBlob):
    """A complete upload whose chunks become a stored blob under a new id, in the row's transaction."""

    def __init__(self, store: DatabaseBlobs, upload_id: str) -> None:
        super().__init__(store)
        self._upload_id = upload_id

    def commit(self, connection: Connection | None) -> str:
        assert connection is not None  # in_row_transaction
        upload = self._upload_id
        # Writing first locks the upload: a second finish of it on another host waits, then finds nothing.
        size = connection.execute(
            update(_blobs)
            .where(_blobs.c.id == upload, _blobs.c.state == UPLOAD, _blobs.c.size == _blobs.c.announced)
            .values(touched=None)
            .returning(_blobs.c.size)
        ).scalar()
        if size is None:
            raise UnknownBlob("no such upload, or it is not complete")
        blob_id = secrets.token_hex(16)
        connection.execute(insert(_blobs).values(id=blob_id, state=STORED, size=size))
        # PostgreSQL keeps the chunks' bytes where they are (TOAST): only the small rows are rewritten.
        connection.execute(update(_chunks).where(_chunks.c.blob_id == upload).values(blob_id=blob_id))
        connection.execute(delete(_blobs).where(_blobs.c.id == upload))
        self.blob_id = blob_id
        return blob_id


class _ChunkReader(io.RawIOBase):
    """A blob's bytes, one chunk row fetched at a time (each in a short read of its own, so that a reader
    streaming to a slow client holds no database connection in between). A blob moved to the file store
    while it is read (``sori blobs move``) is read on from its file there."""

    def __init__(self, store: DatabaseBlobs, blob_id: str, size: int) -> None:
        self._store = store
        self._blob_id = blob_id
        self._size = size
        self._position = 0
        self._next = 0
        self._rest = memoryview(b"")
        self._moved: BinaryIO | None = None

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if self._moved is not None:
            self._moved.close()
        super().close()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._moved is not None:
            return self._moved.readinto(buffer)  # type: ignore[attr-defined, no-any-return]
        if not self._rest:
            if self._position >= self._size:
                return 0
            with self._store._reading() as connection:
                data = _chunk(connection, self._blob_id, self._next)
            if not data:
                return self._read_moved(buffer)
            self._rest = memoryview(data)
            self._next += 1
        count = min(len(buffer), len(self._rest))
        buffer[:count] = self._rest[:count]
        self._rest = self._rest[count:]
        self._position += count
        return count

    def _read_moved(self, buffer: bytearray | memoryview) -> int:
        fallback = self._store.fallback
        if fallback is None or not fallback._exists(self._blob_id):
            raise OSError(f"the blob {self._blob_id} ends at {self._position} of {self._size} bytes")
        self._moved = fallback._open(self._blob_id)
        self._moved.seek(self._position)
        return self.readinto(buffer)


def _chunk(connection: Connection, blob_id: str, seq: int) -> bytes | None:
    """One chunk's bytes, or ``None``."""
    if connection.dialect.name == "postgresql":
        # In binary: bytea's text form is hex, twice the bytes to send and parse (bench/blob_store.py: reads
        # 2.4 times as fast). Same connection, so the same transaction and search path.
        with connection.connection.driver_connection.cursor(binary=True) as cursor:  # type: ignore[union-attr]
            cursor.execute("SELECT data FROM blob_chunks WHERE blob_id = %s AND seq = %s", (blob_id, seq))
            row = cursor.fetchone()
        return bytes(row[0]) if row is not None else None
    query = select(_chunks.c.data).where(_chunks.c.blob_id == blob_id, _chunks.c.seq == seq)
    return connection.execute(query).scalar()  # type: ignore[no-any-return]


def _insert_blob(connection: Connection, blob_id: str, stream: BinaryIO) -> int:
    """A stored blob holding ``stream`` to its end, in ``connection``'s transaction; returns its size."""
    connection.execute(insert(_blobs).values(id=blob_id, state=STORED, size=0))
    size = _insert_chunks(connection, blob_id, stream, 0)
    connection.execute(update(_blobs).where(_blobs.c.id == blob_id).values(size=size))
    return size


def _insert_chunks(connection: Connection, blob_id: str, stream: BinaryIO, first: int) -> int:
    """``stream`` to its end as chunk rows numbered from ``first``; returns how many bytes."""
    size = 0
    seq = first
    while data := read_exact(stream, CHUNK_BYTES):
        connection.execute(insert(_chunks).values(blob_id=blob_id, seq=seq, data=data))
        size += len(data)
        seq += 1
    return size


def _delete(connection: Connection, blob_id: str, state: str) -> None:
    """Delete a blob (or upload) in ``state`` and its chunks; nothing if it is in another state or gone."""
    found = connection.execute(
        select(_blobs.c.state).where(_blobs.c.id == blob_id).with_for_update()
    ).scalar()
    if found == state:
        connection.execute(delete(_chunks).where(_chunks.c.blob_id == blob_id))
        connection.execute(delete(_blobs).where(_blobs.c.id == blob_id))
