"""The blob store's interface on both backends: complete blobs or none, no traversal through ids, uploads in
pieces whole or not at all, reads that find a blob in the other backend while blobs move."""

from __future__ import annotations

import io
import multiprocessing
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, delete, func, select

from core import migrate
from core.blobs_in_database import CHUNK_BYTES, DatabaseBlobs
from core.blobs_on_disk import FileBlobs
from core.blobstore import COPY_BYTES, BlobStore, OffsetMismatch, TooLarge, UnknownBlob
from core.config import make_data_dirs
from core.db import make_engine
from core.models import BlobChunk

MALFORMED = ["", "../secret_key", "..", "0" * 31, "0" * 33, "A" * 32, "0" * 30 + "/x", "tmp/" + "0" * 28]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def files(tmp_path: Path) -> FileBlobs:
    make_data_dirs(tmp_path)
    return FileBlobs(tmp_path / "blobs")


@pytest.fixture
def database(engine: Engine, files: FileBlobs) -> DatabaseBlobs:
    return DatabaseBlobs(engine, files.tmp)


@pytest.fixture(params=["files", "database"])
def store(request: pytest.FixtureRequest) -> BlobStore:
    return request.getfixturevalue(request.param)


class FailingStream(io.RawIOBase):
    """Gives some bytes, then fails the way a dropped connection does."""

    def __init__(self, good_bytes: int) -> None:
        self.left = good_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.left <= 0:
            raise ConnectionResetError("client went away")
        n = min(len(buffer), self.left)
        buffer[:n] = b"\0" * n
        self.left -= n
        return n


@contextmanager
def transaction(store: BlobStore) -> Iterator[Connection | None]:
    """A transaction of the database backend's engine; the file backend has none."""
    if isinstance(store, DatabaseBlobs):
        with store.engine.begin() as connection:
            yield connection
    else:
        yield None


# --- both backends ---------------------------------------------------------------------------------------


def test_put_open_list_remove(store: BlobStore) -> None:
    data = os.urandom(3 * COPY_BYTES + 5)
    blob_id, size = store.put(io.BytesIO(data))
    empty_id, empty_size = store.put(io.BytesIO(b""))
    assert (size, empty_size) == (len(data), 0)
    assert store.exists(blob_id) and store.exists(empty_id)
    with store.open(blob_id) as file:
        assert file.read() == data
    assert list(store.blob_ids()) == sorted([blob_id, empty_id])
    store.remove(blob_id)
    store.remove(blob_id)  # already gone: no error
    assert not store.exists(blob_id) and list(store.blob_ids()) == [empty_id]
    assert store.leftovers() == []


def test_a_blob_over_several_chunks_reads_back_exactly_in_any_piece_size(database: DatabaseBlobs) -> None:
    data = os.urandom(2 * CHUNK_BYTES + 12345)
    blob_id, _ = database.put(io.BytesIO(data))
    with database.engine.connect() as connection:
        count = select(func.count()).select_from(BlobChunk).where(BlobChunk.blob_id == blob_id)
        assert connection.execute(count).scalar() == 3
    with database.open(blob_id) as file:
        pieces = []
        while piece := file.read(100_003):
            pieces.append(piece)
    assert b"".join(pieces) == data


def test_a_blob_cut_short_is_an_error_when_read(database: DatabaseBlobs) -> None:
    blob_id, _ = database.put(io.BytesIO(os.urandom(CHUNK_BYTES + 10)))
    with database.engine.begin() as connection:
        connection.execute(delete(BlobChunk).where(BlobChunk.blob_id == blob_id, BlobChunk.seq == 1))
    with database.open(blob_id) as file, pytest.raises(OSError, match="ends at"):
        file.read()


def test_a_failed_write_leaves_nothing(store: BlobStore) -> None:
    with pytest.raises(ConnectionResetError):
        store.put(FailingStream(2 * COPY_BYTES + 1))
    with pytest.raises(ConnectionResetError), store.writing() as pending:
        pending.file.write(b"half an envelope")
        raise ConnectionResetError("client went away")
    assert list(store.blob_ids()) == [] and store.leftovers() == []


def test_a_database_blob_exists_only_once_its_transaction_commits(database: DatabaseBlobs) -> None:
    with database.writing() as pending, database.engine.connect() as connection:
        transaction = connection.begin()
        pending.file.write(b"sealed")
        blob_id = pending.commit(connection)
        assert database.within(connection).exists(blob_id)
        assert not database.exists(blob_id)  # another connection does not see it yet
        transaction.rollback()
    assert not database.exists(blob_id) and database.leftovers() == []


@pytest.mark.parametrize("blob_id", MALFORMED)
def test_malformed_ids_are_refused(store: BlobStore, blob_id: str) -> None:
    assert store.exists(blob_id) is False
    for action in (store.open, store.remove, store.read_upload, store.adopt):
        with pytest.raises(UnknownBlob):
            action(blob_id)
    with pytest.raises(UnknownBlob):
        store.open("0" * 32)


