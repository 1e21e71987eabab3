"""Shared fixtures: a Sori application on a fresh data folder and database for each test (flaskr style).

The database is SQLite in the test's temporary folder, or, when ``SORI_TEST_DATABASE_URL`` names a
PostgreSQL server (see scripts/pg-throwaway.sh), a schema of its own on that server, dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, make_url, text

from intake import create_app, db, migrate
from intake.config import normalize_database_url


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database, never migrated."""
    server = os.environ.get("SORI_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    server = normalize_database_url(server)
    schema = f"sori_test_{secrets.token_hex(6)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        # Every connection made from this URL works in the new schema only.
        url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """An application on a fresh data folder and a database migrated to the newest schema."""
    migrate.upgrade(database_url)
    app = create_app({"TESTING": True, "SORI_DATA_DIR": tmp_path / "data", "SORI_DATABASE_URL": database_url})
    yield app
    # Release the pooled connections, so that the schema can be dropped.
    db.database(app).engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
