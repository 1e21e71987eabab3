"""The ``sori`` command: set up and serve Sori, manage recipient keys, encrypt and decrypt envelopes offline.

The same commands are reachable as ``flask --app intake ...``. Commands that touch the database or the
data folder run inside the application; ``keygen``, ``encrypt`` and ``decrypt`` need neither, so that a
reviewer can use them on an air-gapped machine with nothing but this package installed.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext
from sqlalchemy import select

from crypto.envelope import EnvelopeReader, EnvelopeWriter
from crypto.errors import CryptoError
from crypto.keys import Identity, PublicKey, read_identity_public_key
from intake import db, export_key, extensions, migrate, recipients, submissions
from intake.demo import create_demo_reviewers, create_demo_submissions
from intake.filenames import safe_file_name
from intake.models import Envelope

PASSPHRASE_ENV = "SORI_PASSPHRASE"


#: The options every command that unwraps or wraps an identity shares.
passphrase_file_option = click.option(
    "--passphrase-file",
    type=click.File("r", encoding="utf-8"),
    help=f"Read the passphrase from this file's first line (else ${PASSPHRASE_ENV}, else a prompt).",
)


def identity_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``-i/--identity IDENTITY``, an existing identity file."""
    return click.option(
        "-i",
        "--identity",
        "identity_path",
        required=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help=help_text,
    )


class CommandError(click.ClickException):
    """A failure explained in one line, exit status 1 (click's own usage errors exit with 2)."""


@click.group(help="Sori: secure intake of survivor testimony. See README.md.")
def cli() -> None:
    """The root of the ``sori`` commands."""


@cli.command("init")
@with_appcontext
def init_command() -> None:
    """Create the data folder and database and bring the schema up to date (safe to run again)."""
    migrate.upgrade(current_app.config["SORI_DATABASE_URL"])
    submissions.ensure_receipt_salt(db.session())
    if export_key.ensure(Path(current_app.config["SORI_DATA_DIR"])):
        click.echo("Export signing key created: print its public key with `sori export key` and publish it.")
    click.echo(f"Data folder: {current_app.config['SORI_DATA_DIR']}")
    click.echo(f"Database is at revision {migrate.head_revision()}.")


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Run Sori's web application on the embedded defaults (for a production server see deploy/)."""
    url = current_app.config["SORI_DATABASE_URL"]
    if migrate.current_revision(url) != migrate.head_revision():
        raise CommandError("the database is not set up or not up to date: run `sori init` first")
    from werkzeug.serving import run_simple

    click.echo(f"Sori is running on http://{host}:{port}/ (press Ctrl+C to stop)")
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    run_simple(host, port, app, threaded=True, use_reloader=False)


@cli.command("keygen")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the new identity file (it must not exist).",
)
@passphrase_file_option
def keygen_command(output: Path, passphrase_file: click.utils.LazyFile | None) -> None:
    """Make a new identity, wrapped under a passphrase; prints its public key and fingerprint."""
    if output.exists():
        raise CommandError(f"{output} exists already; choose another file name")
    passphrase = _passphrase(passphrase_file, confirm=True)
    identity = Identity.generate()
    _write_private_file(output, identity.wrap(passphrase).encode("utf-8"))
    click.echo(f"Identity written to {output}", err=True)
    click.echo(f"Fingerprint: {identity.public_key.fingerprint}", err=True)
    click.echo(identity.public_key.text)


@cli.command("encrypt")
@click.option(
    "-r",
    "--recipient",
    "recipient_texts",
    multiple=True,
    required=True,
    metavar="PUBLICKEY",
    help="A recipient's public key (sori-pk1-...) or a file holding one; repeat for several.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the envelope (default: standard output).",
)
@click.option("--name", help="The part's name inside the envelope (default: the input's file name).")
@click.option(
    "--type",
    "media_type",
    default="application/octet-stream",
    show_default=True,
    help="The part's media type.",
)
@click.argument("input_path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def encrypt_command(
    recipient_texts: tuple[str, ...],
    output: Path | None,
    name: str | None,
    media_type: str,
    input_path: Path | None,
) -> None:
    """Seal INPUT (default: standard input) in an envelope to one or more recipients."""
    keys = [_recipient_key(text) for text in recipient_texts]
    part_name = name or (input_path.name if input_path else "stdin")
    source = input_path.open("rb") if input_path else sys.stdin.buffer
    try:
        with _atomic_output(output) as sink:
            writer = EnvelopeWriter(sink, keys)
            writer.begin_part(part_name, media_type)
            writer.write_from(source)
            writer.close()
    except ValueError as exc:  # a part name or type out of bounds
        raise CommandError(str(exc)) from exc
    finally:
        if input_path:
            source.close()


