"""Envelopes uploaded in pieces by the source's browser, resumable over slow and broken Tor connections.

An upload is one file in the blob store's ``tmp/`` named ``upload-<id>-<announced size>``: state lives in
the file system only, so any worker process can take the next piece. Pieces are appended under an
exclusive lock at the offset the browser names; a piece sent twice after a dropped answer is recognised.
At the end the whole file is checked (crypto.envelope.FramingChecker) before it may become a blob.

Anyone can start uploads, and each announces up to the size limit, so the number open at once is capped
for the whole installation (all processes and hosts share the blob store): ``SORI_OPEN_UPLOADS``, 200 by
default, after which a new upload is refused with a translated "try again in a minute" until one ends.
An upload untouched for :data:`ABANDONED_AFTER` is abandoned (the browser resumes within minutes, and a
closed page never comes back for it): every new upload first removes such files, so they go after hours
even between the daily ``sori check --clean-stale``. The count is taken before the new file is made, so
uploads starting at the same instant in several processes may pass the cap by as many.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from core.blobstore import BlobStore
from crypto.envelope import EnvelopeHeader
from crypto.errors import CryptoError
from crypto.framing import check_framing

#: The largest piece one request may carry: small enough to retry cheaply over Tor.
PIECE_BYTES = 8 * 1024 * 1024
_COPY_BYTES = 64 * 1024
#: An upload in pieces untouched this long (in seconds) is abandoned and removed.
ABANDONED_AFTER = 3 * 3600
_UPLOAD_NAME = re.compile(r"upload-([0-9a-f]{32})-([0-9]{1,15})")


class UploadError(Exception):
    """Root of the upload errors; ``code`` is what the browser is told (docs/source-intake.md)."""

    code = "upload_error"


class UnknownUpload(UploadError):
    """No unfinished upload has this id (never made, finished already, or cleaned up)."""

    code = "unknown_upload"


class OffsetMismatch(UploadError):
    """The piece does not start where the upload stands; ``received`` says where to resume."""

    code = "offset"

    def __init__(self, received: int) -> None:
        super().__init__(f"the upload holds {received} bytes")
        self.received = received


class UploadTooLarge(UploadError):
    """The envelope or the piece is larger than allowed or than announced."""

    code = "too_large"


class TooManyUploads(UploadError):
    """As many uploads are open as the installation allows: try again when one has ended."""

    code = "uploads_full"


class BadEnvelope(UploadError):
    """The uploaded bytes are incomplete or are not a well-formed envelope."""

    code = "bad_envelope"


def start(store: BlobStore, size: int, max_bytes: int, max_open: int) -> str:
    """Begin an upload of an envelope of exactly ``size`` bytes; returns its id. Raises
    :class:`TooManyUploads` when ``max_open`` uploads are open (abandoned ones removed first)."""
    if size <= 0:
        raise BadEnvelope("an envelope is never empty")
    if size > max_bytes:
        raise UploadTooLarge(f"{size} bytes is over the limit of {max_bytes}")
    if open_uploads(store) >= max_open:
        raise TooManyUploads(f"{max_open} uploads are open")
    upload_id = secrets.token_hex(16)
    fd = os.open(_path(store, upload_id, size), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    return upload_id


def append(store: BlobStore, upload_id: str, offset: int, body: BinaryIO) -> int:
    """Add the piece ``body`` at byte ``offset``; returns how many bytes the upload now holds."""
    with _locked(store, upload_id) as (file, announced):
        received = os.fstat(file.fileno()).st_size
        if offset != received:
            # A piece the server already has (its answer was lost on the way) is not an error to retry.
            raise OffsetMismatch(received)
        written = 0
        try:
            while piece := body.read(_COPY_BYTES):
                written += len(piece)
                if written > PIECE_BYTES or received + written > announced:
                    raise UploadTooLarge("the piece goes past the limit or the announced size")
                file.write(piece)
            file.flush()
        except BaseException:
            # Never keep half a piece: the browser resends the whole of it.
            file.truncate(received)
            raise
        return received + written


def finish(store: BlobStore, upload_id: str) -> tuple[Path, EnvelopeHeader, int]:
    """Check a complete upload; returns its file, its envelope header and its size.

    The file stays where it is until the caller commits it into the blob store."""
    with _locked(store, upload_id) as (file, announced):
        size = os.fstat(file.fileno()).st_size
        if size != announced:
            raise BadEnvelope(f"the upload holds {size} of {announced} bytes")
        with open(file.name, "rb") as envelope:
            try:
                header, checked = check_framing(envelope)
            except CryptoError as exc:
                raise BadEnvelope(f"not a well-formed envelope ({exc.code})") from exc
        return Path(file.name), header, checked


def open_uploads(store: BlobStore) -> int:
    """How many uploads are open, after removing those untouched for :data:`ABANDONED_AFTER`."""
    cutoff = time.time() - ABANDONED_AFTER
    count = 0
    for path in store.tmp.glob("upload-*"):
        try:
            if path.stat().st_mtime <= cutoff:
                path.unlink()
                continue
        except FileNotFoundError:
            continue  # finished or removed meanwhile
        count += 1
    return count


def discard(store: BlobStore, upload_id: str) -> None:
    """Remove an upload's file, if it is still there."""
    for path in _candidates(store, upload_id):
        path.unlink(missing_ok=True)


def _path(store: BlobStore, upload_id: str, size: int) -> Path:
    return store.tmp / f"upload-{upload_id}-{size}"


def _candidates(store: BlobStore, upload_id: str) -> list[Path]:
    if re.fullmatch(r"[0-9a-f]{32}", upload_id) is None:
        return []
    return [p for p in store.tmp.glob(f"upload-{upload_id}-*") if _UPLOAD_NAME.fullmatch(p.name)]


@contextmanager
def _locked(store: BlobStore, upload_id: str) -> Iterator[tuple[BinaryIO, int]]:
    """The upload's file open for appending under an exclusive lock, and its announced size."""
    candidates = _candidates(store, upload_id)
    if len(candidates) != 1:
        raise UnknownUpload("no such upload")
    path = candidates[0]
    match = _UPLOAD_NAME.fullmatch(path.name)
    assert match is not None  # _candidates only returns matching names
    try:
        file = path.open("r+b")
    except FileNotFoundError:
        raise UnknownUpload("no such upload") from None
    with file:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX)
        if not path.exists():  # finished by another worker while this one waited for the lock
            raise UnknownUpload("no such upload")
        file.seek(0, os.SEEK_END)
        yield file, int(match.group(2))
