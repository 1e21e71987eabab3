"""Shared fixtures: a Sori application on a fresh data folder and database for each test (flaskr style).

The database is SQLite in the test's temporary folder, or, when ``SORI_TEST_DATABASE_URL`` names a
PostgreSQL server (see scripts/pg-throwaway.sh), a schema of its own on that server, dropped afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from core import db, migrate
from sori import create_app
from tests.databases import fresh_database


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """scripts/test.sh runs the suite on SQLite and then on PostgreSQL. Tests marked ``once`` measure the
    server, not the database (slow uploads, floods), and those marked ``browser`` check what runs in the
    browser (every database query they cause is also tested without one): both run on the SQLite pass
    only."""
    if not os.environ.get("SORI_TEST_DATABASE_URL"):
        return
    skip = pytest.mark.skip(reason="does not depend on the database: runs on the SQLite pass")
    for item in items:
        if item.get_closest_marker("once") is not None or item.get_closest_marker("browser") is not None:
            item.add_marker(skip)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database, never migrated."""
    with fresh_database(tmp_path) as url:
        yield url


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