def test_an_upload_in_pieces_becomes_a_blob(store: BlobStore) -> None:
    data = os.urandom(3 * COPY_BYTES)
    upload_id = store.start_upload(len(data))
    assert store.append_upload(upload_id, 0, io.BytesIO(data[:1000]), 10_000) == 1000
    assert store.append_upload(upload_id, 1000, io.BytesIO(b""), 10_000) == 1000  # a probe
    with pytest.raises(OffsetMismatch) as mismatch:
        store.append_upload(upload_id, 0, io.BytesIO(data[:1000]), 10_000)  # sent twice
    assert mismatch.value.received == 1000
    with pytest.raises(TooLarge):
        store.append_upload(upload_id, 1000, io.BytesIO(data[1000:]), 10_000)
    with pytest.raises(ConnectionResetError):
        store.append_upload(upload_id, 1000, FailingStream(5000), 1_000_000)
    assert store.append_upload(upload_id, 1000, io.BytesIO(data[1000:]), 1_000_000) == len(data)
    with pytest.raises(TooLarge):
        store.append_upload(upload_id, len(data), io.BytesIO(b"x"), 1_000_000)  # past the announced size
    reader, received, announced = store.read_upload(upload_id)
    with reader:
        assert reader.read() == data and received == announced == len(data)
    assert [leftover.upload for leftover in store.leftovers()] == [True]

    with transaction(store) as connection:
        blob_id = store.adopt(upload_id).commit(connection)
    assert blob_id != upload_id and list(store.blob_ids()) == [blob_id]
    with store.open(blob_id) as file:
        assert file.read() == data
    assert store.leftovers() == []
    with pytest.raises(UnknownBlob):
        store.append_upload(upload_id, len(data), io.BytesIO(b""), 10)
    with pytest.raises(UnknownBlob), transaction(store) as connection:
        store.adopt(upload_id).commit(connection)  # finished already


def test_uploads_are_discarded_and_found_by_age(store: BlobStore) -> None:
    kept = store.start_upload(10)
    gone = store.start_upload(10)
    store.discard_upload(gone)
    store.discard_upload(gone)  # already gone: no error
    (store.tmp / "put-old").write_bytes(b"half")
    os.utime(store.tmp / "put-old", (0, 0))
    old = store.leftovers(3600)
    assert [(leftover.name, leftover.upload) for leftover in old] == [(str(store.tmp / "put-old"), False)]
    assert len(store.leftovers()) == 2
    store.discard(old[0])
    assert [leftover.upload for leftover in store.leftovers()] == [True]
    with pytest.raises(UnknownBlob):
        store.read_upload(gone)
    assert store.read_upload(kept)[1:] == (0, 10)


def test_reads_and_removals_reach_the_other_backend(files: FileBlobs, database: DatabaseBlobs) -> None:
    in_files, _ = files.put(io.BytesIO(b"on disk"))
    in_database, _ = database.put(io.BytesIO(b"in rows"))
    files.fallback, database.fallback = database, files
    with files.open(in_database) as one, database.open(in_files) as other:
        assert (one.read(), other.read()) == (b"in rows", b"on disk")
    assert files.exists(in_database) and database.exists(in_files)
    assert list(files.blob_ids()) == [in_files]  # listing is each backend's own
    files.remove(in_database)  # a blob deleted while it moves goes from both
    assert not database.exists(in_database) and not files.exists(in_database)


# --- files only ------------------------------------------------------------------------------------------


def test_blob_files_are_private_and_sharded(files: FileBlobs) -> None:
    blob_id, _ = files.put(io.BytesIO(b"sealed"))
    assert files.path(blob_id) == files.root / blob_id[:2] / blob_id
    assert stat.S_IMODE(files.path(blob_id).stat().st_mode) == 0o600
    (files.root / "not-a-blob").write_bytes(b"")
    (files.root / "ab").mkdir(exist_ok=True)
    (files.root / "ab" / ("cd" + "0" * 30)).write_bytes(b"")  # in the wrong shard
    assert list(files.blob_ids()) == [blob_id]
    for malformed in MALFORMED:
        with pytest.raises(UnknownBlob):
            files.path(malformed)


def test_a_failed_rename_leaves_nothing(files: FileBlobs, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(_src: object, _dst: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "rename", crash)
    with pytest.raises(OSError, match="disk gone"):
        files.put(io.BytesIO(b"sealed bytes"))
    assert list(files.blob_ids()) == [] and list(files.tmp.iterdir()) == []


def test_copy_reads_in_bounded_pieces(files: FileBlobs) -> None:
    sizes: list[int] = []

    class Recording(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            sizes.append(-1 if size is None else size)
            return super().read(size)

    files.put(Recording(b"z" * (10 * COPY_BYTES)))
    assert sizes and all(0 < s <= COPY_BYTES for s in sizes)


def _put_many(root: Path, tag: int) -> list[tuple[str, int]]:
    store = FileBlobs(root)
    return [(store.put(io.BytesIO(bytes([tag]) * (1000 + i)))[0], tag) for i in range(5)]


def test_writers_in_several_processes_do_not_collide(files: FileBlobs) -> None:
    with multiprocessing.get_context("fork").Pool(4) as pool:
        results = [
            item
            for batch in pool.starmap(_put_many, [(files.root, tag) for tag in range(4)])
            for item in batch
        ]
    assert len({blob_id for blob_id, _tag in results}) == 20
    for blob_id, tag in results:
        with files.open(blob_id) as file:
            assert set(file.read()) == {tag}
    assert list(files.tmp.iterdir()) == []
