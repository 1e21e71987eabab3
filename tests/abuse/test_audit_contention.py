"""Audit writes under contention, on SQLite and on PostgreSQL (issue 18, finding 3): 8 threads of anonymous
failed logins while a reviewer fetches envelopes (each fetch appends to the hash chain) against gunicorn
with the shipped configuration. No reviewer request fails, the chain verifies, and the flood of refusals
adds a bounded number of entries (one per account, reason and minute).
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core import audit, db
from core.models import AuditEntry, AuditTally
from tests.abuse.helpers import AbuseInstance, Browser, add_reviewer, log_in
from tests.databases import fresh_database

SECONDS = 15
FLOODERS = 8
FETCHERS = 2

#: One abuse test at a time (scripts/test.sh runs with --dist loadgroup): each measures a server on 2 cores.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("abuse")]


def test_failed_logins_never_fail_a_reviewers_audited_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh_database(tmp_path) as database_url:
        instance = AbuseInstance(tmp_path, database_url).setup()
        reviewer = add_reviewer(instance, submissions=4)
        server = instance.shipped()
        try:
            reviewers = [log_in(instance, reviewer) for _ in range(FETCHERS)]
            started = time.monotonic()
            fetched: list[int] = []
            refused: list[int] = []

            def flood(i: int) -> None:
                browser = Browser(instance.port, timeout=120)
                browser.form("/reviewer/login")
                n = 0
                while time.monotonic() - started < SECONDS:
                    fields = {"login": f"nobody-{i}-{n}", "password": "a guess"}
                    refused.append(browser.post_form("/reviewer/login", fields)[0])
                    n += 1

            def fetch(browser: Browser) -> None:
                n = 0
                while time.monotonic() - started < SECONDS:
                    envelope_id = reviewer.envelope_ids[n % len(reviewer.envelope_ids)]
                    fetched.append(browser.request("GET", f"/reviewer/api/envelopes/{envelope_id}")[0])
                    n += 1

            threads = [threading.Thread(target=flood, args=(i,)) for i in range(FLOODERS)]
            threads += [threading.Thread(target=fetch, args=(browser,)) for browser in reviewers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(SECONDS + 120)
            minutes = (time.monotonic() - started) / 60
        finally:
            server.stop()
        # A minute later, the next entry of any kind writes the tallies first: do it now.
        later = datetime.now(UTC) + timedelta(seconds=61)
        monkeypatch.setattr(audit, "now", lambda: later)
        with instance.app_context():
            session = db.session()
            audit.record(session, None, "test.next", "test:1")
            session.commit()
            entries = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "login.refused")))
            still_counting = list(session.scalars(select(AuditTally)))
            counted = sum(json.loads(entry.details)["count"] for entry in entries)
        verified = instance.sori("audit", "verify", check=False)

    print(
        f"\n{len(fetched)} envelope fetches ({sorted(set(fetched))}), {len(refused)} refused logins "
        f"({sorted(set(refused))}) in {SECONDS} s; {len(entries)} audit entries count {counted} refusals"
    )
    assert len(fetched) >= 20 and set(fetched) == {200}
    assert set(refused) == {401}
    assert verified.returncode == 0, verified.stderr
    assert still_counting == [] and counted == len(refused)
    assert 1 <= len(entries) <= int(minutes) + 2  # one subject ("user:?"), one reason: one entry a minute
