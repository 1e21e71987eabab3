"""The backup format: what a Sori backup holds and how rows and blobs become its parts, both ways.

The database holds records that are not encrypted (reviewer accounts, the audit trail, triage), so a
backup is one envelope (crypto/FORMAT.md) sealed to the organization's backup public key(s). Its parts:

1. ``manifest.json``: ``{"sori_backup": 1, "schema_revision", "created_on", "tables": [...],
   "blobs": [...]}``, where each table and blob entry gives its part's name, its row count or size, and the
   SHA-256 of the part's bytes;
2. one ``table-<name>.jsonl`` part per table, in foreign-key order: one JSON object per row, keys sorted,
   bytes as base64, moments as ISO 8601 in UTC, days as ISO dates. Tables are read by SQLAlchemy reflection
   of the migrated schema, so a backup taken on SQLite restores into PostgreSQL and back;
3. one ``blob-<id>.sori`` part per blob an envelope row names, its bytes as stored (ciphertext).

Nothing of a testimony is ever in plaintext here: envelopes stay the ciphertext they are. Writing a backup is
core/backup.py, restoring one core/backup_restore.py; both raise :class:`BackupError`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Connection, Engine, MetaData, Table, select

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
_MANIFEST_MAX = 512 * 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why in one line, and what to do."""


def table_part(name: str) -> str:
    return f"table-{name}.jsonl"


def blob_part(blob_id: str) -> str:
    return f"blob-{blob_id}.sori"


# --- rows as JSON lines, and back --------------------------------------------------------------------


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


def decoder(column: Column[Any]) -> Callable[[Any], Any]:
    """How a column's JSON values become database values again (the inverse of :func:`encode_value`)."""
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


# --- reading the parts in order -----------------------------------------------------------------------


def next_part(parts: Iterator[Any], expected: str) -> Any:
    """The next part of the backup, which must be ``expected``."""
    part = next(parts, None)
    if part is None:
        raise BackupError(f"the backup ends before its part {expected}")
    if part.name != expected:
        raise BackupError(f"the backup has the part {part.name} where {expected} should be")
    return part


def read_manifest(parts: Iterator[Any]) -> dict[str, Any]:
    """The manifest, the first part, checked for the format version and the keys a restore needs."""
    part = next_part(parts, MANIFEST_PART)
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
