"""``sori retention run`` over 100,000 submissions of which 10,000 are due, on SQLite (target: under 60 s).

Builds a temporary SQLite database (migrated like production) and data folder: 100,000 submissions, each
with a real envelope (a small one, kept in its row; one due submission in ten has a second envelope in
the blob store), the due ones rejected 120 days ago by a reviewer who read them (audit entries in a valid
hash chain), a tenth of the others verified and linked to an act. Then runs the real command in a
subprocess, as the systemd timer does, and prints its wall time split by phase (start and plan, the
deletions, the cleaning and `sori check`), then `sori check` alone and a second, idempotent run.

    .venv/bin/python -m bench.retention [--submissions 100000] [--due 10000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from core import audit, db, migrate, submissions
from core.models import AuditEntry, Envelope, Submission
from crypto.envelope import encrypt_parts
from crypto.keys import Identity
from reviewer import accounts
from reviewer.records.models import Act, Incident, Information
from reviewer.retention import policies
from sori import create_app

SORI = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "sori"
BATCH = 5000


def _envelope(identity: Identity, size: int) -> bytes:
    out = io.BytesIO()
    encrypt_parts(out, [identity.public_key], [("answers.json", "application/json", os.urandom(size))])
    return out.getvalue()


class _Chain:
    """Audit entries appended in bulk, hash-chained as core/audit.py chains them."""

    def __init__(self, session) -> None:  # noqa: ANN001  (a Session)
        last = session.execute(
            select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc())
        ).first()
        self.seq, self.prev = (last.seq, last.hash) if last else (0, audit.GENESIS)
        self.rows: list[dict] = []

    def add(self, at: datetime, actor: str, action: str, subject: str, details: dict) -> None:
        self.seq += 1
        entry = AuditEntry(
            seq=self.seq,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            details=json.dumps(details, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
            prev_hash=self.prev,
        )
        entry.hash = audit.entry_hash(entry)
        self.prev = entry.hash
        self.rows.append(
            {
                c: getattr(entry, c)
                for c in ("seq", "at", "actor", "action", "subject", "details", "prev_hash", "hash")
            }
        )


def populate(app, count: int, due: int) -> None:  # noqa: ANN001  (a Flask application)
    identity = Identity.generate()
    key_ids = json.dumps([identity.public_key.key_id.hex()])
    small = _envelope(identity, 200)
    decided = datetime.now(UTC).replace(microsecond=0) - timedelta(days=120)
    received = (decided - timedelta(days=30)).date()
    with app.app_context():
        session = db.session()
        accounts.create_enrolled_user(
            session, "bench", "Bench Reviewer", "bench password long enough", reviewer=True
        )
        session.commit()
        chain = _Chain(session)
        incident = Incident(title="bench")
        session.add(incident)
        session.flush()
        act = Act(
            incident_id=incident.id,
            violation="torture_interrogation",
            date_lo=date(2019, 1, 1),
            date_hi=date(2019, 12, 31),
        )
        session.add(act)
        session.flush()
        store = submissions.blob_store()
        subs, envs, links = [], [], []
        envelope_id = 0
        for n in range(count):
            sid = secrets.token_urlsafe(16)
            is_due = n < due
            state = "rejected" if is_due else ("verified" if n % 10 == 0 else "in_review")
            subs.append(
                {
                    "id": sid,
                    "receipt_hash": secrets.token_hex(32),
                    "state": state,
                    "received_on": received,
                    "source_public_key": Identity.generate().public_key.text if n % 100 == 0 else None,
                }
            )
            envelope_id += 1
            envs.append(
                {
                    "id": envelope_id,
                    "submission_id": sid,
                    "sequence": 1,
                    "received_on": received,
                    "blob_id": None,
                    "ciphertext": small,
                    "ciphertext_size": len(small),
                    "recipient_key_ids": key_ids,
                    "path": "browser",
                }
            )
            if is_due:
                chain.add(
                    decided,
                    "bench",
                    "submission.state",
                    f"submission:{sid}",
                    {"from": "in_review", "to": "rejected"},
                )
                chain.add(decided, "bench", "envelope.fetch", f"envelope:{envelope_id}", {"submission": sid})
                if n % 10 == 0:
                    envelope_id += 1
                    data = _envelope(identity, 300_000)
                    blob_id, size = store.put(io.BytesIO(data))
                    envs.append(
                        {
                            "id": envelope_id,
                            "submission_id": sid,
                            "sequence": 2,
                            "received_on": received,
                            "blob_id": blob_id,
                            "ciphertext": None,
                            "ciphertext_size": size,
                            "recipient_key_ids": key_ids,
                            "path": "server",
                        }
                    )
            elif state == "verified":
                links.append(
                    {
                        "submission_id": sid,
                        "act_id": act.id,
                        "connection": "witness",
                        "reliability": "unknown",
                        "created_by_id": 1,
                        "created_at": decided,
                    }
                )
            if len(subs) >= BATCH:
                _flush(session, subs, envs, links, chain)
        _flush(session, subs, envs, links, chain)
        session.commit()
        session.add_all([])
        assert session.scalar(select(func.count()).select_from(Submission)) == count


def _flush(session, subs, envs, links, chain) -> None:  # noqa: ANN001
    connection = session.connection()
    for table, rows in ((Submission, subs), (Envelope, envs), (Information, links), (AuditEntry, chain.rows)):
        if rows:
            connection.execute(insert(table.__table__), rows)
            rows.clear()


def _timed_run(
    env: dict[str, str], *args: str
) -> tuple[float, dict[str, float], subprocess.CompletedProcess]:
    """Run ``sori *args``, timing when its phases' first lines arrive."""
    started = time.monotonic()
    process = subprocess.Popen(
        [str(SORI), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    marks: dict[str, float] = {}
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        now = time.monotonic() - started
        if line.startswith(("Deleting", "Would delete")):
            marks.setdefault("planned", now)
        elif line.startswith("sori retention run:"):
            marks.setdefault("deleted", now)
    process.wait()
    total = time.monotonic() - started
    return total, marks, subprocess.CompletedProcess(process.args, process.returncode, "".join(lines), "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="build the store in this folder and keep it")
    options = parser.parse_args()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="sori-bench-retention-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'sori.db'}"
    migrate.upgrade(url)
    app = create_app({"SORI_DATA_DIR": folder / "data", "SORI_DATABASE_URL": url})
    app.config["SORI_PASSWORD_HASH_PARAMS"] = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
    started = time.monotonic()
    populate(app, options.submissions, options.due)
    built = time.monotonic() - started
    print(f"store: {options.submissions} submissions, {options.due} due, built in {built:.1f} s")
    print(f"policies: {policies.Policies().as_dict()}")
    env = {**os.environ, "SORI_DATA_DIR": str(folder / "data"), "SORI_DATABASE_URL": url}

    total, marks, done = _timed_run(env, "retention", "run")
    deleted = [line for line in done.stdout.splitlines() if line.startswith("DELETED")]
    print(done.stdout.splitlines()[-2] if done.stdout else "")
    planned, deleting = marks.get("planned", 0.0), marks.get("deleted", 0.0) - marks.get("planned", 0.0)
    print(
        f"sori retention run: {total:.1f} s (exit {done.returncode}): start and plan {planned:.1f} s, "
        f"{len(deleted)} deletions {deleting:.1f} s ({len(deleted) / max(deleting, 1e-9):.0f}/s), "
        f"cleaning and sori check {total - marks.get('deleted', 0.0):.1f} s; target < 60 s: "
        f"{'met' if total < 60 else 'NOT met'}"
    )
    started = time.monotonic()
    checked = subprocess.run([str(SORI), "check"], env=env, capture_output=True, text=True)
    print(f"sori check alone: {time.monotonic() - started:.1f} s (exit {checked.returncode})")
    again, _marks, second = _timed_run(env, "retention", "run")
    print(f"second run (nothing due): {again:.1f} s (exit {second.returncode})")
    if done.returncode != 0:
        sys.stdout.write(done.stdout[-3000:])
    if options.keep is None:
        db.database(app).engine.dispose()


if __name__ == "__main__":
    main()
