"""The ``sori retention`` commands: the daily job that applies the retention policies and cleans what is
stale, the policies in force, and the longest retention period (for deploy/backup.sh).

    sori retention run [--dry-run]
    sori retention policies
    sori retention longest-days
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from core import check, db
from core import cli as core_cli
from reviewer.retention import due, job, policies


@click.group("retention")
def retention_cli() -> None:
    """Retention: delete what the policies say is due, and flag what reviewers must decide."""


@retention_cli.command("run")
@click.option(
    "--dry-run", is_flag=True, help="Say what would be deleted, flagged or cleaned; change nothing."
)
@with_appcontext
def run_command(dry_run: bool) -> None:
    """Apply the retention policies, then clean what is stale and check the store as `sori check
    --clean-stale` does (temporary files, orphan blobs, old form nonces and counters).

    Idempotent and safe to interrupt at any moment: run it again and it carries on. Exit status: 0 when
    the store is clean afterwards, 1 when `sori check` finds a problem, 2 when the check could not run."""
    session = db.session()
    today = policies.today()
    rules = policies.load(session)
    finished = job.finish_pending(session, dry_run=dry_run, emit=click.echo)
    work = due.plan(session, rules, today)
    label = "Would delete" if dry_run else "Deleting"
    with click.progressbar(length=len(work.due), label=label, file=sys.stderr) as bar:
        summary = job.apply(
            session, work, rules, today, dry_run=dry_run, emit=click.echo, progress=bar.update
        )
    summary.files_finished = finished
    click.echo(summary.line(dry_run))
    # The same check and cleaning as `sori check --clean-stale`, with its exit status.
    click.get_current_context().invoke(
        core_cli.check_command, max_age_hours=check.DEFAULT_MAX_AGE_HOURS, clean_stale=not dry_run
    )


@retention_cli.command("policies")
@with_appcontext
def policies_command() -> None:
    """Print the retention policies in force, in days (0: never)."""
    for name, days in policies.load(db.session()).as_dict().items():
        click.echo(f"{name}\t{days}")


@retention_cli.command("longest-days")
@with_appcontext
def longest_days_command() -> None:
    """Print the longest period after which a policy deletes submissions, in days (0: none does);
    deploy/backup.sh deletes backups older than that."""
    click.echo(policies.load(db.session()).longest_days())
