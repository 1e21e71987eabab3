"""Throwaway databases for tests: SQLite in a temporary folder, or a fresh schema on a PostgreSQL server.

The suite runs on both: ``SORI_TEST_DATABASE_URL`` names a PostgreSQL server (scripts/pg-throwaway.sh
starts one), and each database handed out is a schema of its own there, dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from core.config import normalize_database_url


@contextlib.contextmanager
def fresh_database(folder: Path) -> Iterator[str]:
    """An empty database, never migrated: SQLite in ``folder``, or a schema of its own on
    ``SORI_TEST_DATABASE_URL``, dropped afterwards."""
    server = os.environ.get("SORI_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{folder / 'sori.db'}"
        return
    with postgres_schema(server) as url:
        yield url


@contextlib.contextmanager
def postgres_schema(server: str) -> Iterator[str]:
    """A schema of its own on the PostgreSQL server ``server``, as a database URL; dropped afterwards."""
    server = normalize_database_url(server)
    schema = f"sori_test_{secrets.token_hex(6)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()
