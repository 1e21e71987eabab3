"""An export bundle: every file of a dossier in the chosen formats, plus the signed manifest, built in memory
(path -> bytes) and then written to a new folder (``sori export dossier -o DIR``), zipped (the web page), or
sealed in one envelope to a case team's public key so that it can travel by e-mail or USB and be opened
with ``sori decrypt -o FOLDER`` into the same files.

Paths are flat file names (``dossier-ko.pdf``, ``entities.ftm.json``, ``persons.csv`` …, ``manifest.json``,
``manifest.sig``): ``sori decrypt`` writes an envelope's parts by plain file name, and the manifest must
still match after the trip.

:func:`export` is the one entry point of the web page and the command: it builds the dossier and the bundle
and writes ``export.dossier`` to the audit trail (target, purpose, formats, languages, manifest digest).
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import nacl.signing
from flask import current_app
from sqlalchemy.orm import Session

from core import audit, export_key
from crypto.envelope import encrypt_parts
from crypto.keys import PublicKey
from reviewer.exports import csv_export, ftm, signing
from reviewer.exports.dossier import build
from reviewer.exports.model import Dossier
from reviewer.models import User

FORMATS = ("pdf", "ftm", "csv")
#: PDF languages: Korean, English, or both side by side in one file.
LANGUAGES = ("ko", "en", "both")
FTM_FILE = "entities.ftm.json"
#: Told after each step: a short name of what was just done (``dossier``, a file name, ``manifest``).
Progress = Callable[[str], None]


class BundleError(ValueError):
    """An export that cannot be made: unknown format or language, no export key, a folder not empty."""


@dataclass(frozen=True)
class Bundle:
    """Every file of an export, manifest and signature included, and the manifest's SHA-256."""

    files: dict[str, bytes]
    manifest_digest: str


def steps(formats: Sequence[str], languages: Sequence[str]) -> int:
    """How many times :func:`export` reports progress (for a progress bar's length)."""
    return 2 + ("pdf" in formats) * len(languages) + ("ftm" in formats) + ("csv" in formats)


def signing_key() -> nacl.signing.SigningKey:
    """This instance's export key; :class:`BundleError` when ``sori init`` has not made one."""
    key = export_key.load(Path(current_app.config["SORI_DATA_DIR"]))
    if key is None:
        raise BundleError("no export signing key: run `sori init` to create it")
    return key


def render_files(
    dossier: Dossier, formats: Sequence[str], languages: Sequence[str], progress: Progress | None = None
) -> dict[str, bytes]:
    """The dossier's files in ``formats`` (PDF once per language), without the manifest."""
    _check(formats, languages)
    files: dict[str, bytes] = {}
    if "pdf" in formats:
        from reviewer.exports import pdf  # reportlab and its fonts load only when a PDF is asked for

        for lang in languages:
            name = "dossier-ko-en.pdf" if lang == "both" else f"dossier-{lang}.pdf"
            files[name] = pdf.render(dossier, lang)
            _tell(progress, name)
    if "ftm" in formats:
        files[FTM_FILE] = ftm.render(dossier)
        _tell(progress, FTM_FILE)
    if "csv" in formats:
        files.update(csv_export.render(dossier))
        files.update(csv_export.attachment_zip(dossier, files))
        _tell(progress, "csv")
    return files


def make(
    dossier: Dossier,
    formats: Sequence[str],
    languages: Sequence[str],
    key: nacl.signing.SigningKey,
    progress: Progress | None = None,
) -> Bundle:
    """The files of :func:`render_files` with their signed manifest."""
    files = render_files(dossier, formats, languages, progress)
    target = {"kind": dossier.target.kind, "id": dossier.target.id, "caption": dossier.target.caption}
    manifest = signing.manifest_bytes(
        files,
        target=target,
        purpose=dossier.purpose,
        formats=[f for f in FORMATS if f in formats],
        created_at=dossier.created_at,
        public_key=key.verify_key,
    )
    files[signing.MANIFEST] = manifest
    files[signing.SIGNATURE] = signing.sign(manifest, key)
    _tell(progress, "manifest")
    return Bundle(files, hashlib.sha256(manifest).hexdigest())


def export(
    session: Session,
    kind: str,
    target_id: int,
    purpose: str,
    formats: Sequence[str],
    languages: Sequence[str],
    actor: User,
    *,
    key: nacl.signing.SigningKey | None = None,
    progress: Progress | None = None,
) -> Bundle:
    """Build the dossier and its bundle as ``actor``, and record ``export.dossier`` in the audit trail
    (committed here, so that no export leaves without its entry). ``key`` defaults to the instance's.
    Raises :class:`BundleError` or reviewer.exports.dossier.DossierError."""
    _check(formats, languages)
    key = key or signing_key()
    dossier = build(session, kind, target_id, purpose, actor_login=actor.login)
    _tell(progress, "dossier")
    bundle = make(dossier, formats, languages, key, progress)
    audit.record(
        session,
        actor,
        "export.dossier",
        f"{kind}:{target_id}",
        purpose=purpose,
        formats=[f for f in FORMATS if f in formats],
        languages=list(languages) if "pdf" in formats else [],
        manifest_sha256=bundle.manifest_digest,
        sources_included=dossier.sources_included,
        sources_excluded=dossier.sources_excluded,
    )
    session.commit()
    return bundle


def write_directory(bundle: Bundle, directory: Path) -> None:
    """Write the bundle into ``directory``, which must be missing or empty (nothing is overwritten)."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BundleError(
            f"{directory} is not an empty folder; choose a new one so that nothing is overwritten"
        )
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in bundle.files.items():
        fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(content)


def to_zip(bundle: Bundle) -> bytes:
    """The bundle as a zip archive (fixed timestamps, so the same bundle gives the same bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(bundle.files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o600 << 16
            archive.writestr(info, bundle.files[name], compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def seal(bundle: Bundle, recipients: Sequence[PublicKey]) -> bytes:
    """The bundle sealed in one envelope to ``recipients``, a part per file (``sori decrypt -o FOLDER``)."""
    out = io.BytesIO()
    parts = [(name, _media_type(name), content) for name, content in sorted(bundle.files.items())]
    encrypt_parts(out, recipients, parts)
    return out.getvalue()


def _media_type(name: str) -> str:
    if name.endswith(".pdf"):
        return "application/pdf"
    if name.endswith(".csv"):
        return "text/csv"
    if name.endswith(".json"):
        return "application/json"
    if name.endswith(".zip"):
        return "application/zip"
    return "application/octet-stream"


def _check(formats: Sequence[str], languages: Sequence[str]) -> None:
    unknown = [f for f in formats if f not in FORMATS] + [lang for lang in languages if lang not in LANGUAGES]
    if unknown:
        raise BundleError(f"unknown format or language: {', '.join(unknown)}")
    if not formats:
        raise BundleError("choose at least one format")
    if "pdf" in formats and not languages:
        raise BundleError("choose at least one language for the PDF")


def _tell(progress: Progress | None, step: str) -> None:
    if progress is not None:
        progress(step)
