"""The core's ``sori`` commands: set up and serve Sori, manage recipient keys, export envelopes, check the
store and make or restore backups.

The composition root (sori/app.py) adds them, with the offline commands (core/offline.py) and the parts'
command groups, to ``sori`` and to ``flask --app sori``. They run inside the application: they touch the
database or the data folder.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from core import cli_io, config, db, export_key, migrate, recipients, several_hosts, submissions
from core.blobs_in_database import DatabaseBlobs
from core.blobs_on_disk import FileBlobs
from core.models import Envelope
from crypto.errors import CryptoError


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create the data folder and database and bring the schema up to date (safe to run again)."""
    migrate.upgrade(current_app.config["SORI_DATABASE_URL"])
    submissions.ensure_receipt_salt(db.session())
    if export_key.ensure(Path(current_app.config["SORI_DATA_DIR"])):
        click.echo("Export signing key created: print its public key with `sori export key` and publish it.")
    click.echo(f"Data folder: {current_app.config['SORI_DATA_DIR']}")
    click.echo(f"Database is at revision {migrate.head_revision()}.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Run Sori's web application on the embedded defaults (for a production server see deploy/)."""
    url = current_app.config["SORI_DATABASE_URL"]
    if migrate.current_revision(url) != migrate.head_revision():
        raise cli_io.CommandError("the database is not set up or not up to date: run `sori init` first")
    from werkzeug.serving import run_simple

    click.echo(f"Sori is running on http://{host}:{port}/ (press Ctrl+C to stop)")
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    run_simple(host, port, app, threaded=True, use_reloader=False)


recipients_group = click.Group("recipients", help="The vetted public keys new testimonies are sealed to.")


@recipients_group.command("add")
@click.argument("name")
@click.argument("public_key")
@with_appcontext
def recipients_add(name: str, public_key: str) -> None:
    """Register PUBLIC_KEY (sori-pk1-..., or an identity or key file) as recipient NAME."""
    key = cli_io.recipient_key(public_key)
    session = db.session()
    try:
        recipient = recipients.add(session, name, key.text)
    except recipients.RecipientError as exc:
        raise cli_io.CommandError(str(exc)) from exc
    session.commit()
    click.echo(f"Added {recipient.name}: fingerprint {recipient.fingerprint}")


@recipients_group.command("list")
@with_appcontext
def recipients_list() -> None:
    """List every recipient, active or revoked, with its fingerprint."""
    rows = recipients.list_all(db.session())
    if not rows:
        click.echo("No recipients yet: add one with `sori recipients add NAME PUBLICKEY`.")
    for recipient in rows:
        state = "active" if recipient.is_active else f"revoked {recipient.revoked_at:%Y-%m-%d}"
        click.echo(f"{recipient.name}\t{recipient.fingerprint}\t{state}\t{recipient.public_key}")


@recipients_group.command("revoke")
@click.argument("name")
@with_appcontext
def recipients_revoke(name: str) -> None:
    """Stop sealing new testimonies to recipient NAME, at once."""
    session = db.session()
    try:
        recipients.revoke(session, name)
    except recipients.RecipientError as exc:
        raise cli_io.CommandError(str(exc)) from exc
    session.commit()
    click.echo(f"Revoked {name}: new testimonies are no longer sealed to this key.")


envelopes_group = click.Group("envelopes", help="Stored envelopes, as files for `sori decrypt`.")


@envelopes_group.command("export")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write into (made if missing).",
)
@click.option("--submission", "submission_id", help="Only the envelopes of this submission.")
@with_appcontext
def envelopes_export(output: Path, submission_id: str | None) -> None:
    """Write stored envelopes into OUTPUT as SUBMISSION-N.sori, ciphertext exactly as stored; files already
    there are left as they are, so running it again adds only what is new."""
    output.mkdir(parents=True, exist_ok=True)
    query = select(Envelope).order_by(Envelope.submission_id, Envelope.sequence)
    if submission_id is not None:
        query = query.where(Envelope.submission_id == submission_id)
    written = 0
    for envelope in db.session().scalars(query):
        target = output / f"{envelope.submission_id}-{envelope.sequence}.sori"
        if target.exists():
            continue
        with submissions.open_envelope(envelope) as source, cli_io.atomic_output(target) as sink:
            shutil.copyfileobj(source, sink)
        written += 1
    click.echo(f"{written} envelope(s) written to {output}")


blobs_group = click.Group(
    "blobs", help="The blob store: envelope files on this host, or chunks in the database (SORI_BLOB_STORE)."
)


