"""The database: one SQLAlchemy engine per application and one session per application context.

Views and services call :func:`session`; the session is removed when the application context ends, so a
request never sees another request's objects or an unfinished transaction. Nothing here commits: the code
that decides a unit of work is complete does.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app
from flask.globals import app_ctx
from sqlalchemy import DateTime, Dialect, Engine, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker

_EXTENSION = "sori.db"


class Base(DeclarativeBase):
    """Base class of every Sori model; its metadata is what the migrations must produce."""

    # Named constraints, so that later migrations can drop or alter them on PostgreSQL and SQLite alike.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class UTCDateTime(TypeDecorator[datetime]):
    """A moment, stored in UTC and read back timezone-aware on SQLite (which keeps no zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("a naive datetime is ambiguous; give it a time zone")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


@dataclass(frozen=True)
class Database:
    """The engine and session registry of one application."""

    engine: Engine
    sessions: scoped_session[Session]


#: How long a SQLite write waits for another connection's write to end. Writes are short (the audit trail
#: serialises appends on the database's write lock, core/audit.py), so this is reached only when stuck.
SQLITE_BUSY_SECONDS = 15


#: How long a PostgreSQL connection attempt waits for each host of the URL before trying the next.
CONNECT_SECONDS = 5


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite connections get write-ahead logging, foreign keys and full sync.

    PostgreSQL connections are tested before each use (``pool_pre_ping``): after a failover, connections to
    the old primary are dropped and new ones made through the URL, which may name several hosts with
    ``target_session_attrs=read-write`` so that libpq finds the new primary (deploy/README.md)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    connect_args = {} if "connect_timeout" in url else {"connect_timeout": CONNECT_SECONDS}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def _configure_sqlite(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the web workers and the command line read while one of them writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    # SQLite leaves foreign keys off unless asked, per connection.
    cursor.execute("PRAGMA foreign_keys=ON")
    # A receipt is shown only after the commit is on disk; NORMAL could lose it in a power cut under WAL.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _app_context_id() -> int:
    # app_ctx is a proxy, typed as the context it stands for; the context object itself is the key.
    return id(app_ctx._get_current_object())  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    """Give ``app`` an engine for ``SORI_DATABASE_URL`` and remove the session at each context's end."""
    engine = make_engine(app.config["SORI_DATABASE_URL"])
    # Scoped to the application context itself, not the thread: correct under any worker model.
    sessions = scoped_session(sessionmaker(engine), scopefunc=_app_context_id)
    app.extensions[_EXTENSION] = Database(engine, sessions)

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        sessions.remove()


def database(app: Flask | None = None) -> Database:
    """The :class:`Database` of ``app``, by default the current application."""
    return (app or current_app).extensions[_EXTENSION]  # type: ignore[no-any-return]


def session() -> Session:
    """The session of the current application context."""
    return database().sessions()


def release() -> None:
    """Give the current session's connection back to the pool, before a long wait that needs no database
    (a request body streaming in over Tor for minutes): a pool holds a few connections, an upload may
    take a quarter of an hour, and hundreds may stream at once. Ends the transaction, which must hold
    nothing unwritten; objects already loaded stay usable and reload on their next use."""
    session().rollback()
