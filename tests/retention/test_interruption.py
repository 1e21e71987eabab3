"""``sori retention run`` killed with SIGKILL at random moments, 20 times, on a store of 1,000 submissions of
which most are due: after every kill each submission is either whole or deleted (never a row without its
file, never a file nobody knows about), the audit trail verifies, and once a run is let finish `sori check`
is clean and every due submission is gone, every other one untouched.

Bounded: ``SORI_RETENTION_KILLS`` rounds (default 20).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from select import select as wait_readable

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from core import audit, db, erasure, migrate, submissions
from core.models import AuditEntry, BlobRemoval, DeletedReceipt, Envelope, Submission
from reviewer import triage
from reviewer.models import Note, SubmissionTag, Triage
from reviewer.records.models import Information
from sori import create_app
from tests.databases import fresh_database
from tests.retention.helpers import Story, set_policies

SORI = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "sori"
ROUNDS = int(os.environ.get("SORI_RETENTION_KILLS", "20"))
SUBMISSIONS = 1000
#: Every KEEP_EVERY-th submission is kept (not due), the rest are rejected long ago and read.
KEEP_EVERY = 5


@dataclass
class Store:
    """The store the runs work on: what is due, what must stay, and what each submission had."""

    app: Flask
    env: dict[str, str]
    due: set[str]
    kept: set[str]
    #: Submission id -> (envelopes, notes, tags, triage rows) it had before any run.
    parts: dict[str, tuple[int, ...]]
    #: Information links citing due submissions.
    links: int


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url)
        app = create_app({"TESTING": True, "SORI_DATA_DIR": tmp_path / "data", "SORI_DATABASE_URL": url})
        try:
            yield _fill(app, url, tmp_path, monkeypatch)
        finally:
            db.database(app).engine.dispose()


def _fill(app: Flask, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    story = Story.make(app)
    act = story.act()
    # Every decision was taken ten days ago.
    past = datetime.now(UTC) - timedelta(days=10)
    monkeypatch.setattr(audit, "now", lambda: past)
    due, kept = set(), set()
    for i in range(SUBMISSIONS):
        stored = story.submit(in_blob=i % 3 == 0)
        sid = stored.submission_id
        if i % 4 == 0:
            story.add_envelope(sid, in_blob=True)
        if i % KEEP_EVERY == 0:
            kept.add(sid)
            continue
        due.add(sid)
        if i % 7 == 0:
            story.note(sid)
            story.tag(sid, f"tag-{i % 3}")
        if i % 11 == 0:
            story.link(sid, act)
    with app.app_context():
        session = db.session()
        kim, lee = story.user("kim"), story.user("lee")
        for sid in sorted(due):
            submission = session.get(Submission, sid)
            triage.change_state(session, submission, "in_review", kim)
            triage.change_state(session, submission, "rejected", lee)
            for envelope_id in session.scalars(select(Envelope.id).where(Envelope.submission_id == sid)):
                audit.record(session, kim, "envelope.fetch", f"envelope:{envelope_id}", submission=sid)
        session.execute(update(Submission).values(received_on=past.date()))
        session.commit()
    monkeypatch.undo()
    set_policies(app, rejected_days=5)
    env = {**os.environ, "SORI_DATA_DIR": str(tmp_path / "data"), "SORI_DATABASE_URL": url}
    with app.app_context():
        links = db.session().scalar(select(func.count()).select_from(Information))
    return Store(app, env, due, kept, _parts(app), links)


_COUNTED = (Envelope.submission_id, Note.submission_id, SubmissionTag.submission_id, Triage.submission_id)


def _parts(app: Flask) -> dict[str, tuple[int, ...]]:
    """Submission id -> (envelopes, notes, tags, triage rows) it has now, for every submission with any."""
    counts: dict[str, list[int]] = {}
    with app.app_context():
        session = db.session()
        for place, column in enumerate(_COUNTED):
            for sid, count in session.execute(select(column, func.count()).group_by(column)):
                counts.setdefault(sid, [0] * len(_COUNTED))[place] = count
    return {sid: tuple(numbers) for sid, numbers in counts.items()}


def _check_consistent(store: Store) -> int:
    """Every submission whole or deleted, every file accounted for; how many due ones are deleted."""
    app = store.app
    with app.app_context():
        session = db.session()
        blob_store = submissions.blob_store()
        rows = set(session.scalars(select(Envelope.blob_id).where(Envelope.blob_id.is_not(None))))
        pending = set(session.scalars(select(BlobRemoval.blob_id)))
        on_disk = set(blob_store.blob_ids())
        assert rows <= on_disk, f"rows without their file: {sorted(rows - on_disk)[:3]}"
        assert on_disk <= rows | pending, f"files nobody knows about: {sorted(on_disk - rows - pending)[:3]}"
        present = set(session.scalars(select(Submission.id)))
        deletions = dict(
            session.execute(
                select(AuditEntry.subject, func.count())
                .where(AuditEntry.action == "submission.delete")
                .group_by(AuditEntry.subject)
            ).all()
        )
        assert store.kept <= present
        now = _parts(app)
        for sid in store.kept:
            assert now[sid] == store.parts[sid]
        deleted = 0
        for sid in store.due:
            if sid in present:
                assert now[sid] == store.parts[sid], f"{sid} is half-deleted"
                assert f"submission:{sid}" not in deletions
            else:
                deleted += 1
                assert sid not in now, f"{sid} is half-deleted"
                assert deletions.get(f"submission:{sid}") == 1
        linked = session.scalar(select(func.count()).where(Information.submission_id.is_not(None)))
        unlinked = session.scalar(select(func.count()).where(Information.source_deleted_on.is_not(None)))
        assert (linked, linked + unlinked) == (store.links - unlinked, store.links)
        assert session.scalar(select(func.count()).select_from(DeletedReceipt)) == deleted
        assert audit.verify(session)[1] is None
        return deleted


def _run_and_kill(env: dict[str, str], *, early: bool, window: float) -> None:
    """Start a run and SIGKILL it: ``early``, at a random moment of its start (loading, planning);
    otherwise at a random moment within ``window`` seconds of its first line (the deletions have begun)."""
    process = subprocess.Popen(
        [str(SORI), "retention", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        if early:
            # Up to 2 s, but no later than the plan: an early kill never lands among the deletions.
            wait_readable([process.stdout], [], [], random.uniform(0.2, 2.0))
        else:
            process.stdout.readline()  # the progress bar's label, once the plan is made
            time.sleep(random.uniform(0.0, window))
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_sigkill_during_retention_runs_leaves_every_submission_whole_or_deleted(store: Store) -> None:
    started = time.monotonic()
    deleted_per_round = []
    # How long after the deletions begin a kill may land, fitted to this machine's speed as the rounds go,
    # so that the kills fall in the middle of the work rather than after it: wider after a round that
    # deleted nothing, narrower after one that deleted an eighth or more of what was left.
    window = 0.2
    for round_ in range(ROUNDS):
        early = round_ % 4 == 0
        left = len(store.due) - (deleted_per_round[-1] if deleted_per_round else 0)
        _run_and_kill(store.env, early=early, window=window)
        deleted_per_round.append(_check_consistent(store))
        step = left - (len(store.due) - deleted_per_round[-1])
        if not early and step == 0:
            window *= 2
        elif not early and step * 8 >= left:
            window /= 2

    finished = subprocess.run(
        [str(SORI), "retention", "run"], env=store.env, capture_output=True, text=True, timeout=300
    )
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    assert _check_consistent(store) == len(store.due)
    checked = subprocess.run([str(SORI), "check"], env=store.env, capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with store.app.app_context():
        assert erasure.pending(db.session()) == 0
    progress = [b - a for a, b in zip([0, *deleted_per_round], deleted_per_round, strict=False)]
    print(
        f"\n{ROUNDS} SIGKILLs in {time.monotonic() - started:.0f} s; due {len(store.due)}, kept "
        f"{len(store.kept)}; deleted after each kill: {deleted_per_round}; the last run finished "
        f"{len(store.due) - deleted_per_round[-1]}"
    )
    # Kills landed in the middle of the deletions (some done, some left), not only before or after them.
    mid_run = [
        step
        for step, total in zip(progress, deleted_per_round, strict=True)
        if step and total < len(store.due)
    ]
    assert len(mid_run) >= 3
