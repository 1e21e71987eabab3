"""WebP: hidden metadata chunks blanked in place, so that the RIFF size written at the start stays true.

A stream cannot shrink a RIFF file without holding all of it, so nothing moves: the XMP chunk and any
unknown chunk become a ``JUNK`` chunk (which decoders skip) with a zeroed payload, and the VP8X flag that
announced XMP is cleared. The EXIF chunk that VP8X announces keeps its place and size but holds only a
minimal Exif with the orientation (1 when there was none), zero-padded, so that the flag stays true; an
EXIF chunk that VP8X did not announce, or a second one, becomes ``JUNK`` too. Kept: VP8X, VP8, VP8L,
ALPH, ANIM, ANMF, ICCP. Anything after the RIFF's end is dropped. At most 64 KiB are held. (Chromium
draws a WebP without looking at its Exif orientation; other viewers may look.)
"""

from __future__ import annotations

from collections.abc import Generator

from .reading import (
    WINDOW,
    Drop,
    Findings,
    Keep,
    Put,
    Request,
    Some,
    Steps,
    Unclean,
    Zero,
    drop_rest,
    is_blank,
    move,
    need,
    u32,
)
from .tags import XmpScanner, minimal_exif, read_exif

_KEPT = {b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF", b"ICCP"}
_EXIF_FLAG, _XMP_FLAG = 0x08, 0x04
_EXIF_SIZE = len(minimal_exif(1))


def clean_webp(findings: Findings) -> Steps:
    findings.kind = "webp"
    riff_end = 8 + u32((yield from need(12)), 4, little=True)
    if riff_end < 12:
        raise Unclean("a RIFF size below its header")
    yield from move(Keep(12))
    exif_announced = exif_written = False
    while findings.offset < riff_end:
        head = yield from need(8)
        kind, size = head[:4], u32(head, 4, little=True)
        end = findings.offset + 8 + size
        if end > riff_end:
            raise Unclean("a chunk runs past the end of the RIFF")
        padding = min(size & 1, riff_end - end)
        if kind == b"VP8X":
            if not 10 <= size <= 64:
                raise Unclean("a VP8X chunk of the wrong size")
            chunk = yield from need(8 + size + padding)
            exif_announced = bool(chunk[8] & _EXIF_FLAG)
            yield from move(Drop(len(chunk)))
            yield Put(chunk[:8] + bytes([chunk[8] & ~_XMP_FLAG]) + chunk[9:])
        elif kind in _KEPT:
            yield from move(Keep(8 + size + padding))
        elif kind == b"EXIF":
            block = (yield from need(8 + min(size, WINDOW)))[8:]
            categories, orientation = read_exif(block[6:] if block.startswith(b"Exif\x00\x00") else block)
            findings.found(categories)
            if exif_announced and not exif_written and size >= _EXIF_SIZE:
                exif_written = True
                yield from move(Keep(8))
                yield from move(Drop(_EXIF_SIZE))
                yield Put(minimal_exif(orientation))
                yield from move(Zero(size + padding - _EXIF_SIZE))
            else:
                yield from _junk(size, padding)
        elif kind == b"XMP ":
            scanner = XmpScanner()
            yield from _junk(size, padding, scanner)
            findings.found(scanner.categories())
        elif (yield from _junk(size, padding)):
            findings.found({"other"})
    if (yield from drop_rest()):
        findings.found({"other"})


def _junk(size: int, padding: int, scanner: XmpScanner | None = None) -> Generator[Request, object, bool]:
    """Turns the chunk at hand into a JUNK chunk with a zeroed payload, showing the payload to ``scanner``;
    answers whether the payload held anything but blanks."""
    yield from move(Drop(8))
    yield Put(b"JUNK" + size.to_bytes(4, "little"))
    left = size + padding
    something = False
    while left:
        data = yield Some(min(left, WINDOW))
        assert isinstance(data, bytes)
        if not data:
            raise Unclean("truncated")
        something = something or not is_blank(data)
        if scanner:
            scanner.feed(data)
        yield from move(Zero(len(data)))
        left -= len(data)
    return something