@cli.command("decrypt")
@identity_option("Your identity file.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Where to write: a file for a one-part envelope, a new folder when it has several parts.",
)
@passphrase_file_option
@click.argument("input_path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def decrypt_command(
    identity_path: Path,
    output: Path | None,
    passphrase_file: click.utils.LazyFile | None,
    input_path: Path | None,
) -> None:
    """Open the envelope INPUT (default: standard input) with your identity.

    Nothing is left in OUTPUT unless the whole envelope opened and authenticated."""
    identity = _unwrap(identity_path, _passphrase(passphrase_file, confirm=False))
    source = input_path.open("rb") if input_path else sys.stdin.buffer
    try:
        if output is None:
            _decrypt_to_stdout(source, identity)
        else:
            _decrypt_to_path(source, identity, output)
    except CryptoError as exc:
        raise CommandError(f"cannot open this envelope ({exc.code}): {exc}") from exc
    finally:
        if input_path:
            source.close()


def _decrypt_to_stdout(source: BinaryIO, identity: Identity) -> None:
    out = sys.stdout.buffer
    for part in EnvelopeReader(source, identity=identity):
        if part.info.index > 0:
            raise CommandError("this envelope holds several parts (answers and attachments): use -o FOLDER")
        for chunk in part:
            out.write(chunk)
    out.flush()


