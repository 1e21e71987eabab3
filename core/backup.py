"""Writing a backup: every table and every blob of a Sori instance, sealed to the backup key(s) in the format
of core/backup_format.py, and ``sori backup create``'s file written so that it is whole or absent.

The manifest comes first yet holds the digests of what follows, so a backup reads everything twice, in
one database snapshot (REPEATABLE READ on PostgreSQL, one read transaction on SQLite): once to count and
hash, once to write, checking that the second reading hashes the same. Memory stays flat apart from the
manifest (about 150 bytes per blob): rows are streamed in batches, blobs in 64 KiB pieces.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, MetaData, Table, select, text

from core.backup_format import (
    BLOB_TYPE,
    FORMAT_VERSION,
    MANIFEST_PART,
    MANIFEST_TYPE,
    TABLE_TYPE,
    BackupError,
    blob_part,
    reflect_tables,
    table_lines,
    table_part,
)
from core.blobs_on_disk import fsync_dir
from core.blobstore import BlobStore, UnknownBlob
from crypto.envelope import CHUNK, EnvelopeWriter
from crypto.keys import PublicKey

# --- reading one moment of the database -----------------------------------------------------------


def _blob_ids(connection: Connection) -> Iterator[str]:
    """The blob ids the envelope rows name, sorted, streamed."""
    envelopes = Table("envelopes", MetaData(), autoload_with=connection)
    query = select(envelopes.c.blob_id).where(envelopes.c.blob_id.is_not(None)).order_by(envelopes.c.blob_id)
    for row in connection.execution_options(yield_per=1000).execute(query):
        yield row[0]


def _snapshot(engine: Engine) -> Connection:
    """A connection whose reads all see one moment of the database."""
    if engine.dialect.name == "postgresql":
        connection = engine.connect().execution_options(isolation_level="REPEATABLE READ")
        connection.begin()
        connection.execute(text("SELECT 1"))  # the snapshot is taken at the first statement
        return connection
    connection = engine.connect()
    connection.begin()
    if engine.dialect.name == "sqlite":
        # pysqlite begins no transaction for reads; without one each query would see its own moment.
        connection.exec_driver_sql("BEGIN")
        connection.exec_driver_sql("SELECT count(*) FROM sqlite_master")
    return connection


# --- writing a backup -------------------------------------------------------------------------------


class _Hashing:
    """Counts and hashes what goes through it, and passes it to ``sink`` (an envelope writer) if given."""

    def __init__(self, sink: EnvelopeWriter | None) -> None:
        self.sink = sink
        self.digest = hashlib.sha256()
        self.size = 0
        self._pending = bytearray()

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.size += len(data)
        if self.sink is not None:
            self._pending += data
            if len(self._pending) >= CHUNK:
                self.sink.write(self._pending)
                self._pending = bytearray()

    def flush(self) -> None:
        if self.sink is not None and self._pending:
            self.sink.write(self._pending)
            self._pending = bytearray()


def _table_pass(connection: Connection, table: Table, sink: EnvelopeWriter | None) -> tuple[int, str]:
    out = _Hashing(sink)
    rows = 0
    for line in table_lines(connection, table):
        out.write(line)
        rows += 1
    out.flush()
    return rows, out.digest.hexdigest()


def _blob_pass(store: BlobStore, blob_id: str, sink: EnvelopeWriter | None) -> tuple[int, str]:
    out = _Hashing(sink)
    try:
        stream = store.open(blob_id)
    except UnknownBlob:
        raise BackupError(
            f"the blob {blob_id} of an envelope row is missing from the blob store: run `sori check`"
        ) from None
    with stream:
        while piece := stream.read(CHUNK):
            out.write(piece)
    out.flush()
    return out.size, out.digest.hexdigest()


def write_backup(
    engine: Engine, store: BlobStore, recipients: Sequence[PublicKey], out: BinaryIO
) -> dict[str, Any]:
    """Write a backup envelope of the database and the blobs to ``out``; returns its manifest."""
    connection = _snapshot(engine)
    try:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        tables = reflect_tables(connection)
        manifest: dict[str, Any] = {
            "sori_backup": FORMAT_VERSION,
            "schema_revision": revision,
            "created_on": datetime.now(UTC).date().isoformat(),
            "database": engine.dialect.name,
            "tables": [],
            "blobs": [],
        }
        for table in tables:
            rows, digest = _table_pass(connection, table, None)
            manifest["tables"].append(
                {"name": table.name, "part": table_part(table.name), "rows": rows, "sha256": digest}
            )
        for blob_id in _blob_ids(connection):
            size, digest = _blob_pass(store, blob_id, None)
            manifest["blobs"].append(
                {"id": blob_id, "part": blob_part(blob_id), "size": size, "sha256": digest}
            )
        manifest["counts"] = {entry["name"]: entry["rows"] for entry in manifest["tables"]}
        manifest["counts"]["blobs"] = len(manifest["blobs"])

        writer = EnvelopeWriter(out, recipients)
        writer.begin_part(MANIFEST_PART, MANIFEST_TYPE)
        writer.write(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"))
        for table, entry in zip(tables, manifest["tables"], strict=True):
            writer.begin_part(entry["part"], TABLE_TYPE)
            if _table_pass(connection, table, writer) != (entry["rows"], entry["sha256"]):
                raise BackupError(
                    f"the table {table.name} changed while it was backed up: run the backup again"
                )
        for entry in manifest["blobs"]:
            writer.begin_part(entry["part"], BLOB_TYPE)
            if _blob_pass(store, entry["id"], writer) != (entry["size"], entry["sha256"]):
                raise BackupError(f"the blob {entry['id']} changed while it was backed up: run `sori check`")
        writer.close()
        return manifest
    finally:
        connection.rollback()
        connection.close()


def create_file(
    engine: Engine, store: BlobStore, recipients: Sequence[PublicKey], output: Path
) -> dict[str, Any]:
    """Write a backup to ``output`` (mode 0600) atomically: under a temporary name, flushed to disk, then
    linked into place, so ``output`` is a whole backup or absent. Refuses to overwrite a file."""
    output = Path(output)
    if output.exists():
        raise BackupError(f"{output} exists already; choose a new name so that no backup is overwritten")
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise BackupError(f"the folder {folder} does not exist")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.partial-", dir=folder)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as file:
            manifest = write_backup(engine, store, recipients, file)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(tmp_name, output)  # unlike rename, never replaces a file that appeared meanwhile
        except FileExistsError:
            raise BackupError(
                f"{output} appeared while the backup was written; nothing was replaced"
            ) from None
        fsync_dir(folder)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    return manifest
