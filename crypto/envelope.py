"""Writing and reading envelopes (FORMAT.md section 2): sealed to recipients, streamed in 64 KiB chunks.

Both directions work on file-like objects in constant memory, whatever the size of the parts. A reader
releases plaintext only as it is authenticated, and an envelope counts as read only once its iterator is
exhausted: that is when truncation and trailing data are ruled out.

Writing and reading stay in one module (about 400 lines) so that each rule of the format is checked where
the other direction produces it; the framing check alone is in crypto/framing.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import nacl.bindings as sodium
import nacl.exceptions

from crypto.errors import (
    MalformedEnvelope,
    NoMatchingKey,
    NotAnEnvelope,
    SizeLimitExceeded,
    TamperedEnvelope,
    TrailingData,
    TruncatedEnvelope,
    UnsupportedVersion,
)
from crypto.keys import KEY_ID_BYTES, Identity, PublicKey

MAGIC = b"SORI-ENV"
VERSION = 1
CHUNK = 65536
ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
MAX_CIPHERTEXT = CHUNK + ABYTES
META_MAX = 4096
NAME_MAX = 255
MAX_RECIPIENTS = 255
FILE_KEY_BYTES = sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES
SEALED_KEY_BYTES = FILE_KEY_BYTES + sodium.crypto_box_SEALBYTES
STANZA_BYTES = KEY_ID_BYTES + SEALED_KEY_BYTES
STREAM_HEADER_BYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES

TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
TAG_PUSH = sodium.crypto_secretstream_xchacha20poly1305_TAG_PUSH
TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL

DEFAULT_TYPE = "application/octet-stream"


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


def header_length(recipient_count: int) -> int:
    """Bytes taken by the header of an envelope with ``recipient_count`` stanzas."""
    return len(MAGIC) + 2 + STANZA_BYTES * recipient_count + STREAM_HEADER_BYTES


@dataclass(frozen=True)
class EnvelopeHeader:
    """What anyone can read of an envelope without a key: its version and whom it is sealed to."""

    version: int
    key_ids: tuple[bytes, ...]
    sealed_keys: tuple[bytes, ...] = field(repr=False)
    stream_header: bytes = field(repr=False)
    raw: bytes = field(repr=False)

    def open_file_key(self, identity: Identity) -> bytes:
        """The envelope's file key, unsealed with ``identity``; raises :class:`NoMatchingKey` or
        :class:`TamperedEnvelope`."""
        own_id = identity.public_key.key_id
        candidates = [
            sealed for key_id, sealed in zip(self.key_ids, self.sealed_keys, strict=True) if key_id == own_id
        ]
        if not candidates:
            raise NoMatchingKey("this envelope is not addressed to this identity")
        for sealed in candidates:
            try:
                return sodium.crypto_box_seal_open(sealed, identity.public_key.raw, identity.secret_key)
            except nacl.exceptions.CryptoError:
                continue
        raise TamperedEnvelope("the key addressed to this identity does not open: it was altered")


def read_exact(stream: Readable, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of the stream (streams may return short reads)."""
    data = stream.read(size)
    if len(data) == size or not data:
        return data
    pieces = [data]
    remaining = size - len(data)
    while remaining:
        piece = stream.read(remaining)
        if not piece:
            break
        pieces.append(piece)
        remaining -= len(piece)
    return b"".join(pieces)


def read_header(stream: Readable) -> EnvelopeHeader:
    """Read and check an envelope's header (FORMAT.md 2.4, steps 1 to 4), leaving ``stream`` at the body."""
    magic = read_exact(stream, len(MAGIC))
    if magic != MAGIC:
        raise NotAnEnvelope("this is not a Sori envelope")
    fixed = read_exact(stream, 2)
    if len(fixed) < 2:
        raise TruncatedEnvelope("the envelope ends inside its header")
    version, count = fixed[0], fixed[1]
    if version != VERSION:
        raise UnsupportedVersion(version)
    if count == 0:
        raise MalformedEnvelope("the envelope has no recipient")
    rest = read_exact(stream, STANZA_BYTES * count + STREAM_HEADER_BYTES)
    if len(rest) < STANZA_BYTES * count + STREAM_HEADER_BYTES:
        raise TruncatedEnvelope("the envelope ends inside its header")
    stanzas = [rest[i * STANZA_BYTES : (i + 1) * STANZA_BYTES] for i in range(count)]
    return EnvelopeHeader(
        version=version,
        key_ids=tuple(s[:KEY_ID_BYTES] for s in stanzas),
        sealed_keys=tuple(s[KEY_ID_BYTES:] for s in stanzas),
        stream_header=rest[-STREAM_HEADER_BYTES:],
        raw=magic + fixed + rest,
    )


