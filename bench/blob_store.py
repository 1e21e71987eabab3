"""Benchmark: the blob store's backends (core/blobstore.py) side by side, and moving 1 GiB between them.

Prints, in one run, on a throwaway PostgreSQL with fsync on (scripts/pg-throwaway.sh, PG_FSYNC=on) and a
data folder on the same disk:

1. write and read MiB/s of envelopes of ``--blob-mib`` MiB: the file backend (each blob flushed, renamed and
   its folder flushed), the database backend's bytea chunks at 256 KiB, 1 MiB (what Sori ships) and 4 MiB,
   and PostgreSQL large objects (``lo_put`` / ``lo_get`` in 1 MiB pieces), each write committed on its own;
   reads are warm (the blobs were just written: page cache and shared buffers), as a reviewer's reads of
   recent testimony mostly are;
2. ``sori blobs move`` (core/blob_moves.py) of 1 GiB from files into the database and back, as seconds and
   MiB/s.

Nothing is asserted: the figures are printed, met or not. Usage: ``python bench/blob_store.py [--blob-mib 16]
[--total-mib 256] [--move-mib 1024]``; ``SORI_BENCH_DATABASE_URL`` uses a PostgreSQL server of your own
instead of a throwaway one (its schema gets Sori's tables).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import Engine, text  # noqa: E402

from core import blob_moves, blobs_in_database, migrate  # noqa: E402
from core.blobs_in_database import DatabaseBlobs  # noqa: E402
from core.blobs_on_disk import FileBlobs  # noqa: E402
from core.config import make_data_dirs  # noqa: E402
from core.db import make_engine  # noqa: E402

MIB = 1024 * 1024
PG_DIR = Path("/tmp/sori-pg-bench-blobs")


@contextlib.contextmanager
def postgresql() -> Iterator[str]:
    """A PostgreSQL URL: SORI_BENCH_DATABASE_URL, or a throwaway cluster with fsync on."""
    if os.environ.get("SORI_BENCH_DATABASE_URL"):
        yield os.environ["SORI_BENCH_DATABASE_URL"]
        return
    script = REPO / "scripts" / "pg-throwaway.sh"
    env = {**os.environ, "PG_FSYNC": "on"}
    url = subprocess.run(
        [str(script), "start", str(PG_DIR)], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    try:
        yield url
    finally:
        subprocess.run([str(script), "stop", str(PG_DIR)], check=False, capture_output=True)


class LargeObjects:
    """Blobs as PostgreSQL large objects, written and read in 1 MiB pieces: what Sori does not ship, to
    compare with its bytea chunks."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, stream: io.BufferedIOBase) -> tuple[int, int]:
        with self.engine.begin() as connection:
            oid = connection.execute(text("SELECT lo_create(0)")).scalar_one()
            offset = 0
            while data := stream.read(MIB):
                connection.execute(text("SELECT lo_put(:o, :at, :d)"), {"o": oid, "at": offset, "d": data})
                offset += len(data)
        return oid, offset

    def read(self, oid: int, size: int) -> None:
        for offset in range(0, size, MIB):
            with self.engine.connect() as connection:
                connection.execute(
                    text("SELECT lo_get(:o, :at, :n)"), {"o": oid, "at": offset, "n": MIB}
                ).scalar()

    def remove_all(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(text("SELECT lo_unlink(oid) FROM pg_largeobject_metadata"))


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def read_blob(store: FileBlobs | DatabaseBlobs, blob_id: str) -> None:
    with store.open(blob_id) as file:
        while file.read(MIB):
            pass


def throughput(
    name: str, put: Callable[[bytes], object], read: Callable[[object], None], blobs: int, blob: bytes
) -> None:
    ids: list[object] = []
    write_s = sum(timed(lambda: ids.append(put(blob))) for _ in range(blobs))
    read_s = sum(timed(lambda handle=handle: read(handle)) for handle in ids)
    mib = blobs * len(blob) / MIB
    print(f"  {name:<34} write {mib / write_s:7.1f} MiB/s   read {mib / read_s:7.1f} MiB/s   ({mib:.0f} MiB)")


def part1(engine: Engine, folder: Path, blob_mib: int, total_mib: int) -> None:
    blob = os.urandom(blob_mib * MIB)
    blobs = max(1, total_mib // blob_mib)
    print(f"1. Write and read, {blobs} envelopes of {blob_mib} MiB each")
    files = FileBlobs(folder / "blobs")
    throughput(
        "files (fsync, rename, folder fsync)",
        lambda data: files.put(io.BytesIO(data))[0],
        lambda blob_id: read_blob(files, blob_id),  # type: ignore[arg-type]
        blobs,
        blob,
    )
    database = DatabaseBlobs(engine, files.tmp)
    shipped = blobs_in_database.CHUNK_BYTES
    for chunk in (256 * 1024, MIB, 4 * MIB):
        blobs_in_database.CHUNK_BYTES = chunk
        label = f"database, bytea chunks of {chunk // 1024} KiB" + (" (shipped)" if chunk == shipped else "")
        throughput(
            label,
            lambda data: database.put(io.BytesIO(data))[0],
            lambda blob_id: read_blob(database, blob_id),  # type: ignore[arg-type]
            blobs,
            blob,
        )
        for blob_id in list(database.blob_ids()):
            database.remove(blob_id)
    blobs_in_database.CHUNK_BYTES = shipped
    large = LargeObjects(engine)
    throughput(
        "database, large objects (1 MiB puts)",
        lambda data: large.put(io.BytesIO(data)),
        lambda handle: large.read(*handle),  # type: ignore[misc]
        blobs,
        blob,
    )
    large.remove_all()
    for blob_id in list(files.blob_ids()):
        files.remove(blob_id)


def part2(engine: Engine, folder: Path, move_mib: int) -> None:
    blob = os.urandom(16 * MIB)
    files = FileBlobs(folder / "blobs")
    database = DatabaseBlobs(engine, files.tmp)
    for _ in range(move_mib // 16):
        files.put(io.BytesIO(blob))
    print(f"2. sori blobs move, {move_mib} MiB in blobs of 16 MiB")
    there = blob_moves.move(files, database, lambda line: None)
    print(f"  files -> database: {there.summary()}")
    back = blob_moves.move(database, files, lambda line: None)
    print(f"  database -> files: {back.summary()}")
    for blob_id in list(files.blob_ids()):
        files.remove(blob_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blob-mib", type=int, default=16, help="size of each envelope in part 1")
    parser.add_argument("--total-mib", type=int, default=256, help="written per backend in part 1")
    parser.add_argument("--move-mib", type=int, default=1024, help="moved each way in part 2")
    args = parser.parse_args()
    with postgresql() as url, tempfile.TemporaryDirectory(prefix="sori-bench-blobs-") as tmp:
        folder = Path(tmp)
        make_data_dirs(folder)
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                version = connection.execute(text("SHOW server_version")).scalar()
                fsync = connection.execute(text("SHOW fsync")).scalar()
            print(f"PostgreSQL {version} (fsync {fsync}) on 127.0.0.1; files in {folder} on the same disk\n")
            part1(engine, folder, args.blob_mib, args.total_mib)
            print()
            part2(engine, folder, args.move_mib)
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