def _decrypt_to_path(source: BinaryIO, identity: Identity, output: Path) -> None:
    if output.exists():
        raise CommandError(f"{output} exists already; choose a new name so that nothing is overwritten")
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.partial-", dir=output.parent))
    try:
        written: list[tuple[Path, str, str, int]] = []
        used: set[str] = set()
        for part in EnvelopeReader(source, identity=identity):
            file_name = safe_file_name(part.name, used, fallback=f"part-{part.info.index + 1}")
            used.add(file_name)
            target = staging / file_name
            size = 0
            with _private_open(target) as sink:
                for chunk in part:
                    sink.write(chunk)
                    size += len(chunk)
            written.append((target, part.name, part.type, size))
        if len(written) == 1:
            written[0][0].rename(output)
            staging.rmdir()
        else:
            staging.rename(output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for path, name, media_type, size in written:
        shown = output if len(written) == 1 else output / path.name
        click.echo(f"{shown}  ({name!r}, {media_type}, {size} bytes)", err=True)


recipients_group = click.Group("recipients", help="The vetted public keys new testimonies are sealed to.")
cli.add_command(recipients_group)


@recipients_group.command("add")
@click.argument("name")
@click.argument("public_key")
@with_appcontext
def recipients_add(name: str, public_key: str) -> None:
    """Register PUBLIC_KEY (sori-pk1-..., or an identity or key file) as recipient NAME."""
    key = _recipient_key(public_key)
    session = db.session()
    try:
        recipient = recipients.add(session, name, key.text)
    except recipients.RecipientError as exc:
        raise CommandError(str(exc)) from exc
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
        raise CommandError(str(exc)) from exc
    session.commit()
    click.echo(f"Revoked {name}: new testimonies are no longer sealed to this key.")


envelopes_group = click.Group("envelopes", help="Stored envelopes, as files for `sori decrypt`.")
cli.add_command(envelopes_group)


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
        with submissions.open_envelope(envelope) as source, _atomic_output(target) as sink:
            shutil.copyfileobj(source, sink)
        written += 1
    click.echo(f"{written} envelope(s) written to {output}")


@cli.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create demo reviewers (identities under the data folder's demo/, registered as recipients, and what
    the extensions add, such as logins) and a few fictional accounts sealed to them."""
    migrate.upgrade(current_app.config["SORI_DATABASE_URL"])
    demo_dir = Path(current_app.config["SORI_DATA_DIR"]) / "demo"
    reviewers = create_demo_reviewers(demo_dir)
    # Before the extensions' hooks, so that what they add may build on the accounts (records citing them).
    added = create_demo_submissions(db.session())
    extra: dict[str, list[str]] = {reviewer.name: [] for reviewer in reviewers}
    for add_demo in extensions.demo_hooks():
        for name, lines in add_demo(demo_dir, reviewers).items():
            extra.setdefault(name, []).extend(lines)
    for reviewer in reviewers:
        click.echo(f"Demo reviewer {reviewer.name}")
        click.echo(f"  identity file: {reviewer.identity_path}")
        click.echo(f"  passphrase:    {reviewer.passphrase}   (the key passphrase, to read testimony)")
        click.echo(f"  fingerprint:   {reviewer.fingerprint}")
        for line in extra.pop(reviewer.name):
            click.echo(f"  {line}")
    for name, lines in extra.items():  # accounts an extension added besides the reviewers
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


def _recipient_key(text: str) -> PublicKey:
    """A public key given as text, or as a file holding the text or a whole identity file."""
    candidate = Path(text)
    try:
        if len(text) < 4096 and candidate.is_file():
            content = candidate.read_text(encoding="utf-8")
            return (
                read_identity_public_key(content)
                if content.lstrip().startswith("{")
                else PublicKey.parse(content)
            )
        return PublicKey.parse(text)
    except (CryptoError, UnicodeDecodeError) as exc:
        raise CommandError(f"not a Sori public key: {text[:60]!r} ({exc})") from exc


def _passphrase(passphrase_file: click.utils.LazyFile | None, *, confirm: bool) -> str:
    if passphrase_file is not None:
        passphrase = passphrase_file.readline().rstrip("\r\n")
    elif os.environ.get(PASSPHRASE_ENV):
        passphrase = os.environ[PASSPHRASE_ENV]
    else:
        passphrase = click.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm, err=True)
    if not passphrase:
        raise CommandError("the passphrase is empty")
    return passphrase


def _unwrap(identity_path: Path, passphrase: str) -> Identity:
    try:
        return Identity.unwrap(identity_path.read_bytes(), passphrase)
    except CryptoError as exc:
        raise CommandError(f"cannot open the identity {identity_path} ({exc.code}): {exc}") from exc


def _write_private_file(path: Path, content: bytes) -> None:
    with _private_open(path) as file:
        file.write(content)


@contextmanager
def _private_open(path: Path) -> Iterator[BinaryIO]:
    """A new file readable by its owner only (plaintext and identities must not be world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        yield file


@contextmanager
def _atomic_output(output: Path | None) -> Iterator[BinaryIO]:
    """Standard output, or ``output`` written under a temporary name and renamed only on success."""
    if output is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.partial-", dir=output.parent or ".")
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
        os.replace(tmp, output)
    except BaseException:
        os.unlink(tmp)
        raise


# --- sori check, sori backup (intake/check.py, intake/backup.py) ---------------------------------------


@cli.command("check")
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
    from intake import check

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
    click.echo(report.summary())
    sys.exit(0 if report.clean else 1)


backup_group = click.Group("backup", help="Encrypted backups of the database and the blob store.")
cli.add_command(backup_group)


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
    from intake import backup

    keys = [_recipient_key(text) for text in recipient_texts]
    try:
        manifest = backup.create_file(db.database().engine, submissions.blob_store(), keys, output)
    except backup.BackupError as exc:
        raise CommandError(str(exc)) from exc
    rows = sum(entry["rows"] for entry in manifest["tables"])
    click.echo(
        f"Backup written to {output}: schema {manifest['schema_revision']}, "
        f"{len(manifest['tables'])} tables, {rows} rows, {len(manifest['blobs'])} blobs."
    )


@backup_group.command("restore")
@identity_option("The backup identity file (its public key is the one the backup was made to).")
@passphrase_file_option
@click.argument("backup_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def backup_restore(
    identity_path: Path, passphrase_file: click.utils.LazyFile | None, backup_path: Path
) -> None:
    """Restore BACKUP_PATH into this instance's database and data folder, which must both be empty."""
    from intake import backup

    identity = _unwrap(identity_path, _passphrase(passphrase_file, confirm=False))
    try:
        with backup_path.open("rb") as source:
            manifest = backup.restore(
                db.database().engine,
                current_app.config["SORI_DATABASE_URL"],
                submissions.blob_store(),
                identity,
                source,
                emit=click.echo,
            )
    except backup.BackupError as exc:
        raise CommandError(f"restore refused: {exc}") from exc
    except CryptoError as exc:
        raise CommandError(
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


def register(app: Flask) -> None:
    """Make every ``sori`` command, the extensions' included, reachable as ``flask --app intake ...`` too."""
    _add_extension_commands()
    for command in cli.commands.values():
        app.cli.add_command(command)


def _add_extension_commands() -> None:
    for command in extensions.commands():
        cli.add_command(command)


def main() -> None:
    """Entry point of the ``sori`` console script."""
    from intake.app import create_app  # the app imports this module to register the commands

    _add_extension_commands()
    cli(obj=ScriptInfo(create_app=create_app, set_debug_flag=False, load_dotenv_defaults=False))
