"""The organization's export signing key: an Ed25519 key in the data folder that signs the manifest of every
dossier export, so that a government receiving one can check it came from us and was not altered.

``sori init`` creates it (mode 0600) when it is missing and never overwrites it; the public key is shown on
the export pages and printed by ``sori export key``, to be published where recipients can compare it.
The file holds one line, ``sori-export-sk1-`` and the base64url seed; public keys print as
``sori-export-pk1-`` and the base64url key, with a fingerprint in crypto/keys.py's style (six groups of
five digits from a BLAKE2b digest) for reading aloud.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.signing
from flask import current_app, has_app_context

KEY_FILE = "export-signing.key"
SECRET_PREFIX = "sori-export-sk1-"
PUBLIC_PREFIX = "sori-export-pk1-"
_KEY_BYTES = 32


class ExportKeyError(ValueError):
    """An export key file or public key text that cannot be read."""


def key_path(data_dir: Path) -> Path:
    """Where the instance's export key lives: ``SORI_EXPORT_KEY_FILE`` when the application sets it (several
    app hosts each hold a copy of the one key, deploy/README.md), else in the data folder."""
    configured = current_app.config.get("SORI_EXPORT_KEY_FILE") if has_app_context() else None
    return Path(configured) if configured else Path(data_dir) / KEY_FILE


def ensure(data_dir: Path) -> bool:
    """Create the export key in ``data_dir`` unless it exists; whether it was created."""
    path = key_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = nacl.signing.SigningKey.generate()
    try:
        # O_EXCL: a key that exists (even one made a moment ago by another host) is never replaced.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(SECRET_PREFIX + _encode(bytes(key)) + "\n")
    return True


def load(data_dir: Path) -> nacl.signing.SigningKey | None:
    """The instance's export key, or ``None`` when ``sori init`` has not made one; raises
    :class:`ExportKeyError` when the file is damaged."""
    path = key_path(data_dir)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise ExportKeyError(f"{path} is not an export key file") from exc
    if not text.startswith(SECRET_PREFIX):
        raise ExportKeyError(f"{path} is not an export key file")
    return nacl.signing.SigningKey(_decode(text[len(SECRET_PREFIX) :]))


def public_text(key: nacl.signing.VerifyKey) -> str:
    """The printable public key, ``sori-export-pk1-...``."""
    return PUBLIC_PREFIX + _encode(bytes(key))


def parse_public(text: str) -> nacl.signing.VerifyKey:
    """Read a printable public key; raises :class:`ExportKeyError`."""
    text = text.strip()
    if not text.startswith(PUBLIC_PREFIX):
        raise ExportKeyError(f"not an export public key (they start with {PUBLIC_PREFIX})")
    try:
        return nacl.signing.VerifyKey(_decode(text[len(PUBLIC_PREFIX) :]))
    except (ExportKeyError, nacl.exceptions.CryptoError, ValueError) as exc:
        raise ExportKeyError("not an export public key (damaged)") from exc


def fingerprint(key: nacl.signing.VerifyKey) -> str:
    """Six groups of five digits, to compare a public key aloud."""
    digest = nacl.hash.blake2b(bytes(key), digest_size=32, encoder=nacl.encoding.RawEncoder)
    groups = (int.from_bytes(digest[5 * i : 5 * i + 5], "big") % 100000 for i in range(6))
    return " ".join(f"{group:05d}" for group in groups)


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ExportKeyError("not base64url") from exc
    if len(raw) != _KEY_BYTES:
        raise ExportKeyError("a key is 32 bytes")
    return raw
