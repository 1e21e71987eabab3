"""128 failed logins, 64 at once, against gunicorn with the shipped configuration and the production argon2id
cost (64 MiB): the server's memory grows by at most 300 MiB and no answer is a 5xx (issue 18, finding 2).

Half the logins name an account that does not exist, half give a real account a wrong password; both get
the same answer. Afterwards a reviewer still logs in, and the audit trail verifies.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from core import db
from reviewer.models import User
from tests.abuse.helpers import AbuseInstance, Browser, add_reviewer, group_rss_mib, log_in
from tests.databases import fresh_database

LOGINS = 128
AT_ONCE = 64
MAX_GROWTH_MIB = 300
#: The longest delay a flood of this size may leave on the account it guesses at (a few checked guesses).
MAX_THROTTLE_S = 120

#: One abuse test at a time (scripts/test.sh runs with --dist loadgroup): each measures a server on 2 cores.
pytestmark = [pytest.mark.once, pytest.mark.slow, pytest.mark.xdist_group("abuse")]


def test_a_login_flood_stays_within_memory_and_answers_every_login(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as database_url:
        instance = AbuseInstance(tmp_path, database_url).setup()
        reviewer = add_reviewer(instance, submissions=0)
        server = instance.shipped()
        assert server.process is not None
        try:
            browsers = [Browser(instance.port, timeout=120) for _ in range(LOGINS)]
            for browser in browsers:
                browser.form("/reviewer/login")
            # Each worker has hashed once (its dummy hash for unknown logins is made then).
            for browser in browsers[:4]:
                browser.post_form("/reviewer/login", {"login": "warm-up", "password": "not it at all"})
                browser.form("/reviewer/login")
            baseline = group_rss_mib(server.process.pid)
            peak = baseline
            sampling = threading.Event()

            def sample() -> None:
                nonlocal peak
                while not sampling.wait(0.05):
                    peak = max(peak, group_rss_mib(server.process.pid))  # type: ignore[union-attr]

            sampler = threading.Thread(target=sample)
            sampler.start()

            def attempt(i: int) -> int:
                login = reviewer.login if i % 2 else f"nobody-{i}"
                fields = {"login": login, "password": f"guess {i}"}
                return browsers[i].post_form("/reviewer/login", fields)[0]

            started = time.monotonic()
            with ThreadPoolExecutor(AT_ONCE) as pool:
                statuses = Counter(pool.map(attempt, range(LOGINS)))
            seconds = time.monotonic() - started
            sampling.set()
            sampler.join()
            _wait_out_the_throttle(instance, reviewer.login)
            assert log_in(instance, reviewer).request("GET", "/reviewer/")[0] == 200
            verified = instance.sori("audit", "verify", check=False)
        finally:
            server.stop()

    print(
        f"\n{LOGINS} failed logins, {AT_ONCE} at once: {seconds:.1f} s, answers {dict(statuses)}, "
        f"RSS {baseline:.0f} MiB before, {peak:.0f} MiB at the peak (+{peak - baseline:.0f} MiB)"
    )
    assert statuses == Counter({401: LOGINS})
    assert peak - baseline <= MAX_GROWTH_MIB
    assert verified.returncode == 0, verified.stderr


def _wait_out_the_throttle(instance: AbuseInstance, login: str) -> None:
    """Wait until the delay the flood's wrong passwords earned the account has passed (it ends by itself,
    reviewer/accounts.py); how long it is depends on when the flood's guesses were checked."""
    with instance.app().app_context():
        until = db.session().scalar(select(User.throttled_until).where(User.login == login))
    if until is not None:
        wait = (until - datetime.now(UTC)).total_seconds()
        assert wait <= MAX_THROTTLE_S, f"the flood left the account throttled for {wait:.0f} s"
        time.sleep(max(0.0, wait) + 0.1)
