"""Envelopes uploaded in pieces by the source's browser, resumable over slow and broken Tor connections.

An upload lives in the blob store (core/blobstore.py): a file in ``blobs/tmp`` of this host with the file
backend, a row and its chunks in the shared database with the database backend, so that with several app
hosts any host can take the next piece and any host can finish. Pieces are appended at the offset the
browser names, each whole or not at all; a piece sent twice after a dropped answer is recognised. At the
end the whole upload is checked (crypto.envelope.FramingChecker) before it may become a blob.

Anyone can start uploads, and each announces up to the size limit, so the number open at once is capped
for the whole installation (all processes and hosts share the blob store): ``SORI_OPEN_UPLOADS``, 200 by
default, after which a new upload is refused with a translated "try again in a minute" until one ends.
An upload untouched for :data:`ABANDONED_AFTER` is abandoned (the browser resumes within minutes, and a
closed page never comes back for it): every new upload first removes such uploads, so they go after hours
even between the daily ``sori check --clean-stale``. The count is taken before the new upload is made, so
uploads starting at the same instant in several processes may pass the cap by as many.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from core import blobstore
from core.blobstore import BlobStore, PendingBlob
from crypto.envelope import EnvelopeHeader
from crypto.errors import CryptoError
from crypto.framing import check_framing

#: The largest piece one request may carry: small enough to retry cheaply over Tor.
PIECE_BYTES = 8 * 1024 * 1024
#: An upload in pieces untouched this long (in seconds) is abandoned and removed.
ABANDONED_AFTER = 3 * 3600


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
    return store.start_upload(size)


def append(store: BlobStore, upload_id: str, offset: int, body: BinaryIO) -> int:
    """Add the piece ``body`` at byte ``offset``; returns how many bytes the upload now holds."""
    with _translated():
        return store.append_upload(upload_id, offset, body, PIECE_BYTES)


def finish(store: BlobStore, upload_id: str) -> tuple[PendingBlob, EnvelopeHeader, int]:
    """Check a complete upload; returns it ready to be committed as a blob, its envelope header and its
    size. The upload stays where it is until the caller commits it."""
    with _translated():
        envelope, size, announced = store.read_upload(upload_id)
    with envelope:
        if size != announced:
            raise BadEnvelope(f"the upload holds {size} of {announced} bytes")
        try:
            header, checked = check_framing(envelope)
        except CryptoError as exc:
            raise BadEnvelope(f"not a well-formed envelope ({exc.code})") from exc
        except OSError as exc:  # the upload was removed while it was read
            raise UnknownUpload("no such upload") from exc
    with _translated():
        return store.adopt(upload_id), header, checked


def open_uploads(store: BlobStore) -> int:
    """How many uploads are open, after removing those untouched for :data:`ABANDONED_AFTER`."""
    count = 0
    for leftover in store.leftovers():
        if not leftover.upload:
            continue
        if leftover.age >= ABANDONED_AFTER:
            store.discard(leftover)
            continue
        count += 1
    return count


def discard(store: BlobStore, upload_id: str) -> None:
    """Remove an upload, if it is still there."""
    with _translated():
        store.discard_upload(upload_id)


@contextmanager
def _translated() -> Iterator[None]:
    """The blob store's errors as what the browser is told."""
    try:
        yield
    except blobstore.UnknownBlob:
        raise UnknownUpload("no such upload") from None
    except blobstore.OffsetMismatch as exc:
        raise OffsetMismatch(exc.received) from None
    except blobstore.TooLarge as exc:
        raise UploadTooLarge(str(exc)) from None
