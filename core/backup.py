"""Encrypted backups of a whole Sori instance, and their restore into an empty database and data folder.

The database holds records that are not encrypted (reviewer accounts, the audit trail, triage), so a
backup is one envelope (crypto/FORMAT.md) sealed to the organization's backup public key(s). Its parts:

1. ``manifest.json``: ``{"sori_backup": 1, "schema_revision", "created_on", "tables": [...],
   "blobs": [...]}``, where each table and blob entry gives its part's name, its row count or size, and the
   SHA-256 of the part's bytes;
2. one ``table-<name>.jsonl`` part per table, in foreign-key order: one JSON object per row, keys sorted,
   bytes as base64, moments as ISO 8601 in UTC, days as ISO dates. Tables are read by SQLAlchemy reflection
   of the migrated schema, so a backup taken on SQLite restores into PostgreSQL and back;
3. one ``blob-<id>.sori`` part per blob an envelope row names, its bytes as stored (ciphertext).

Nothing of a testimony is ever in plaintext here: envelopes stay the ciphertext they are.

The manifest comes first yet holds the digests of what follows, so a backup reads everything twice, in
one database snapshot (REPEATABLE READ on PostgreSQL, one read transaction on SQLite): once to count and
hash, once to write, checking that the second reading hashes the same. Memory stays flat apart from the
manifest (about 150 bytes per blob): rows are streamed in batches, blobs in 64 KiB pieces.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from datetime import time as time_of_day
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, Engine, MetaData, Table, func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core import check, migrate
from core.blobs_on_disk import fsync_dir
from core.blobstore import BlobStore, IteratorReader, UnknownBlob
from crypto.envelope import CHUNK, EnvelopeReader, EnvelopeWriter, Readable
from crypto.keys import Identity, PublicKey

FORMAT_VERSION = 1
MANIFEST_PART = "manifest.json"
MANIFEST_TYPE = "application/json"
TABLE_TYPE = "application/x-ndjson"
BLOB_TYPE = "application/x-sori-envelope"
#: Alembic's own bookkeeping, which the restore recreates by migrating, and the database backend's blobs,
#: which go in as blob parts like files do (restored into whichever backend the restoring host uses).
SKIPPED_TABLES = frozenset({"alembic_version", "blobs", "blob_chunks"})
#: Rows fetched at once (an inline envelope row holds up to 256 KiB).
FETCH_ROWS = 100
#: Rows inserted at once, and the most JSON text gathered before inserting.
INSERT_ROWS = 500
INSERT_BYTES = 4 * 1024 * 1024
_MANIFEST_MAX = 512 * 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why in one line, and what to do."""


def table_part(name: str) -> str:
    return f"table-{name}.jsonl"


def blob_part(blob_id: str) -> str:
    return f"blob-{blob_id}.sori"


# --- reading the database ---------------------------------------------------------------------------


def reflect_tables(connection: Connection) -> list[Table]:
    """The tables of the migrated schema, parents before children (foreign-key order)."""
    metadata = MetaData()
    metadata.reflect(bind=connection)
    return [table for table in metadata.sorted_tables if table.name not in SKIPPED_TABLES]


def _order(table: Table) -> list[Column[Any]]:
    return list(table.primary_key.columns) or list(table.columns)


def encode_value(value: Any) -> Any:
    """A database value as JSON: bytes as base64, moments in UTC (naive ones are UTC in Sori)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, (date, time_of_day)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise BackupError(f"cannot back up a value of type {type(value).__name__}")


def row_line(row: Any) -> bytes:
    """One row as its JSON line (keys sorted, so the same row always gives the same bytes)."""
    document = {key: encode_value(value) for key, value in row._mapping.items()}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def table_lines(connection: Connection, table: Table) -> Iterator[bytes]:
    """Every row of ``table`` as JSON lines, in primary-key order, streamed in batches."""
    result = connection.execution_options(yield_per=FETCH_ROWS).execute(
        select(table).order_by(*_order(table))
    )
    for row in result:
        yield row_line(row)


def dump_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows as their portable JSON form, in memory: for tests that compare two databases."""
    with engine.connect() as connection:
        return {
            table.name: [json.loads(line) for line in table_lines(connection, table)]
            for table in reflect_tables(connection)
        }


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


# --- restoring ----------------------------------------------------------------------------------------


