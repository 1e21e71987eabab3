"""core/commits.py: writes of requests at once are committed together on SQLite, each request still gets its
own outcome (a form posted twice fails alone), and writes of a session that holds some of its own commit
with them."""

from __future__ import annotations

import threading
import time

import pytest
from flask import Flask
from sqlalchemy import Connection, func, select

from core import commits, db, form_nonces
from core.models import SpentNonce, Submission


def _spends(nonce: bytes, seen: list[Connection] | None = None, hold: threading.Event | None = None):
    def write(connection: Connection) -> bytes:
        if seen is not None:
            seen.append(connection)
        if hold is not None:
            hold.wait(10)
        form_nonces.spend(connection, nonce)
        return nonce

    return write


def _spent(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(SpentNonce)) or 0


def _until_queued(app: Flask, count: int) -> None:
    """Wait until ``count`` writes queue behind the commit in progress."""
    with app.app_context():
        group = commits._groups[db.database().engine]
    deadline = time.monotonic() + 10
    while group.waiting < count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert group.waiting == count


def _in_threads(
    app: Flask, writes: list, outcomes: dict[int, object], first: int = 0
) -> list[threading.Thread]:
    def run(index: int, write) -> None:
        with app.app_context():
            try:
                outcomes[index] = commits.run(db.session(), write)
            except Exception as exc:  # noqa: BLE001  (kept to be asserted on)
                outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(writes, start=first)]
    for thread in threads:
        thread.start()
    return threads


def test_writes_arriving_during_a_commit_are_committed_together_each_with_its_result(app: Flask) -> None:
    if not app.config["SORI_DATABASE_URL"].startswith("sqlite"):
        pytest.skip("grouped only on SQLite: PostgreSQL commits concurrent sessions itself")
    hold = threading.Event()
    first_seen: list[Connection] = []
    later_seen: list[Connection] = []
    nonces = [bytes([i]) * 16 for i in range(5)]
    outcomes: dict[int, object] = {}
    # The first write leads and waits inside its transaction; the others queue behind it meanwhile.
    threads = _in_threads(app, [_spends(nonces[0], first_seen, hold)], outcomes)
    while not first_seen:
        time.sleep(0.01)
    threads += _in_threads(app, [_spends(n, later_seen) for n in nonces[1:]], outcomes, first=1)
    _until_queued(app, 4)
    assert later_seen == []  # nothing runs beside a commit in progress
    hold.set()
    for thread in threads:
        thread.join(10)
    assert outcomes == {i: nonce for i, nonce in enumerate(nonces)}
    assert len(later_seen) == 4 and len({id(c) for c in later_seen}) == 1  # one transaction for the four
    assert _spent(app) == 5


def test_a_write_that_fails_fails_alone(app: Flask) -> None:
    repeated = b"r" * 16
    with app.app_context():
        form_nonces.spend(db.session(), repeated)
        db.session().commit()
    hold = threading.Event()
    seen: list[Connection] = []
    outcomes: dict[int, object] = {}
    threads = _in_threads(app, [_spends(b"a" * 16, seen, hold)], outcomes)
    while not seen:
        time.sleep(0.01)
    threads += _in_threads(
        app, [_spends(b"b" * 16), _spends(repeated), _spends(b"c" * 16)], outcomes, first=1
    )
    if app.config["SORI_DATABASE_URL"].startswith("sqlite"):
        _until_queued(app, 3)  # the three are then committed as one group, in which one fails
    hold.set()
    for thread in threads:
        thread.join(10)
    assert isinstance(outcomes.pop(2), form_nonces.NonceSpent)
    assert outcomes == {0: b"a" * 16, 1: b"b" * 16, 3: b"c" * 16}
    assert _spent(app) == 4


def test_a_session_with_writes_of_its_own_commits_them_with_these(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        session.add(Submission(id="s" * 20, receipt_hash="h" * 64))
        commits.run(session, _spends(b"n" * 16))
        session.rollback()  # nothing is left to undo: both were committed together
        assert session.get(Submission, "s" * 20) is not None
    assert _spent(app) == 1


def test_a_session_that_only_read_holds_no_connection_while_its_writes_wait(app: Flask) -> None:
    if not app.config["SORI_DATABASE_URL"].startswith("sqlite"):
        pytest.skip("grouped only on SQLite")
    held_while_writing: list[int] = []

    def write(connection: Connection) -> None:
        held_while_writing.append(db.database().engine.pool.checkedout())
        form_nonces.spend(connection, b"w" * 16)

    with app.app_context():
        session = db.session()
        session.scalar(select(func.count()).select_from(Submission))  # a read: the session takes a connection
        commits.run(session, write)
    assert held_while_writing == [1]  # the group's own connection, not the session's as well
    assert _spent(app) == 1
