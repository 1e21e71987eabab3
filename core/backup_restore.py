"""Restoring a backup (core/backup_format.py) into an empty database and blob store, all or nothing:
``sori backup restore``.

Only into an empty instance: the schema is migrated to the backup's revision, rows go in inside one
transaction and blobs into the store, each part checked against the manifest's counts and SHA-256, and the
transaction is committed only once `sori check` passes on the result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, Table, func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core import check, migrate
from core.backup_format import SKIPPED_TABLES, BackupError, decoder, next_part, read_manifest
from core.blobstore import BlobStore, IteratorReader, UnknownBlob
from crypto.envelope import EnvelopeReader, Readable
from crypto.keys import Identity

#: Rows inserted at once, and the most JSON text gathered before inserting.
INSERT_ROWS = 500
INSERT_BYTES = 4 * 1024 * 1024


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
        decoders = {column.name: decoder(column) for column in table.columns}
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
                restoring.table(entry, iter(next_part(parts, entry["part"])))
            for entry in manifest["blobs"]:
                restoring.blob(entry, iter(next_part(parts, entry["part"])))
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
