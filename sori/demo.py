"""``sori demo``: the parts' demo content put together, for a first look at Sori on a laptop.

The core makes demo reviewer identities (registered as recipients) and seals a few fictional accounts to
them; the reviewer side then gives those identities logins, adds an admin and a case-team account, and
records citing the accounts. Everything is marked as demo and lives under ``<data>/demo/``.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from core import db, migrate
from core.demo import create_demo_reviewers, create_demo_submissions
from reviewer.demo import add_demo


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create demo reviewers (identities under the data folder's demo/, registered as recipients, with
    logins), demo admin and case-team accounts, a few fictional accounts sealed to them, and demo records."""
    migrate.upgrade(current_app.config["SORI_DATABASE_URL"])
    demo_dir = Path(current_app.config["SORI_DATA_DIR"]) / "demo"
    reviewers = create_demo_reviewers(demo_dir)
    # Before the reviewer side's demo, so that its records can cite the accounts.
    added = create_demo_submissions(db.session())
    extra = add_demo(demo_dir, reviewers)
    for reviewer in reviewers:
        click.echo(f"Demo reviewer {reviewer.name}")
        click.echo(f"  identity file: {reviewer.identity_path}")
        click.echo(f"  passphrase:    {reviewer.passphrase}   (the key passphrase, to read testimony)")
        click.echo(f"  fingerprint:   {reviewer.fingerprint}")
        for line in extra.pop(reviewer.name, []):
            click.echo(f"  {line}")
    for name, lines in extra.items():  # accounts besides the reviewers: the admin, the case team
        click.echo(f"Demo account {name}")
        for line in lines:
            click.echo(f"  {line}")
    if added:
        click.echo(f"{added} fictional accounts are waiting in the inbox.")
    click.echo(
        "These are demo keys with their passphrases in plain sight: never use them for real testimony."
    )
    click.echo("To read what was submitted: sori envelopes export -o envelopes/, then")
    click.echo("  SORI_PASSPHRASE=... sori decrypt -i IDENTITY -o opened/ envelopes/FILE.sori")