@blobs_group.command("move")
@click.option(
    "--to", "target_name", type=click.Choice(config.BLOB_STORES), required=True, help="The backend."
)
@with_appcontext
def blobs_move(target_name: str) -> None:
    """Move every blob into the backend TO while Sori keeps serving (readers find each blob in one backend or
    the other at every moment); safe to run again. Set SORI_BLOB_STORE=TO on every app host first."""
    from core import blob_moves

    files = FileBlobs(Path(current_app.config["SORI_DATA_DIR"]) / config.BLOBS_DIR)
    database = DatabaseBlobs(db.database().engine, files.tmp)
    source, target = (files, database) if target_name == "database" else (database, files)
    if current_app.config["SORI_BLOB_STORE"] != target_name:
        click.echo(
            f"Note: SORI_BLOB_STORE is {current_app.config['SORI_BLOB_STORE']} here, so new blobs still go "
            "there; set it to the target on every host, then run this again.",
            err=True,
        )
    report = blob_moves.move(source, target, click.echo)
    click.echo(f"Moved into {target_name}: {report.summary()}.")


# --- sori check, sori backup (core/check.py, core/backup.py and core/backup_restore.py) -------------


@click.command("check")
@click.option(
    "--max-age",
    "max_age_hours",
    type=click.FloatRange(min=0),
    default=24.0,
    show_default=True,
    metavar="HOURS",
    help="Temporary files and orphan blobs older than this are stale (younger ones may be in progress).",
)
@click.option("--clean-stale", is_flag=True, help="Remove stale temporary files and orphan blobs.")
@with_appcontext
def check_command(max_age_hours: float, clean_stale: bool) -> None:
    """Check the database and the blob store: one line per problem, then a summary.

    Exit status: 0 when no problem is found, 1 when any is, 2 when the check could not run."""
    from core import check

    try:
        report = check.run(
            db.session(),
            submissions.blob_store(),
            emit=click.echo,
            max_age_hours=max_age_hours,
            clean_stale=clean_stale,
        )
    except Exception as exc:  # the database unreachable, a folder unreadable: not a clean bill
        click.echo(f"sori check could not finish: {type(exc).__name__}: {exc}", err=True)
        sys.exit(2)
    for warning in several_hosts.warnings(db.session(), current_app.config):
        click.echo(f"WARNING {warning}")
    click.echo(report.summary())
    sys.exit(0 if report.clean else 1)


backup_group = click.Group("backup", help="Encrypted backups of the database and the blob store.")


@backup_group.command("create")
@click.option(
    "-r",
    "--recipient",
    "recipient_texts",
    multiple=True,
    required=True,
    metavar="PUBLICKEY",
    help="The organization's backup public key (sori-pk1-...) or a file holding it; repeat for several.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The backup file to write (mode 0600; it must not exist).",
)
@with_appcontext
def backup_create(recipient_texts: tuple[str, ...], output: Path) -> None:
    """Write an encrypted backup of every table and every envelope file to OUTPUT."""
    from core import backup
    from core.backup_format import BackupError

    keys = [cli_io.recipient_key(text) for text in recipient_texts]
    try:
        manifest = backup.create_file(db.database().engine, submissions.blob_store(), keys, output)
    except BackupError as exc:
        raise cli_io.CommandError(str(exc)) from exc
    rows = sum(entry["rows"] for entry in manifest["tables"])
    click.echo(
        f"Backup written to {output}: schema {manifest['schema_revision']}, "
        f"{len(manifest['tables'])} tables, {rows} rows, {len(manifest['blobs'])} blobs."
    )


@backup_group.command("restore")
@cli_io.identity_option("The backup identity file (its public key is the one the backup was made to).")
@cli_io.passphrase_file_option
@click.argument("backup_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def backup_restore(
    identity_path: Path, passphrase_file: click.utils.LazyFile | None, backup_path: Path
) -> None:
    """Restore BACKUP_PATH into this instance's database and data folder, which must both be empty."""
    from core import backup_restore
    from core.backup_format import BackupError

    identity = cli_io.unwrap(identity_path, cli_io.passphrase(passphrase_file, confirm=False))
    try:
        with backup_path.open("rb") as source:
            manifest = backup_restore.restore(
                db.database().engine,
                current_app.config["SORI_DATABASE_URL"],
                submissions.blob_store(),
                identity,
                source,
                emit=click.echo,
            )
    except BackupError as exc:
        raise cli_io.CommandError(f"restore refused: {exc}") from exc
    except CryptoError as exc:
        raise cli_io.CommandError(
            "restore failed: the backup file is damaged, cut short or not for this identity "
            f"({exc.code}: {exc}); nothing was restored"
        ) from exc
    rows = sum(entry["rows"] for entry in manifest["tables"])
    click.echo(
        f"Restored {rows} rows in {len(manifest['tables'])} tables and {len(manifest['blobs'])} blobs "
        f"(backup of {manifest['created_on']}, schema {manifest['schema_revision']}); sori check passed."
    )
    if manifest["schema_revision"] != migrate.head_revision():
        click.echo(
            "The database is at the backup's schema; "
            f"run `sori init` to bring it to {migrate.head_revision()}."
        )


#: The core's commands, in the order ``sori --help`` lists them.
COMMANDS: tuple[click.Command, ...] = (
    init_command,
    serve_command,
    recipients_group,
    envelopes_group,
    blobs_group,
    check_command,
    backup_group,
)
