"""Checking an envelope's framing as it arrives, without a key (FORMAT.md 2.2): a well-formed header and a
body of whole chunks of allowed lengths. The server runs it on every envelope it accepts, so that what it
stores can be read later; authenticity needs a key and is the reader's job (crypto/envelope.py)."""

from __future__ import annotations

import io

from crypto.envelope import (
    ABYTES,
    CHUNK,
    MAGIC,
    MAX_CIPHERTEXT,
    VERSION,
    EnvelopeHeader,
    Readable,
    Writable,
    header_length,
    read_header,
)
from crypto.errors import (
    MalformedEnvelope,
    NotAnEnvelope,
    SizeLimitExceeded,
    TruncatedEnvelope,
    UnsupportedVersion,
)


class FramingChecker:
    """Checks, as bytes arrive, what can be checked of an envelope without a key: a well-formed header and
    a body of whole chunks of allowed lengths. Authenticity needs a key and is the reader's job.

    Feed it every byte in order with :meth:`feed`, then call :meth:`finish`; both raise
    :class:`crypto.errors.EnvelopeError` or :class:`SizeLimitExceeded` as soon as a rule is broken."""

    def __init__(self) -> None:
        self.header: EnvelopeHeader | None = None
        self.size = 0
        self.chunks = 0
        self._head = bytearray()
        self._prefix = bytearray()
        self._remaining = 0

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Check the next bytes of the envelope."""
        view = memoryview(data).cast("B")
        self.size += len(view)
        while view:
            if self.header is None:
                view = self._feed_header(view)
            elif self._remaining:
                skipped = min(self._remaining, len(view))
                self._remaining -= skipped
                view = view[skipped:]
            else:
                taken = min(4 - len(self._prefix), len(view))
                self._prefix += view[:taken]
                view = view[taken:]
                if len(self._prefix) == 4:
                    length = int.from_bytes(self._prefix, "big")
                    if not ABYTES <= length <= MAX_CIPHERTEXT:
                        raise SizeLimitExceeded(f"a chunk length of {length} bytes is out of bounds")
                    self._prefix.clear()
                    self._remaining = length
                    self.chunks += 1

    def _feed_header(self, view: memoryview) -> memoryview:
        head = self._head
        target = len(MAGIC) + 2 if len(head) < len(MAGIC) + 2 else header_length(head[len(MAGIC) + 1])
        taken = min(target - len(head), len(view))
        head += view[:taken]
        if head[: len(MAGIC)] != MAGIC[: len(head)]:
            raise NotAnEnvelope("this is not a Sori envelope")
        if len(head) > len(MAGIC) and head[len(MAGIC)] != VERSION:
            raise UnsupportedVersion(head[len(MAGIC)])
        if len(head) > len(MAGIC) + 1 and head[len(MAGIC) + 1] == 0:
            raise MalformedEnvelope("the envelope has no recipient")
        if len(head) > len(MAGIC) + 1 and len(head) == header_length(head[len(MAGIC) + 1]):
            self.header = read_header(io.BytesIO(bytes(head)))
        return view[taken:]

    def finish(self) -> EnvelopeHeader:
        """The header, once the envelope is complete; raises :class:`TruncatedEnvelope` if it is not."""
        if len(self._head) < len(MAGIC):
            raise NotAnEnvelope("this is not a Sori envelope")
        # Every envelope has at least a metadata chunk and a last data chunk.
        if self.header is None or self._prefix or self._remaining or self.chunks < 2:
            raise TruncatedEnvelope("the envelope is incomplete")
        return self.header


def check_framing(stream: Readable, out: Writable | None = None) -> tuple[EnvelopeHeader, int]:
    """Check an envelope's framing (see :class:`FramingChecker`) from ``stream``, copying it to ``out``.

    Returns the header and the envelope's total size in bytes."""
    checker = FramingChecker()
    while piece := stream.read(CHUNK):
        checker.feed(piece)
        if out is not None:
            out.write(piece)
    return checker.finish(), checker.size
