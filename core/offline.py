"""The commands an offline reviewer needs on an air-gapped machine: ``sori keygen``, ``sori encrypt`` and
``sori decrypt``. They use neither the database nor the data folder, only this package and crypto/."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO

import click

from core import cli_io
from core.filenames import safe_file_name
from crypto.envelope import EnvelopeReader, EnvelopeWriter
from crypto.errors import CryptoError
from crypto.keys import Identity


@click.command("keygen")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the new identity file (it must not exist).",
)
@cli_io.passphrase_file_option
def keygen_command(output: Path, passphrase_file: click.utils.LazyFile | None) -> None:
    """Make a new identity, wrapped under a passphrase; prints its public key and fingerprint."""
    if output.exists():
        raise cli_io.CommandError(f"{output} exists already; choose another file name")
    passphrase = cli_io.passphrase(passphrase_file, confirm=True)
    identity = Identity.generate()
    cli_io.write_private_file(output, identity.wrap(passphrase).encode("utf-8"))
    click.echo(f"Identity written to {output}", err=True)
    click.echo(f"Fingerprint: {identity.public_key.fingerprint}", err=True)
    click.echo(identity.public_key.text)


@click.command("encrypt")
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
    keys = [cli_io.recipient_key(text) for text in recipient_texts]
    part_name = name or (input_path.name if input_path else "stdin")
    source = input_path.open("rb") if input_path else sys.stdin.buffer
    try:
        with cli_io.atomic_output(output) as sink:
            writer = EnvelopeWriter(sink, keys)
            writer.begin_part(part_name, media_type)
            writer.write_from(source)
            writer.close()
    except ValueError as exc:  # a part name or type out of bounds
        raise cli_io.CommandError(str(exc)) from exc
    finally:
        if input_path:
            source.close()


@click.command("decrypt")
@cli_io.identity_option("Your identity file.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Where to write: a file for a one-part envelope, a new folder when it has several parts.",
)
@cli_io.passphrase_file_option
@click.argument("input_path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def decrypt_command(
    identity_path: Path,
    output: Path | None,
    passphrase_file: click.utils.LazyFile | None,
    input_path: Path | None,
) -> None:
    """Open the envelope INPUT (default: standard input) with your identity.

    Nothing is left in OUTPUT unless the whole envelope opened and authenticated."""
    identity = cli_io.unwrap(identity_path, cli_io.passphrase(passphrase_file, confirm=False))
    source = input_path.open("rb") if input_path else sys.stdin.buffer
    try:
        if output is None:
            _decrypt_to_stdout(source, identity)
        else:
            _decrypt_to_path(source, identity, output)
    except CryptoError as exc:
        raise cli_io.CommandError(f"cannot open this envelope ({exc.code}): {exc}") from exc
    finally:
        if input_path:
            source.close()


def _decrypt_to_stdout(source: BinaryIO, identity: Identity) -> None:
    out = sys.stdout.buffer
    for part in EnvelopeReader(source, identity=identity):
        if part.info.index > 0:
            raise cli_io.CommandError(
                "this envelope holds several parts (answers and attachments): use -o FOLDER"
            )
        for chunk in part:
            out.write(chunk)
    out.flush()


def _decrypt_to_path(source: BinaryIO, identity: Identity, output: Path) -> None:
    if output.exists():
        raise cli_io.CommandError(
            f"{output} exists already; choose a new name so that nothing is overwritten"
        )
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
            with cli_io.private_open(target) as sink:
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


#: The offline commands, in the order ``sori --help`` lists them.
COMMANDS: tuple[click.Command, ...] = (keygen_command, encrypt_command, decrypt_command)