def require_empty(engine: Engine, store: BlobStore) -> None:
    """Raise :class:`BackupError` unless the database has no rows and the blob store nothing."""
    with engine.connect() as connection:
        names = [name for name in inspect(connection).get_table_names() if name not in SKIPPED_TABLES]
        filled = []
        for name in sorted(names):
            table = Table(name, MetaData(), autoload_with=connection)
            rows = connection.execute(select(func.count()).select_from(table)).scalar_one()
            if rows:
                filled.append(f"{name}: {rows}")
    if filled:
        raise BackupError(
            "the database is not empty (rows in " + ", ".join(filled) + "): a backup is restored only into "
            "a new, empty database (do not run `sori init` before restoring)"
        )
    try:
        filled_store = next(store.blob_ids(), None) is not None or bool(store.leftovers())
    except SQLAlchemyError:  # the database backend before the first migration: no table, so nothing in it
        filled_store = bool(store.tmp.is_dir() and any(store.tmp.iterdir()))
    if filled_store:
        raise BackupError(
            "the blob store is not empty: a backup is restored only into a new, empty data folder and "
            "database"
        )


def _is_ancestor(script: ScriptDirectory, older: str, newer: str) -> bool:
    return any(rev.revision == older for rev in script.walk_revisions(base="base", head=newer))


def _prepare_schema(database_url: str, revision: str) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config(database_url))
    try:
        known = script.get_revision(revision)
    except Exception:
        known = None
    if known is None:
        raise BackupError(
            f"the backup's schema revision {revision} is newer than this Sori knows (its newest is "
            f"{migrate.head_revision()}): upgrade Sori first, then restore"
        )
    current = migrate.current_revision(database_url)
    if current is not None and current != revision and not _is_ancestor(script, current, revision):
        raise BackupError(
            f"the database is at schema revision {current}, newer than the backup's {revision}: restore into "
            "a new, empty database"
        )
    migrate.upgrade(database_url, revision)


def _decoder(column: Column[Any]) -> Callable[[Any], Any]:
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return lambda value: value
    if python_type is bytes:
        return lambda value: None if value is None else base64.b64decode(value, validate=True)
    if python_type is datetime:
        aware = bool(getattr(column.type, "timezone", False))

        def moment(value: Any) -> Any:
            if value is None:
                return None
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            parsed = parsed.astimezone(UTC)
            return parsed if aware else parsed.replace(tzinfo=None)

        return moment
    if python_type is date:
        return lambda value: None if value is None else date.fromisoformat(value)
    if python_type is time_of_day:
        return lambda value: None if value is None else time_of_day.fromisoformat(value)
    if python_type is Decimal:
        return lambda value: None if value is None else Decimal(value)
    return lambda value: value


class _Restore:
    """One restore in progress: the open transaction and the blobs written so far, to undo on failure (the
    database backend writes them in the transaction itself; files are removed by hand)."""

    def __init__(self, connection: Connection, store: BlobStore, emit: Callable[[str], None]) -> None:
        self.connection = connection
        self.store = store.within(connection)
        self._unbound = store
        self.emit = emit
        self.written: list[str] = []
        metadata = MetaData()
        metadata.reflect(bind=connection)
        self.tables = {table.name: table for table in metadata.sorted_tables}

    def table(self, entry: dict[str, Any], chunks: Iterator[bytes]) -> None:
        name = entry["name"]
        table = self.tables.get(name)
        if table is None:
            raise BackupError(f"the backup has a table {name} that the schema does not have")
        decoders = {column.name: _decoder(column) for column in table.columns}
        digest = hashlib.sha256()
        rows = 0
        batch: list[dict[str, Any]] = []
        batch_bytes = 0
        rest = b""
        for chunk in chunks:
            digest.update(chunk)
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            for line in lines:
                document = json.loads(line)
                if not isinstance(document, dict) or set(document) - decoders.keys():
                    raise BackupError(f"a row of {name} does not fit the schema: {sorted(document)[:8]}")
                batch.append({key: decoders[key](value) for key, value in document.items()})
                batch_bytes += len(line)
                rows += 1
                if len(batch) >= INSERT_ROWS or batch_bytes >= INSERT_BYTES:
                    self.connection.execute(table.insert(), batch)
                    batch, batch_bytes = [], 0
        if rest:
            raise BackupError(f"the part of table {name} ends inside a row")
        if batch:
            self.connection.execute(table.insert(), batch)
        if digest.hexdigest() != entry["sha256"]:
            raise BackupError(f"the table {name} does not match its SHA-256 in the manifest")
        if rows != entry["rows"]:
            raise BackupError(f"the table {name} has {rows} rows, the manifest says {entry['rows']}")

    def blob(self, entry: dict[str, Any], chunks: Iterator[bytes]) -> None:
        blob_id = entry["id"]
        digest = hashlib.sha256()

        def hashed() -> Iterator[bytes]:
            for chunk in chunks:
                digest.update(chunk)
                yield chunk

        try:
            _, size = self.store.put(IteratorReader(hashed()), blob_id)  # type: ignore[arg-type]
        except UnknownBlob:  # malformed, or there already
            raise BackupError(f"the backup holds the blob {blob_id!r} twice, or a malformed id") from None
        self.written.append(blob_id)
        if digest.hexdigest() != entry["sha256"] or size != entry["size"]:
            raise BackupError(f"the blob {blob_id} does not match its size and SHA-256 in the manifest")

    def reset_sequences(self) -> None:
        """On PostgreSQL, move each serial column's sequence past the ids restored."""
        if self.connection.dialect.name != "postgresql":
            return
        for table in self.tables.values():
            columns = list(table.primary_key.columns)
            if len(columns) != 1 or columns[0].type.python_type is not int:
                continue
            sequence = self.connection.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": columns[0].name}
            ).scalar()
            if sequence is None:
                continue
            highest = self.connection.execute(select(func.max(columns[0]))).scalar()
            self.connection.execute(
                text("SELECT setval(:s, :v, :called)"),
                {"s": sequence, "v": highest or 1, "called": highest is not None},
            )

    def undo_blobs(self) -> None:
        for blob_id in self.written:
            self._unbound.remove(blob_id)


