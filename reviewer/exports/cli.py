"""The ``sori export`` and ``sori sanctions`` commands: build a dossier export from the command line (the
same bundle as the web page, audited the same way), verify an export's signed manifest, list the exports
that cited a submission, print the export public key, and import an OpenSanctions-style sanctions list.

    sori export dossier --target person:12 --purpose sanctions --format pdf,ftm,csv --lang ko,en \\
        -o dossier-12/ --as kim
    sori export dossier ... --seal-to sori-pk1-... -o dossier-12.sori --as kim
    sori export verify dossier-12/ [--public-key sori-export-pk1-...]
    sori export cited-by SUBMISSION
    sori export key
    sori sanctions import opensanctions-kp.ftm.json
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from core import db, export_key
from crypto.errors import CryptoError
from crypto.keys import PublicKey
from reviewer.exports import bundle, citations, sanctions, signing
from reviewer.exports.dossier import KINDS, DossierError
from reviewer.models import User
from reviewer.records.vocab import PURPOSES


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _target(text: str) -> tuple[str, int]:
    kind, _colon, number = text.partition(":")
    if kind not in KINDS or not number.isdigit():
        raise click.BadParameter("give KIND:ID with KIND one of person, organization, facility (person:12)")
    return kind, int(number)


def _actor(login: str) -> User:
    user = db.session().scalars(select(User).where(User.login == login)).first()
    if (
        user is None
        or user.disabled_at is not None
        or user.locked_at is not None
        or user.password_hash is None
    ):
        raise click.ClickException(f"no active account {login!r}")
    if not (user.is_reviewer or user.is_case_team):
        raise click.ClickException(f"{login!r} is neither a reviewer nor a case-team member")
    return user


@click.group("export")
def export_cli() -> None:
    """Dossier exports: build, verify, and the export signing key."""


@export_cli.command("dossier")
@click.option("--target", "target_text", required=True, metavar="KIND:ID", help="person:12, organization:3 …")
@click.option("--purpose", required=True, type=click.Choice(list(PURPOSES)), help="What the export is for.")
@click.option("--format", "format_text", default="pdf,ftm,csv", show_default=True, help="pdf, ftm, csv.")
@click.option("--lang", "lang_text", default="ko,en", show_default=True, help="PDF languages: ko, en, both.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="A new folder (or, with --seal-to, the envelope file to write).",
)
@click.option(
    "--seal-to", "seal_to", multiple=True, metavar="PUBLICKEY", help="Seal to this key (sori-pk1-…)."
)
@click.option("--as", "login", required=True, help="The reviewer or case-team account the export is made as.")
@with_appcontext
def dossier_command(
    target_text: str,
    purpose: str,
    format_text: str,
    lang_text: str,
    output: Path,
    seal_to: tuple[str, ...],
    login: str,
) -> None:
    """Build a dossier on one target for one purpose, write it with its signed manifest, and audit it."""
    kind, target_id = _target(target_text)
    formats, languages = _split(format_text), _split(lang_text)
    try:
        recipients = [PublicKey.parse(text) for text in seal_to]
    except CryptoError as exc:
        raise click.ClickException(f"--seal-to: not a Sori public key ({exc})") from exc
    if output.exists() and (seal_to or not output.is_dir() or any(output.iterdir())):
        raise click.ClickException(
            f"{output} exists already; choose a new name so that nothing is overwritten"
        )
    actor = _actor(login)
    session = db.session()
    try:
        with click.progressbar(
            length=bundle.steps(formats, languages), label="Exporting", file=sys.stderr
        ) as bar:
            made = bundle.export(
                session,
                kind,
                target_id,
                purpose,
                formats,
                languages,
                actor,
                progress=lambda _s: bar.update(1),
            )
    except DossierError as exc:
        raise click.ClickException(f"cannot build this dossier: {exc.code}") from exc
    except bundle.BundleError as exc:
        raise click.ClickException(str(exc)) from exc
    if recipients:
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("xb") as sink:
            sink.write(bundle.seal(made, recipients))
    else:
        bundle.write_directory(made, output)
    click.echo(
        f"Export written to {output}: {len(made.files)} files, manifest SHA-256 {made.manifest_digest}"
    )


@export_cli.command("verify")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--public-key", "public_key_text", help="The export public key the organization published.")
@with_appcontext
def verify_command(directory: Path, public_key_text: str | None) -> None:
    """Check DIRECTORY's signature, every file's digest, and that no file is unlisted."""
    if public_key_text:
        try:
            key = export_key.parse_public(public_key_text)
        except export_key.ExportKeyError as exc:
            raise click.ClickException(str(exc)) from exc
    else:
        own = export_key.load(Path(current_app.config["SORI_DATA_DIR"]))
        key = own.verify_key if own is not None else None
        if key is None:
            click.echo(
                "Warning: no --public-key and no export key here; checking against the key the manifest "
                "names. Compare it with the key the organization published.",
                err=True,
            )
    try:
        verified = signing.verify(signing.read_directory(directory), key)
    except signing.VerificationError as exc:
        click.echo(f"NOT VERIFIED: {exc}", err=True)
        sys.exit(1)
    files = verified.manifest["files"]
    click.echo(f"Verified: {len(files)} files, signed by {verified.public_key}")


# Submission ids are URL-safe base64 and may begin with "-": read one as the argument, not an option.
@export_cli.command("cited-by", context_settings={"ignore_unknown_options": True})
@click.argument("submission_id", metavar="SUBMISSION")
@with_appcontext
def cited_by_command(submission_id: str) -> None:
    """List the dossier exports that relied on SUBMISSION (kept or since deleted), from the audit trail:
    exports are not recalled when a source is deleted, so tell the case teams that hold them."""
    session = db.session()
    found = citations.dossiers_citing(session, submission_id)
    for citation in found:
        click.echo(
            f"{citation.at:%Y-%m-%d}\t{citation.actor}\t{citation.target}\t{citation.purpose}\t"
            f"manifest SHA-256 {citation.manifest_sha256}\t(audit entry {citation.seq})"
        )
    if not found:
        click.echo(f"No dossier export in the audit trail relied on submission {submission_id}.")
    unrecorded = citations.unrecorded_exports(session)
    if unrecorded:
        click.echo(
            f"{unrecorded} older export(s) did not record the submissions they relied on; "
            "check their manifests' envelope digests by hand.",
            err=True,
        )


@export_cli.command("key")
@with_appcontext
def key_command() -> None:
    """Print the export public key and its fingerprint, to publish and to compare aloud."""
    key = export_key.load(Path(current_app.config["SORI_DATA_DIR"]))
    if key is None:
        raise click.ClickException("no export signing key yet: run `sori init`")
    click.echo(f"Fingerprint: {export_key.fingerprint(key.verify_key)}", err=True)
    click.echo(export_key.public_text(key.verify_key))


@click.group("sanctions")
def sanctions_cli() -> None:
    """Sanctions lists, imported offline, that records and dossiers are checked against."""


@sanctions_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dataset", help="The list's name (default: the entities' datasets, or the file name).")
@with_appcontext
def import_command(path: Path, dataset: str | None) -> None:
    """Load an OpenSanctions-style FollowTheMoney file (JSON lines with Sanction entities)."""
    session = db.session()
    try:
        counts = sanctions.import_file(session, path, dataset=dataset)
    except sanctions.SanctionsFileError as exc:
        session.rollback()
        raise click.ClickException(f"{path}: {exc}") from exc
    session.commit()
    click.echo(
        f"Imported {counts.added} new and {counts.replaced} replaced sanctioned entities "
        f"({counts.sanctions} sanctions); {counts.skipped} entities skipped."
    )
