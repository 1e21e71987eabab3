"""Schema migrations from Python: bring a database to the newest schema (``sori init``) or ask where it is."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.db import make_engine

_HERE = Path(__file__).resolve().parent


def alembic_config(database_url: str) -> Config:
    """The Alembic configuration for ``database_url``, with Sori's migration scripts."""
    config = Config(str(_HERE / "alembic.ini"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database to ``revision``; does nothing when it is already there."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Migrate the database back to ``revision`` (``"base"`` removes every table)."""
    command.downgrade(alembic_config(database_url), revision)


def current_revision(database_url: str) -> str | None:
    """The revision the database is at, ``None`` for a database never migrated."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    """The newest revision of the migration scripts."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()
