"""The retention policies, applied by ``sori retention run`` with time moved forward: what is due is deleted
on the day it is due and not before; what is under a legal hold, unread or still new never is; stale
submissions are flagged, never deleted; a dry run changes nothing; deletion notices expire."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import delete, select

from core import db, erasure, submissions, tombstones
from core.config import BLOBS_TMP_DIR
from core.models import BlobRemoval, Envelope
from reviewer.retention import job, views
from tests.retention.helpers import Story, audit_details, every_row, exists, receipt_hash, set_policies
from tests.reviewer.helpers import make_user


def run(runner: FlaskCliRunner, *args: str, status: int = 0) -> str:
    result = runner.invoke(args=["retention", "run", *args])
    assert result.exit_code == status, result.output
    return result.output


def files(app: Flask) -> set[Path]:
    return {p for p in Path(app.config["SORI_DATA_DIR"]).rglob("*") if p.is_file()}


@pytest.mark.parametrize("state", ["rejected", "duplicate"])
def test_rejected_and_duplicate_submissions_go_n_days_after_the_decision(
    app: Flask, story: Story, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch, state: str
) -> None:
    set_policies(app, rejected_days=30)
    original = story.submit()
    stored = story.submit(in_blob=True)
    story.move(stored.submission_id, "in_review")
    if state == "duplicate":
        story.duplicate(stored.submission_id, original.submission_id)
    else:
        story.move(stored.submission_id, "rejected")
    story.read(stored.submission_id)

    story.later(monkeypatch, 29)
    assert "DELETED" not in run(runner)
    assert exists(app, stored.submission_id)

    story.later(monkeypatch, 1)
    output = run(runner)
    assert f"DELETED {stored.submission_id}: {state} on " in output
    assert not exists(app, stored.submission_id) and exists(app, original.submission_id)
    [(actor, subject, details)] = audit_details(app, "submission.delete")
    assert (actor, subject) == ("-", f"submission:{stored.submission_id}")
    assert details["policy"] == state and details["envelopes"] == 1 and details["bytes"] > 1000


def test_withdrawn_submissions_go_n_days_after_withdrawal_unless_under_a_legal_hold(
    app: Flask, story: Story, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_policies(app, withdrawn_days=10)
    held, free = story.submit(), story.submit()
    for stored in (held, free):
        story.move(stored.submission_id, "in_review", "withdrawn")
        story.read(stored.submission_id)
    story.decide(held.submission_id, "place_hold", by="lee", reason="법원 명령 2026-17")

    story.later(monkeypatch, 3650)
    output = run(runner)
    assert f"DELETED {free.submission_id}: withdrawn" in output
    assert not exists(app, free.submission_id)
    assert exists(app, held.submission_id) and held.submission_id not in output


def test_retention_never_deletes_a_submission_still_new_and_unread(
    app: Flask, story: Story, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_policies(app, rejected_days=1, withdrawn_days=1, review_days=30)
    new = story.submit()
    # Withdrawn by its source while still new: due by the policy, but nobody ever read it.
    withdrawn_unread = story.submit()
    story.source_chooses(withdrawn_unread.submission_id, "withdraw")

    story.later(monkeypatch, 3650)
    output = run(runner)
    assert "DELETED" not in output
    assert exists(app, new.submission_id) and exists(app, withdrawn_unread.submission_id)
    assert f"FLAG {new.submission_id}: still new since it arrived on" in output
    assert f"FLAG {withdrawn_unread.submission_id}: due for deletion since" in output
    assert "no reviewer ever read it" in output


def test_stale_submissions_are_flagged_until_a_reviewer_decides_never_deleted(
    app: Flask, story: Story, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_policies(app, review_days=365)
    unlinked, linked = story.submit(), story.submit()
    for stored in (unlinked, linked):
        story.move(stored.submission_id, "in_review", "verified")
    story.link(linked.submission_id, story.act())

    story.later(monkeypatch, 364)
    assert "FLAG" not in run(runner)
    story.later(monkeypatch, 1)
    output = run(runner)
    assert f"FLAG {unlinked.submission_id}: never linked to records" in output
    assert linked.submission_id not in output and exists(app, unlinked.submission_id)

    story.decide(unlinked.submission_id, "keep")
    assert "FLAG" not in run(runner)
    story.later(monkeypatch, 365)
    assert f"FLAG {unlinked.submission_id}" in run(runner)


def test_a_deletion_the_source_asked_for_waits_for_two_reviewers(
    app: Flask, story: Story, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = story.submit()
    story.source_chooses(stored.submission_id, "delete")
    story.later(monkeypatch, 3650)
    output = run(runner)
    assert f"FLAG {stored.submission_id}: the source asked on" in output
    assert exists(app, stored.submission_id)


def test_a_dry_run_changes_nothing(
    app: Flask, story: Story, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_policies(app, rejected_days=5)
    due = [story.submit(in_blob=True), story.submit()]
    for stored in due:
        story.move(stored.submission_id, "in_review", "rejected")
        story.read(stored.submission_id)
        story.note(stored.submission_id)
    story.later(monkeypatch, 6)
    rows, on_disk = every_row(app), {p: p.read_bytes() for p in files(app)}

    output = run(runner, "--dry-run")
    assert all(f"WOULD DELETE {stored.submission_id}: rejected" in output for stored in due)
    assert "would delete 2 submission(s)" in output
    assert every_row(app) == rows
    assert {p: p.read_bytes() for p in files(app)} == on_disk

    assert "deleted 2 submission(s)" in run(runner)
    assert not any(exists(app, stored.submission_id) for stored in due)


def test_deletion_notices_are_forgotten_after_the_notice_period(
    app: Flask, story: Story, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_policies(app, rejected_days=1, notice_days=20)
    stored = story.submit()
    story.move(stored.submission_id, "in_review", "rejected")
    story.read(stored.submission_id)
    kept_hash = receipt_hash(app, stored.submission_id)
    story.later(monkeypatch, 1)
    run(runner)
    with app.app_context():
        assert tombstones.deleted_on(db.session(), [kept_hash]) is not None

    story.later(monkeypatch, 20)
    assert "0 deletion notice(s) forgotten" in run(runner)
    story.later(monkeypatch, 1)
    assert "1 deletion notice(s) forgotten" in run(runner)
    with app.app_context():
        assert tombstones.deleted_on(db.session(), [kept_hash]) is None


def test_a_policy_of_zero_days_never_deletes(
    app: Flask, story: Story, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_policies(app, rejected_days=0, withdrawn_days=0, review_days=0)
    rejected = story.submit()
    story.move(rejected.submission_id, "in_review", "rejected")
    story.read(rejected.submission_id)
    story.later(monkeypatch, 3650)
    output = run(runner)
    assert "deleted 0 submission(s)" in output and "FLAG" not in output
    assert exists(app, rejected.submission_id)


def test_a_run_finishes_removing_the_files_of_an_interrupted_deletion(
    app: Flask, story: Story, runner: FlaskCliRunner
) -> None:
    """As a kill between a deletion's commit and its files' removal leaves it: a blob listed for removal."""
    stored = story.submit(in_blob=True)
    with app.app_context():
        session = db.session()
        blob_id = session.scalar(
            select(Envelope.blob_id).where(Envelope.submission_id == stored.submission_id)
        )
        session.add(BlobRemoval(blob_id=blob_id))
        session.execute(delete(Envelope).where(Envelope.blob_id == blob_id))
        session.commit()
        path = submissions.blob_store().path(blob_id)
    assert path.exists()
    dry = run(runner, "--dry-run", status=1)
    # Until a run finishes the job, `sori check` sees a file no row names.
    assert "WOULD FINISH removing 1 file(s)" in dry and f"PROBLEM orphan-blob: blob {blob_id}" in dry
    assert path.exists()
    assert "FINISHED removing 1 file(s) of interrupted deletions" in run(runner)
    assert not path.exists()
    with app.app_context():
        assert erasure.pending(db.session()) == 0


def test_the_run_cleans_what_sori_check_clean_stale_cleans(app: Flask, runner: FlaskCliRunner) -> None:
    tmp = Path(app.config["SORI_DATA_DIR"]) / "blobs" / BLOBS_TMP_DIR
    tmp.mkdir(parents=True, exist_ok=True)
    stale = tmp / "put-abandoned"
    stale.write_bytes(b"an upload that died")
    old = time.time() - 2 * 86400
    os.utime(stale, (old, old))
    output = run(runner)
    assert f"REMOVED stale temporary file {stale}" in output
    assert "sori check: no problem found" in output
    assert not stale.exists()


def test_longest_days_is_the_longest_deletion_period(app: Flask, runner: FlaskCliRunner) -> None:
    make_user(app, "admin", "admin")
    set_policies(app, rejected_days=90, withdrawn_days=400, review_days=3000, notice_days=1000)
    result = runner.invoke(args=["retention", "longest-days"])
    assert result.output.strip() == "400"
    set_policies(app, rejected_days=0, withdrawn_days=0)
    assert runner.invoke(args=["retention", "longest-days"]).output.strip() == "0"
    listed = runner.invoke(args=["retention", "policies"]).output
    assert "review_days\t3000" in listed and "notice_days\t1000" in listed


def test_the_page_and_the_command_name_the_same_flags() -> None:
    assert set(views.FLAG_LABELS) == set(job.FLAG_TEXTS)
