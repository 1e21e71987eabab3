"""The ``sori records`` commands: import records from a folder in Sori's Uwazi layout, as a reviewer.

sori records import --uwazi DIR --as kim [--dry-run] [--lang ko]
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from core import db
from core.i18n import LOCALES
from reviewer import accounts
from reviewer.records.uwazi import importer


@click.group("records")
def records_cli() -> None:
    """Records: import them from Sori's Uwazi layout."""


@records_cli.command("import")
@click.option(
    "--uwazi",
    "folder",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of CSV files in Sori's Uwazi layout (docs/exports.md).",
)
@click.option("--as", "login", required=True, help="The reviewer the records are made as (audited).")
@click.option("--dry-run", is_flag=True, help="Check every file and row; write nothing.")
@click.option(
    "--lang", type=click.Choice(LOCALES), default="en", show_default=True, help="Language of the report."
)
@with_appcontext
def import_command(folder: Path, login: str, dry_run: bool, lang: str) -> None:
    """Make records from FOLDER's files, each row through its form's checks; all or nothing."""
    session = db.session()
    actor = accounts.find_user(session, login)
    if actor is None or accounts.state_of(actor) != "active" or not actor.is_reviewer:
        raise click.ClickException(f"{login!r} is not an active reviewer account")
    with force_locale(lang):
        report = importer.import_folder(session, actor, folder, dry_run=dry_run)
        for line in report.lines():
            click.echo(line, err=bool(report.problems))
    if report.problems:
        sys.exit(1)
