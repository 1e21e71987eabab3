"""Alembic environment: migrates the database named by the caller or by SORI_DATABASE_URL.

The migration scripts are plain operations and need no model. ``target_metadata`` (used only to compare
the models with a database, as tests/core/test_migrations.py does) holds the tables of every module
imported so far: the application factory (sori/app.py) imports every part's models.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from core.config import normalize_database_url
from core.db import Base, make_engine

config = context.config
target_metadata = Base.metadata

# Only the `alembic` command line sets up logging from the ini file; called from Sori, its logging stays.
if config.config_file_name is not None and "database_url" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    # Passed as an attribute, not an ini option: configparser would mangle the '%' of an escaped password.
    url = config.attributes.get("database_url") or os.environ.get("SORI_DATABASE_URL")
    if not url:
        raise RuntimeError("no database: set SORI_DATABASE_URL")
    return normalize_database_url(url)


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = make_engine(_database_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()
