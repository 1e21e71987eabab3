"""The blob store: complete blobs or none, no traversal through ids, constant-memory copies."""

from __future__ import annotations

import io
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from core.blobstore import COPY_BYTES, BlobStore, UnknownBlob
from core.config import make_data_dirs


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    make_data_dirs(tmp_path)
    return BlobStore(tmp_path / "blobs")


def test_put_then_open(store: BlobStore) -> None:
    data = os.urandom(3 * COPY_BYTES + 5)
    blob_id, size = store.put(io.BytesIO(data))
    assert size == len(data)
    assert store.exists(blob_id)
    assert store.path(blob_id) == store.root / blob_id[:2] / blob_id
    with store.open(blob_id) as file:
        assert file.read() == data
    assert stat.S_IMODE(store.path(blob_id).stat().st_mode) == 0o600
    assert list(store.tmp.iterdir()) == []


def test_empty_stream_is_a_blob_too(store: BlobStore) -> None:
    blob_id, size = store.put(io.BytesIO(b""))
    assert size == 0 and store.exists(blob_id)


def test_ids_are_random_and_listed(store: BlobStore) -> None:
    ids = {store.put(io.BytesIO(b"x"))[0] for _ in range(5)}
    assert len(ids) == 5
    (store.root / "not-a-blob").write_bytes(b"")
    (store.root / "ab").mkdir(exist_ok=True)
    (store.root / "ab" / ("cd" + "0" * 30)).write_bytes(b"")  # in the wrong shard
    assert list(store.blob_ids()) == sorted(ids)


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


def test_a_failed_write_leaves_nothing(store: BlobStore) -> None:
    with pytest.raises(ConnectionResetError):
        store.put(FailingStream(2 * COPY_BYTES + 1))
    assert list(store.blob_ids()) == []
    assert list(store.tmp.iterdir()) == []


def test_a_failed_rename_leaves_nothing(store: BlobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(_src: object, _dst: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "rename", crash)
    with pytest.raises(OSError, match="disk gone"):
        store.put(io.BytesIO(b"sealed bytes"))
    assert list(store.blob_ids()) == []
    assert list(store.tmp.iterdir()) == []


def test_copy_reads_in_bounded_pieces(store: BlobStore) -> None:
    sizes: list[int] = []

    class Recording(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            sizes.append(-1 if size is None else size)
            return super().read(size)

    store.put(Recording(b"z" * (10 * COPY_BYTES)))
    assert sizes and all(0 < s <= COPY_BYTES for s in sizes)


@pytest.mark.parametrize(
    "blob_id",
    [
        "",
        "../secret_key",
        "..",
        "0" * 31,
        "0" * 33,
        "A" * 32,
        "0" * 30 + "/x",
        "tmp/" + "0" * 28,
        "0" * 31 + "\n",
    ],
)
def test_malformed_ids_are_refused(store: BlobStore, blob_id: str) -> None:
    assert store.exists(blob_id) is False
    with pytest.raises(UnknownBlob):
        store.path(blob_id)
    with pytest.raises(UnknownBlob):
        store.open(blob_id)


def test_open_unknown_blob(store: BlobStore) -> None:
    with pytest.raises(UnknownBlob):
        store.open("0" * 32)


def test_stray_temp_files_are_found_by_age(store: BlobStore) -> None:
    old = store.tmp / "put-old"
    old.write_bytes(b"half")
    os.utime(old, (0, 0))
    (store.tmp / "put-young").write_bytes(b"still streaming")
    assert store.stray_temp_files() == [old]
    assert len(store.stray_temp_files(min_age_seconds=0)) == 2


def _put_many(root: Path, tag: int) -> list[tuple[str, int]]:
    store = BlobStore(root)
    return [(store.put(io.BytesIO(bytes([tag]) * (1000 + i)))[0], tag) for i in range(5)]


def test_writers_in_several_processes_do_not_collide(store: BlobStore) -> None:
    with multiprocessing.get_context("fork").Pool(4) as pool:
        results = [
            item
            for batch in pool.starmap(_put_many, [(store.root, tag) for tag in range(4)])
            for item in batch
        ]
    assert len({blob_id for blob_id, _tag in results}) == 20
    for blob_id, tag in results:
        with store.open(blob_id) as file:
            assert set(file.read()) == {tag}
    assert list(store.tmp.iterdir()) == []
