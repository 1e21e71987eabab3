"""deploy/backup.sh deletes the backups made before the longest retention period (and never other files), so
that a deleted submission survives in backups no longer than that; with no deletion policy it keeps only
the newest SORI_BACKUP_KEEP, as before."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from crypto.keys import Identity
from tests.retention.helpers import set_policies
from tests.reviewer.helpers import make_user

REPO = Path(__file__).resolve().parents[2]


def _name(days_ago: int) -> str:
    made = datetime.now(UTC) - timedelta(days=days_ago, hours=1)
    return f"sori-{made:%Y%m%dT%H%M%SZ}-{100 + days_ago}.backup"


def _run_backup(app: Flask, tmp_path: Path, target: Path) -> subprocess.CompletedProcess:
    env_file = tmp_path / "sori.env"
    env_file.write_text(
        f"SORI_DATA_DIR={app.config['SORI_DATA_DIR']}\nSORI_DATABASE_URL='{app.config['SORI_DATABASE_URL']}'\n"
    )
    env = {
        **os.environ,
        "SORI_ENV_FILE": str(env_file),
        "SORI_BACKUP_KEYS": Identity.generate().public_key.text,
        "SORI_BACKUP_KEEP": "100",
        "SORI_BIN": str(Path(sys.executable).parent / "sori"),
    }
    done = subprocess.run(
        [REPO / "deploy" / "backup.sh", str(target)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.mark.parametrize(("withdrawn_days", "removed"), [(30, [400, 31]), (0, [])])
def test_backups_older_than_the_longest_retention_period_are_deleted(
    app: Flask, tmp_path: Path, withdrawn_days: int, removed: list[int]
) -> None:
    make_user(app, "admin", "admin")
    set_policies(app, rejected_days=10, withdrawn_days=withdrawn_days)
    if withdrawn_days == 0:
        set_policies(app, rejected_days=0)
    target = tmp_path / "backups"
    target.mkdir()
    names = {days: _name(days) for days in (400, 31, 29, 1)}
    for name in names.values():
        (target / name).write_bytes(b"an older backup")
    (target / "notes.txt").write_text("not a backup: left alone")

    done = _run_backup(app, tmp_path, target)

    left = sorted(p.name for p in target.iterdir())
    assert "notes.txt" in left and len([n for n in left if n.endswith(".backup")]) == 5 - len(removed)
    for days, name in names.items():
        assert (name in left) == (days not in removed), days
    assert done.stdout.count("removed backup older than the longest retention period") == len(removed)
