"""What the ``sori`` commands share: one-line failures, passphrases, identity and key files, and output
written privately (0600) and atomically, so that a failed command leaves nothing half-written."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import click

from crypto.errors import CryptoError
from crypto.keys import Identity, PublicKey, read_identity_public_key

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


def recipient_key(text: str) -> PublicKey:
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


def passphrase(passphrase_file: click.utils.LazyFile | None, *, confirm: bool) -> str:
    if passphrase_file is not None:
        passphrase = passphrase_file.readline().rstrip("\r\n")
    elif os.environ.get(PASSPHRASE_ENV):
        passphrase = os.environ[PASSPHRASE_ENV]
    else:
        passphrase = click.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm, err=True)
    if not passphrase:
        raise CommandError("the passphrase is empty")
    return passphrase


def unwrap(identity_path: Path, passphrase: str) -> Identity:
    try:
        return Identity.unwrap(identity_path.read_bytes(), passphrase)
    except CryptoError as exc:
        raise CommandError(f"cannot open the identity {identity_path} ({exc.code}): {exc}") from exc


def write_private_file(path: Path, content: bytes) -> None:
    with private_open(path) as file:
        file.write(content)


@contextmanager
def private_open(path: Path) -> Iterator[BinaryIO]:
    """A new file readable by its owner only (plaintext and identities must not be world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        yield file


@contextmanager
def atomic_output(output: Path | None) -> Iterator[BinaryIO]:
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