class EnvelopeWriter:
    """Writes one envelope to ``out``: call :meth:`begin_part`, then :meth:`write` its bytes, for each part,
    then :meth:`close`. Memory stays at one chunk whatever the sizes."""

    def __init__(self, out: Writable, recipients: Sequence[PublicKey]) -> None:
        unique = list(dict.fromkeys(recipients))
        if not unique:
            raise ValueError("an envelope needs at least one recipient")
        if len(unique) > MAX_RECIPIENTS:
            raise ValueError(f"an envelope has at most {MAX_RECIPIENTS} recipients")
        self.file_key = sodium.crypto_secretstream_xchacha20poly1305_keygen()
        self._out = out
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        stream_header = sodium.crypto_secretstream_xchacha20poly1305_init_push(self._state, self.file_key)
        stanzas = b"".join(key.key_id + sodium.crypto_box_seal(self.file_key, key.raw) for key in unique)
        self.header = MAGIC + bytes([VERSION, len(unique)]) + stanzas + stream_header
        out.write(self.header)
        self._first_ad: bytes | None = self.header
        self._buffer = bytearray()
        self._held: bytes | None = None
        self._in_part = False
        self._closed = False
        self.bytes_written = len(self.header)

    def __enter__(self) -> EnvelopeWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        # On error the output is incomplete by design (no FINAL chunk), so readers reject it.
        if exc_type is None:
            self.close()

    def begin_part(self, name: str, type: str = DEFAULT_TYPE) -> None:
        """End the current part, if any, and start a part called ``name`` of media type ``type``."""
        self._check_open()
        for label, value in (("name", name), ("type", type)):
            if not isinstance(value, str) or not 1 <= len(value) <= NAME_MAX:
                raise ValueError(f"a part's {label} is text of 1 to {NAME_MAX} characters")
        meta = json.dumps({"name": name, "type": type}, ensure_ascii=False).encode("utf-8")
        if len(meta) > META_MAX:
            raise ValueError("the part's name and type are too long")
        if self._in_part:
            self._end_part(TAG_PUSH)
        self._push(meta, TAG_MESSAGE)
        self._in_part = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Add ``data`` to the current part."""
        self._check_open()
        if not self._in_part:
            raise ValueError("begin a part before writing")
        view = memoryview(data).cast("B")
        if not view:
            return
        # The last piece of a part (1 to CHUNK bytes) stays in hand, as _held when full or else in
        # _buffer: only the next write, the next part or close() knows which tag it gets.
        if self._held is not None:
            self._push(self._held, TAG_MESSAGE)
            self._held = None
        if self._buffer:
            take = min(CHUNK - len(self._buffer), len(view))
            self._buffer += view[:take]
            view = view[take:]
            if len(self._buffer) < CHUNK:
                return
            full = bytes(self._buffer)
            self._buffer.clear()
            if not view:
                self._held = full
                return
            self._push(full, TAG_MESSAGE)
        while len(view) > CHUNK:
            self._push(bytes(view[:CHUNK]), TAG_MESSAGE)
            view = view[CHUNK:]
        if len(view) == CHUNK:
            # Writers that feed whole chunks (write_from) pay no copy here.
            self._held = data if isinstance(data, bytes) and len(data) == CHUNK else bytes(view)
        else:
            self._buffer += view

    def write_from(self, stream: Readable) -> int:
        """Copy ``stream`` to its end into the current part; returns the number of bytes copied."""
        total = 0
        while piece := stream.read(CHUNK):
            self.write(piece)
            total += len(piece)
        return total

    def close(self) -> None:
        """Write the last part's end with the FINAL tag. The envelope is complete only after this."""
        if self._closed:
            return
        if not self._in_part:
            raise ValueError("an envelope has at least one part")
        self._end_part(TAG_FINAL)
        self._closed = True

    def _end_part(self, tag: int) -> None:
        last = self._held if self._held is not None else bytes(self._buffer)
        self._held = None
        self._buffer.clear()
        self._push(last, tag)

    def _push(self, plaintext: bytes, tag: int) -> None:
        ciphertext = sodium.crypto_secretstream_xchacha20poly1305_push(
            self._state, plaintext, self._first_ad, tag
        )
        self._first_ad = None
        self._out.write(len(ciphertext).to_bytes(4, "big"))
        self._out.write(ciphertext)
        self.bytes_written += 4 + len(ciphertext)

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError("the envelope is already closed")


@dataclass(frozen=True)
class PartInfo:
    """A part's metadata as its writer gave it."""

    index: int
    name: str
    type: str


class Part:
    """One part being read: iterate over it for its plaintext, chunk by chunk, in order."""

    def __init__(self, info: PartInfo, chunks: Iterator[bytes]) -> None:
        self.info = info
        self.name = info.name
        self.type = info.type
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks

    def read_all(self) -> bytes:
        """The whole part in memory: for small parts such as the answers of a questionnaire."""
        return b"".join(self._chunks)


