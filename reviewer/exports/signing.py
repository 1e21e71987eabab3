"""The signed manifest of an export: ``manifest.json`` lists every file with its SHA-256 and size, and
``manifest.sig`` holds the Ed25519 signature (64 raw bytes) of the exact manifest bytes, made with the
organization's export key (core/export_key.py).

Verification names the first problem it meets: a missing manifest or signature, a bad signature, a listed
file that is missing or whose digest differs, or a file the manifest does not list.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import nacl.exceptions
import nacl.signing

from core import export_key

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
FORMAT = "sori-dossier-export"
VERSION = 1


class VerificationError(Exception):
    """The export does not verify; the message names what is wrong."""


@dataclass(frozen=True)
class Verified:
    """A verified export: its manifest, and the public key that signed it."""

    manifest: dict[str, Any]
    public_key: str


def manifest_bytes(
    files: Mapping[str, bytes],
    *,
    target: Mapping[str, Any],
    purpose: str,
    formats: list[str],
    created_at: datetime,
    public_key: nacl.signing.VerifyKey,
) -> bytes:
    """The manifest of ``files`` (path -> content), as the exact bytes to sign and write."""
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": created_at.isoformat(timespec="seconds"),
        "target": dict(target),
        "purpose": purpose,
        "formats": formats,
        "files": [
            {"path": path, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
            for path, content in sorted(files.items())
        ],
        "public_key": export_key.public_text(public_key),
    }
    return (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def sign(manifest: bytes, key: nacl.signing.SigningKey) -> bytes:
    """The detached signature of ``manifest``."""
    return key.sign(manifest).signature


def verify(files: Mapping[str, bytes], public_key: nacl.signing.VerifyKey | None = None) -> Verified:
    """Check an export given as path -> content: the signature (with ``public_key``, else the key the
    manifest names, which proves integrity only, not origin), every digest, and that nothing is unlisted.
    Raises :class:`VerificationError` naming the first problem."""
    if MANIFEST not in files:
        raise VerificationError(f"missing file: {MANIFEST}")
    if SIGNATURE not in files:
        raise VerificationError(f"missing file: {SIGNATURE}")
    raw = files[MANIFEST]
    # With a known key the signature is checked first: an altered manifest is a bad signature, whatever
    # the alteration did to its syntax.
    if public_key is not None:
        _check_signature(public_key, raw, files[SIGNATURE])
    try:
        manifest = json.loads(raw.decode("utf-8"))
        named_key = export_key.parse_public(manifest["public_key"])
        listed = {entry["path"]: entry for entry in manifest["files"]}
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise VerificationError(f"{MANIFEST} is not a Sori export manifest") from exc
    key = public_key or named_key
    _check_signature(key, raw, files[SIGNATURE])
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise VerificationError(f"{MANIFEST} is not a Sori export manifest of version {VERSION}")
    for path, entry in sorted(listed.items()):
        if path not in files:
            raise VerificationError(f"missing file: {path}")
        if hashlib.sha256(files[path]).hexdigest() != entry.get("sha256"):
            raise VerificationError(f"digest mismatch: {path}")
    for path in sorted(files):
        if path not in listed and path not in (MANIFEST, SIGNATURE):
            raise VerificationError(f"unlisted file: {path}")
    return Verified(manifest, export_key.public_text(key))


def _check_signature(key: nacl.signing.VerifyKey, manifest: bytes, signature: bytes) -> None:
    try:
        key.verify(manifest, signature)
    except (nacl.exceptions.BadSignatureError, ValueError) as exc:
        raise VerificationError(f"bad signature: {MANIFEST} was altered or not signed by this key") from exc


def read_directory(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory``, by its path relative to it (``/``-separated)."""
    files = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() or path.is_symlink():
            files[str(PurePosixPath(*path.relative_to(directory).parts))] = path.read_bytes()
    return files