def _next_part(parts: Iterator[Any], expected: str) -> Any:
    part = next(parts, None)
    if part is None:
        raise BackupError(f"the backup ends before its part {expected}")
    if part.name != expected:
        raise BackupError(f"the backup has the part {part.name} where {expected} should be")
    return part


def read_manifest(parts: Iterator[Any]) -> dict[str, Any]:
    part = _next_part(parts, MANIFEST_PART)
    data = bytearray()
    for chunk in part:
        data += chunk
        if len(data) > _MANIFEST_MAX:
            raise BackupError("the backup's manifest is too large")
    try:
        manifest = json.loads(bytes(data))
    except ValueError:
        raise BackupError("the backup's manifest is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("sori_backup") != FORMAT_VERSION:
        raise BackupError("this is not a Sori backup of a format this version knows (sori_backup 1)")
    for key in ("schema_revision", "tables", "blobs", "counts"):
        if key not in manifest:
            raise BackupError(f"the backup's manifest lacks {key}")
    return manifest


def restore(
    engine: Engine,
    database_url: str,
    store: BlobStore,
    identity: Identity,
    stream: Readable,
    *,
    emit: Callable[[str], None],
) -> dict[str, Any]:
    """Restore the backup in ``stream`` into the empty database and blob store; returns its manifest.

    Rows go in inside one transaction that is committed only after every part matched the manifest and
    the check (core/check.py, audit trail included) passed; on any failure the transaction is rolled
    back and the blobs written are removed, so nothing is left half-restored (the schema's empty tables
    may stay: a database holding no rows counts as empty for the next try)."""
    require_empty(engine, store)
    reader = EnvelopeReader(stream, identity=identity)
    parts = iter(reader)
    manifest = read_manifest(parts)
    revision = manifest["schema_revision"]
    _prepare_schema(database_url, revision)
    store.tmp.mkdir(mode=0o700, parents=True, exist_ok=True)

    with engine.connect() as connection:
        transaction = connection.begin()
        restoring = _Restore(connection, store, emit)
        try:
            for entry in manifest["tables"]:
                restoring.table(entry, iter(_next_part(parts, entry["part"])))
            for entry in manifest["blobs"]:
                restoring.blob(entry, iter(_next_part(parts, entry["part"])))
            extra = next(parts, None)  # also reads to the end: truncation and trailing bytes show here
            if extra is not None:
                raise BackupError(f"the backup has a part {extra.name} that its manifest does not list")
            missing = set(restoring.tables) - SKIPPED_TABLES - {entry["name"] for entry in manifest["tables"]}
            if missing:
                raise BackupError(f"the backup has no part for the table(s) {', '.join(sorted(missing))}")
            restoring.reset_sequences()
            _verify_counts(connection, restoring.tables, manifest)
            session = Session(bind=connection)
            report = check.run(session, restoring.store, emit=emit, expected_revision=revision)
            session.close()
            if not report.clean:
                raise BackupError(f"the restored data does not pass `sori check`: {report.summary()}")
            transaction.commit()
        except BaseException as exc:
            transaction.rollback()
            restoring.undo_blobs()
            if isinstance(exc, (ValueError, KeyError, TypeError, UnknownBlob, SQLAlchemyError)):
                # Only a holder of the backup key can write a backup that authenticates, yet say it plainly.
                raise BackupError(
                    f"the backup's content does not fit ({type(exc).__name__}: {str(exc)[:200]}); "
                    "nothing was restored"
                ) from exc
            raise
    return manifest


def _verify_counts(connection: Connection, tables: dict[str, Table], manifest: dict[str, Any]) -> None:
    for name, expected in manifest["counts"].items():
        if name == "blobs":
            continue
        rows = connection.execute(select(func.count()).select_from(tables[name])).scalar_one()
        if rows != expected:
            raise BackupError(
                f"the table {name} holds {rows} rows after the restore, the manifest says {expected}"
            )