class EnvelopeReader:
    """Reads one envelope from ``stream`` with an ``identity`` or a known ``file_key``.

    Iterate over the reader for its parts and over each part for its bytes; a part that is skipped is
    still read and authenticated. Every failure is a :class:`crypto.errors.CryptoError`."""

    def __init__(
        self,
        stream: Readable,
        *,
        identity: Identity | None = None,
        file_key: bytes | None = None,
        max_plaintext: int | None = None,
    ) -> None:
        if (identity is None) == (file_key is None):
            raise ValueError("open an envelope with either an identity or a file key")
        self._stream = stream
        self.header = read_header(stream)
        self.file_key = self.header.open_file_key(identity) if identity is not None else file_key
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        try:
            sodium.crypto_secretstream_xchacha20poly1305_init_pull(
                self._state, self.header.stream_header, self.file_key
            )
        except nacl.exceptions.CryptoError as exc:
            raise TamperedEnvelope("the envelope's stream header does not open") from exc
        self._max_plaintext = max_plaintext
        self.plaintext_size = 0
        self._started = False
        self._pulled_any = False
        self._last_tag: int | None = None

    def __iter__(self) -> Iterator[Part]:
        if self._started:
            raise ValueError("an envelope reader can be iterated once")
        self._started = True
        return self._parts()

    def _parts(self) -> Iterator[Part]:
        index = 0
        final = False
        while not final:
            info = self._read_meta(index)
            part_chunks = self._part_data()
            part = Part(info, part_chunks)
            yield part
            for _ in part_chunks:  # drain what the caller did not read, authenticating it
                pass
            final = self._last_tag == TAG_FINAL
            index += 1

    def _read_meta(self, index: int) -> PartInfo:
        plaintext, tag = self._pull()
        if tag != TAG_MESSAGE:
            raise MalformedEnvelope("a part must begin with its metadata")
        if len(plaintext) > META_MAX:
            raise SizeLimitExceeded("a part's metadata is too long")
        try:
            meta = json.loads(plaintext.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise MalformedEnvelope("a part's metadata is not JSON text") from exc
        if not isinstance(meta, dict):
            raise MalformedEnvelope("a part's metadata is not a JSON object")
        for key in ("name", "type"):
            value = meta.get(key)
            if not isinstance(value, str) or not 1 <= len(value) <= NAME_MAX:
                raise MalformedEnvelope(f"a part's {key} is missing or invalid")
        return PartInfo(index=index, name=meta["name"], type=meta["type"])

    def _part_data(self) -> Iterator[bytes]:
        pieces = 0
        while True:
            plaintext, tag = self._pull()
            if tag == TAG_MESSAGE:
                if len(plaintext) != CHUNK:
                    raise MalformedEnvelope("a data chunk before a part's last is not full")
            elif not plaintext and pieces:
                raise MalformedEnvelope("a part ends with an empty chunk after data")
            pieces += 1
            self.plaintext_size += len(plaintext)
            if self._max_plaintext is not None and self.plaintext_size > self._max_plaintext:
                raise SizeLimitExceeded("the envelope holds more than the allowed size")
            if tag == TAG_FINAL and self._stream.read(1):
                raise TrailingData("bytes follow the end of the envelope")
            if plaintext:
                yield plaintext
            if tag != TAG_MESSAGE:
                self._last_tag = tag
                return

    def _pull(self) -> tuple[bytes, int]:
        prefix = read_exact(self._stream, 4)
        if len(prefix) < 4:
            raise TruncatedEnvelope("the envelope ends before its final chunk")
        length = int.from_bytes(prefix, "big")
        if not ABYTES <= length <= MAX_CIPHERTEXT:
            raise SizeLimitExceeded(f"a chunk length of {length} bytes is out of bounds")
        ciphertext = read_exact(self._stream, length)
        if len(ciphertext) < length:
            raise TruncatedEnvelope("the envelope ends inside a chunk")
        ad = self.header.raw if not self._pulled_any else None
        try:
            plaintext, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(self._state, ciphertext, ad)
        except nacl.exceptions.CryptoError as exc:
            raise TamperedEnvelope("the envelope was altered, reordered or cut") from exc
        self._pulled_any = True
        if tag not in (TAG_MESSAGE, TAG_PUSH, TAG_FINAL):
            raise MalformedEnvelope(f"a chunk carries the unexpected tag {tag}")
        return plaintext, tag


def encrypt_parts(
    out: Writable,
    recipients: Sequence[PublicKey],
    parts: Iterable[tuple[str, str, bytes | Readable]],
) -> EnvelopeWriter:
    """Write a whole envelope of ``(name, type, bytes or readable)`` parts to ``out``; returns the writer."""
    writer = EnvelopeWriter(out, recipients)
    for name, media_type, content in parts:
        writer.begin_part(name, media_type)
        if isinstance(content, (bytes, bytearray, memoryview)):
            writer.write(content)
        else:
            writer.write_from(content)
    writer.close()
    return writer


def decrypt_all(
    stream: Readable, identity: Identity, max_plaintext: int | None = None
) -> list[tuple[PartInfo, bytes]]:
    """Every part of a small envelope, in memory; for tests and small answers, not for attachments."""
    reader = EnvelopeReader(stream, identity=identity, max_plaintext=max_plaintext)
    return [(part.info, part.read_all()) for part in reader]
