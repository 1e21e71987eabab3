"""The status page without JavaScript, with ten reviewer messages: server time per request.

A source without JavaScript posts the 16 digits to ``POST /status``; the server derives the receipt's keys
(one argon2id at the production cost, 3 passes over 32 MiB), finds the testimony, opens each reviewer
message with the source's key, renders the page and forgets (intake/status.py). Issue 11's target: under
150 ms of server time per request on this machine.

Builds a temporary SQLite database (migrated like production) with one vetted reviewer key, one testimony
sent through the no-JavaScript form and ten messages sealed, as a reviewer's browser seals them, to the
source and the reviewer. Times ``POST /status`` with Flask's test client (server time: no network), and
beside it, in the same run, the argon2id derivation alone, so that the rest (lookup, ten decryptions,
rendering, the nonce's commit) reads as the difference.

    .venv/bin/python -m bench.status_page [--requests 40] [--messages 10]
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import tempfile
import time
from pathlib import Path

from core import db, form_nonces, migrate, receipts, submissions
from core.models import Recipient, Submission
from crypto.envelope import encrypt_parts
from crypto.keys import Identity, PublicKey
from sori import create_app

TARGET_MS = 150.0
RECEIPT = re.compile(r'id="receipt-value">([0-9 ]{19})<')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
QUESTION = "대략 언제였는지 말씀해 주실 수 있습니까? " * 4 + "구류장에서 누가 조사했습니까?"


def prepare(app, messages: int) -> str:
    """A reviewer key, a testimony sent without JavaScript and ``messages`` messages; returns the digits."""
    reviewer = Identity.generate().public_key
    with app.app_context():
        session = db.session()
        session.add(
            Recipient(
                name="bench",
                public_key=reviewer.text,
                key_id=reviewer.key_id.hex(),
                fingerprint=reviewer.fingerprint,
            )
        )
        session.commit()
    source = app.test_client()
    token = CSRF.search(source.get("/submit").get_data(as_text=True)).group(1)
    page = source.post(
        "/submit",
        data={"csrf_token": token, "form_nonce": form_nonces.new(), "what_happened": "회령 구류장"},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    digits = RECEIPT.search(page).group(1).replace(" ", "")
    with app.app_context():
        session = db.session()
        found = submissions.find_by_receipt(
            session, receipts.derive(digits, submissions.receipt_salt(session))
        )
        assert isinstance(found, Submission) and found.source_public_key is not None
        keys = [reviewer, PublicKey.parse(found.source_public_key)]
        for _ in range(messages):
            sealed = io.BytesIO()
            encrypt_parts(sealed, keys, [("message.txt", "text/plain; charset=utf-8", QUESTION.encode())])
            body = sealed.getvalue()
            key_ids = tuple(key.key_id for key in keys)
            submissions.add_envelope(
                session, found.id, body, len(body), key_ids, path="browser", kind="reviewer"
            )
        session.commit()
    return digits


def time_status(app, digits: str, requests: int, messages: int) -> list[float]:
    """Server time of ``POST /status`` in milliseconds, one fresh form nonce per request."""
    client = app.test_client()
    token = CSRF.search(client.get("/status").get_data(as_text=True)).group(1)
    times = []
    for _ in range(requests + 3):
        form = {"csrf_token": token, "form_nonce": form_nonces.new(), "receipt": digits}
        start = time.perf_counter()
        response = client.post("/status", data=form)
        elapsed = (time.perf_counter() - start) * 1000
        page = response.get_data(as_text=True)
        assert response.status_code == 200, response.status_code
        assert page.count("구류장에서 누가 조사했습니까?") == messages, "not every message was opened"
        times.append(elapsed)
    return times[3:]  # the first requests warm Jinja's and SQLAlchemy's caches


def time_derivation(app, digits: str, requests: int) -> list[float]:
    """The argon2id derivation alone (crypto/FORMAT.md 6.1), as ``POST /status`` runs it."""
    with app.app_context():
        salt = submissions.receipt_salt(db.session())
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        receipts.derive(digits, salt)
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"p50 {statistics.median(ordered):6.1f} ms  p95 {p95:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--messages", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sori-bench-status-") as folder:
        url = f"sqlite:///{Path(folder) / 'sori.db'}"
        migrate.upgrade(url)
        app = create_app({"SORI_DATA_DIR": Path(folder) / "data", "SORI_DATABASE_URL": url})
        digits = prepare(app, args.messages)
        # Interleaved, so that both figures see the same moments of a noisy machine.
        page_times: list[float] = []
        derive_times: list[float] = []
        for _ in range(4):
            page_times += time_status(app, digits, args.requests // 4, args.messages)
            derive_times += time_derivation(app, digits, args.requests // 4)
        page_p50 = statistics.median(page_times)
        rest = page_p50 - statistics.median(derive_times)
        count = len(page_times)
        print(f"POST /status without JavaScript, {args.messages} messages, {count} requests (SQLite):")
        print(f"  whole request       {summary(page_times)}")
        print(f"  argon2id alone      {summary(derive_times)}")
        print(f"  the rest (p50)      {rest:6.1f} ms  (lookup, {args.messages} decryptions, page, commit)")
        verdict = "within" if page_p50 < TARGET_MS else "OVER"
        print(f"  p50 {verdict} the {TARGET_MS:.0f} ms target")
        db.database(app).engine.dispose()


if __name__ == "__main__":
    main()
