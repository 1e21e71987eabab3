"""Grouped commits: on SQLite, the writes of many requests made durable together, by one transaction and one
fsync, on an OS thread rather than the event loop.

Every submission ends in a commit, and on SQLite with ``synchronous=FULL`` a commit waits for the disk
(an fsync of the write-ahead log, a few milliseconds, tens on a busy disk). On gevent's green threads that
wait, and any wait for another process's write lock, would hold up every request of the process: the
browser-path submission's p99 was 1.1-1.4 s at 8 clients (issue 13). So a request that stores hands its
writes to :func:`run`: the first one leads, running its writes off the event loop; the requests that
arrive meanwhile queue, and the next leader takes all of them into one transaction. A receipt is still
shown only once its rows are on disk: each request returns only after the commit holding its writes.

A write that fails (a form posted twice, a receipt in use) must fail alone: a group that fails is rolled
back and its writes are run again one transaction each, so each request gets its own outcome.

PostgreSQL waits cooperatively already (psycopg 3 under gevent) and groups concurrent commits itself
(``commit_delay``): there, and whenever the session has writes of its own to commit with these (an audit
entry), the writes run in the session's transaction, as before.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core import green

T = TypeVar("T")
Work = Callable[[Connection], T]


@dataclass
class _Write(Generic[T]):
    """One request's writes, and their outcome once a commit has held them (or failed)."""

    work: Work[T]
    turn: threading.Event = field(default_factory=threading.Event)
    done: bool = False
    settled: bool = False  # its result or error is known
    result: T | None = None
    error: BaseException | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class CommitGroup:
    """The writes waiting for a commit on one database, in this process, and whether one is being led."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[_Write[object]] = []
        self._leading = False

    @property
    def waiting(self) -> int:
        """How many writes wait for the next commit now."""
        with self._lock:
            return len(self._waiting)

    def run(self, engine: Engine, work: Work[T]) -> T:
        """``work(connection)`` in a transaction with whatever other writes are waiting; returns its result
        once that transaction is committed, or raises what ``work`` raised."""
        write: _Write[T] = _Write(work)
        with self._lock:
            self._waiting.append(write)  # type: ignore[arg-type]
            lead = not self._leading
            self._leading = True
        if not lead:
            write.turn.wait()  # set when the write is done, or when it is its turn to lead
        if not write.done:
            self._lead(engine)
        return write.outcome()

    def _lead(self, engine: Engine) -> None:
        with self._lock:
            group, self._waiting = self._waiting, []
        try:
            # The pool is used here, on the event loop; the connection's statements and the fsync of the
            # commit run on an OS thread, where waiting holds up nothing else.
            with engine.connect() as connection:
                green.off_loop(lambda: _commit(connection, group))
        except BaseException as exc:
            for write in group:
                if not write.settled:
                    write.error = exc
            raise
        finally:
            with self._lock:
                successor = self._waiting[0] if self._waiting else None
                self._leading = successor is not None
            for write in group:
                write.done = True
                write.turn.set()
            if successor is not None:
                successor.turn.set()  # not done: it leads the next group


def _commit(connection: Connection, group: list[_Write[object]]) -> None:
    try:
        results = _transaction(connection, [write.work for write in group])
    except OperationalError as exc:
        # The database itself failed (locked past the busy timeout, disk full): every write with it.
        for write in group:
            write.error = exc
        return
    except Exception:  # noqa: BLE001  (one write failed: each is tried alone, to fail alone)
        for write in group:
            try:
                write.result = _transaction(connection, [write.work])[0]
            except Exception as exc:  # noqa: BLE001  (handed to the request that wrote, raised there)
                write.error = exc
            write.settled = True
        return
    for write, result in zip(group, results, strict=True):
        write.result = result
        write.settled = True


def _transaction(connection: Connection, works: list[Work[object]]) -> list[object]:
    # The write lock first, before any read, so that no read sees a state another process changes before
    # this transaction writes (WAL refuses such an upgrade at once instead of waiting).
    connection.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        results = [work(connection) for work in works]
    except BaseException:
        connection.rollback()
        raise
    connection.commit()
    return results


#: Per engine, so that a process serving several applications (the tests) keeps them apart.
_groups: weakref.WeakKeyDictionary[Engine, CommitGroup] = weakref.WeakKeyDictionary()
_groups_lock = threading.Lock()


def run(session: Session, work: Work[T]) -> T:
    """``work(connection)`` committed: grouped with other requests' writes on SQLite when ``session`` has no
    writes of its own, else in ``session``'s transaction, committed with what it holds. The session is
    committed either way (its loaded objects expire, as after any commit)."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    if engine.dialect.name != "sqlite" or _has_writes(session):
        result = work(session.connection())
        session.commit()
        return result
    # Nothing to write: ending the session's read transaction first gives its connection back to the pool
    # before waiting, so that requests queued here never hold every connection the leader needs.
    session.commit()
    with _groups_lock:
        group = _groups.setdefault(engine, CommitGroup())
    return group.run(engine, work)


def _has_writes(session: Session) -> bool:
    if session.new or session.dirty or session.deleted:
        return True
    if not session.in_transaction():
        return False
    # pysqlite opens a transaction only before a write: one open on the session's connection holds writes.
    dbapi = session.connection().connection.dbapi_connection
    return bool(getattr(dbapi, "in_transaction", False))
