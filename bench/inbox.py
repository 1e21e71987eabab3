"""The reviewer inbox with 10,000 submissions: server time of the first page, and the login cost.

Builds a temporary SQLite database (migrated like production) holding 10,000 submissions spread over a
year, each with an envelope (its ciphertext in the row, as small ones are kept), a quarter of them with
one or two of 20 tags, a fifth assigned, and states from new to verified. Logs a reviewer in through the
real two-step login (password and a pyotp code), then times ``GET /reviewer/inbox`` with Flask's test
client: the first page and a few filters, over ~200 requests each, printing p50 and p95 (target: p95 <=
50 ms on SQLite). Then times the argon2id password hash of reviewer/accounts.py's default parameters
(target: 100 to 500 ms).

    .venv/bin/python -m bench.inbox [--submissions 10000] [--requests 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyotp
from argon2 import PasswordHasher
from sqlalchemy import insert

from core import db, migrate
from core.models import Envelope, Recipient, Submission
from crypto.keys import Identity
from reviewer import accounts, enrolment
from reviewer.models import ReviewerKey, SubmissionTag, Tag, Triage
from sori import create_app

PASSWORD = "bench password, long enough"
STATES = ["new"] * 6 + ["in_review"] * 2 + ["needs_follow_up", "verified", "rejected"]


def populate(app, count: int) -> tuple[str, str]:
    """Fill the database; returns the reviewer's login and TOTP secret."""
    rng = random.Random(4417)
    with app.app_context():
        session = db.session()
        user = enrolment.create_enrolled_user(session, "bench", "Bench Reviewer", PASSWORD, reviewer=True)
        others = [
            enrolment.create_enrolled_user(session, f"r{n}", f"Reviewer {n}", PASSWORD, reviewer=True)
            for n in range(3)
        ]
        identity = Identity.generate()
        public = identity.public_key
        recipient = Recipient(
            name="bench", public_key=public.text, key_id=public.key_id.hex(), fingerprint=public.fingerprint
        )
        session.add(recipient)
        session.flush()
        session.add(
            ReviewerKey(
                user_id=user.id,
                public_key=public.text,
                fingerprint=public.fingerprint,
                wrapped_identity=identity.wrap("bench", opslimit=1, memlimit=8192),
                recipient_id=recipient.id,
                vetted_at=datetime.now(UTC),
            )
        )
        tags = [Tag(name=f"태그-{n}") for n in range(20)]
        session.add_all(tags)
        session.flush()
        assignees = [user.id] + [o.id for o in others]
        key_ids = json.dumps([public.key_id.hex()])
        today = date.today()
        subs, envs, sub_tags, triage_rows = [], [], [], []
        for n in range(count):
            sid = secrets.token_urlsafe(16)
            day = today - timedelta(days=rng.randrange(365))
            subs.append(
                {
                    "id": sid,
                    "received_on": day,
                    "receipt_hash": secrets.token_hex(32),
                    "state": rng.choice(STATES),
                }
            )
            size = rng.randrange(600, 4000)
            envs.append(
                {
                    "submission_id": sid,
                    "sequence": 1,
                    "received_on": day,
                    "ciphertext": os.urandom(size),
                    "ciphertext_size": size,
                    "recipient_key_ids": key_ids,
                    "path": "browser" if n % 3 else "server",
                }
            )
            if n % 7 == 0:
                envs.append(
                    {
                        "submission_id": sid,
                        "sequence": 2,
                        "received_on": day,
                        "ciphertext": os.urandom(800),
                        "ciphertext_size": 800,
                        "recipient_key_ids": key_ids,
                        "path": "browser",
                    }
                )
            if n % 4 == 0:
                for tag in rng.sample(tags, rng.choice((1, 2))):
                    sub_tags.append({"submission_id": sid, "tag_id": tag.id})
            if n % 5 == 0:
                triage_rows.append(
                    {
                        "submission_id": sid,
                        "assignee_id": rng.choice(assignees),
                        "updated_at": datetime.now(UTC),
                    }
                )
        session.execute(insert(Submission), subs)
        session.execute(insert(Envelope), envs)
        session.execute(insert(SubmissionTag), sub_tags)
        session.execute(insert(Triage), triage_rows)
        session.commit()
        assert user.totp_secret is not None
        return user.login, user.totp_secret


def log_in(client, login: str, secret: str) -> None:
    token = re.compile(r'name="csrf_token" value="([^"]+)"')
    page = client.get("/reviewer/login").get_data(as_text=True)
    client.post(
        "/reviewer/login",
        data={"login": login, "password": PASSWORD, "csrf_token": token.search(page).group(1)},
    )
    page = client.get("/reviewer/login/code").get_data(as_text=True)
    response = client.post(
        "/reviewer/login/code",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": token.search(page).group(1)},
    )
    assert response.status_code == 302, "the bench reviewer could not log in"


def time_requests(client, url: str, n: int) -> tuple[float, float, int]:
    for _ in range(10):
        client.get(url)
    times = []
    rows = 0
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    rows = response.get_data(as_text=True).count('class="submission-row"')
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sori-bench-inbox-") as folder:
        url = f"sqlite:///{Path(folder) / 'sori.db'}"
        migrate.upgrade(url)
        app = create_app({"SORI_DATA_DIR": Path(folder) / "data", "SORI_DATABASE_URL": url})
        start = time.perf_counter()
        login, secret = populate(app, args.submissions)
        print(f"{args.submissions} submissions made in {time.perf_counter() - start:.1f} s (SQLite, {url})")
        client = app.test_client()
        log_in(client, login, secret)
        first = client.get("/reviewer/inbox").get_data(as_text=True)
        cursor = re.search(r'rel="next" href="([^"]+)"', first)
        cases = [
            ("first page", "/reviewer/inbox"),
            ("state=new", "/reviewer/inbox?state=new"),
            ("tag", "/reviewer/inbox?tag=%ED%83%9C%EA%B7%B8-3"),
            ("assignee=me", "/reviewer/inbox?assignee=me"),
            ("path=server", "/reviewer/inbox?path=server"),
            ("date range", f"/reviewer/inbox?from={date.today() - timedelta(days=30)}&to={date.today()}"),
        ]
        if cursor:
            cases.append(("second page", cursor.group(1).replace("&amp;", "&")))
        print(f"GET /reviewer/inbox, server time over {args.requests} requests (Flask test client):")
        worst = 0.0
        for name, path in cases:
            p50, p95, rows = time_requests(client, path, args.requests)
            worst = max(worst, p95) if name == "first page" else worst
            print(f"  {name:<12} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({rows} rows)")
        print(f"  first page p95 {'within' if worst <= 50 else 'OVER'} the 50 ms target")
        hasher = PasswordHasher(**accounts.PASSWORD_HASH_PARAMS)
        hasher.hash("warm up")
        costs = []
        for _ in range(5):
            start = time.perf_counter()
            hasher.hash(PASSWORD)
            costs.append((time.perf_counter() - start) * 1000)
        cost = statistics.median(costs)
        params = ", ".join(f"{k}={v}" for k, v in accounts.PASSWORD_HASH_PARAMS.items())
        verdict = "within" if 100 <= cost <= 500 else "OUTSIDE"
        print(f"Login cost: argon2id hash ({params}) median {cost:.0f} ms over 5 ({verdict} 100-500 ms)")
        db.database(app).engine.dispose()


if __name__ == "__main__":
    main()
