"""Counters shared by every host: one row a name and minute, added to in one statement, read as a sliding
minute, forgotten after a day."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from sqlalchemy import func, select

from core import counters, db
from core.models import Counter


def test_counts_add_up_within_a_minute_and_slide_across_its_boundary(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        for _ in range(30):
            counters.add(session, "guess", minute=1000)
        for _ in range(10):
            counters.add(session, "guess", minute=1001)
        counters.add(session, "other", minute=1001)
        session.commit()
        # 15 s into minute 1001: three quarters of minute 1000 still count.
        assert counters.last_minute(session, "guess", now=1001 * 60 + 15) == 10 + 30 * 0.75
        assert counters.last_minute(session, "guess", now=1002 * 60 + 30) == 10 * 0.5
        assert counters.last_minute(session, "guess", now=1003 * 60) == 0


def test_adds_from_many_threads_at_once_lose_nothing(app: Flask) -> None:
    def add_one(_: int) -> None:
        with app.app_context():
            session = db.session()
            counters.add(session, "together", minute=7)
            session.commit()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(add_one, range(200)))
    with app.app_context():
        total = db.session().scalar(select(func.sum(Counter.count)).where(Counter.name == "together"))
    assert total == 200


def test_old_counts_are_forgotten(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        counters.add(session, "guess", minute=10)
        counters.add(session, "guess", minute=10 + counters.KEEP_MINUTES)
        session.commit()
        assert counters.forget_old(session, minute=10 + counters.KEEP_MINUTES) == 1
        session.commit()
        assert session.scalar(select(func.count()).select_from(Counter)) == 1
