"""PNG (and APNG): hidden metadata chunks removed, every chunk that renders the image kept with its CRC.

Removed: tEXt, zTXt and iTXt (author, software, comments, XMP, raw Exif and IPTC profiles), eXIf, tIME,
every other ancillary chunk not known to render (C2PA manifests, private chunks), and anything after IEND.
Kept: every critical chunk (IHDR, PLTE, IDAT, IEND and any unknown critical one) and the ancillary chunks
that change what is shown: transparency, colour, gamma, physical size, animation. An Exif orientation
other than 1 is written back as a minimal eXIf chunk where the first such eXIf was. At most a chunk's
first 64 KiB are held; chunk data is otherwise streamed.
"""

from __future__ import annotations

import zlib

from .reading import WINDOW, Drop, Findings, Keep, Put, Some, Steps, Unclean, drop_rest, move, need, u32
from .tags import PNG_KEYWORDS, XmpScanner, minimal_exif, read_exif

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_RENDERING = {
    b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"cICP", b"mDCV", b"cLLI", b"sBIT", b"pHYs", b"bKGD",
    b"hIST", b"sPLT", b"acTL", b"fcTL", b"fdAT", b"sCAL", b"oFFs", b"pCAL", b"sTER",
}  # fmt: skip
_TEXT = {b"tEXt", b"zTXt", b"iTXt"}
_XMP_KEYWORD = b"XML:com.adobe.xmp"


def clean_png(findings: Findings) -> Steps:
    findings.kind = "png"
    yield from move(Keep(len(SIGNATURE)))
    orientation_written = False
    while True:
        head = yield from need(8)
        length, kind = u32(head, 0), head[4:8]
        if length > 0x7FFFFFFF or not kind.isalpha():
            raise Unclean("not a PNG chunk")
        size = 12 + length
        if kind == b"IEND":
            yield from move(Keep(size))
            if (yield from drop_rest()):
                findings.found({"other"})
            return
        if kind[0] < 0x61 or kind in _RENDERING:
            yield from move(Keep(size))
        elif kind == b"eXIf":
            block = yield from need(8 + min(length, WINDOW))
            categories, orientation = read_exif(block[8:])
            findings.found(categories)
            yield from move(Drop(size))
            if orientation != 1 and not orientation_written:
                yield Put(_chunk(b"eXIf", minimal_exif(orientation)))
                orientation_written = True
        elif kind in _TEXT:
            block = yield from need(8 + min(length, 80))
            keyword = block[8:].partition(b"\x00")[0]
            if keyword == _XMP_KEYWORD:
                scanner = XmpScanner()
                yield from _drop_scanned(size, scanner)
                findings.found(scanner.categories())
            else:
                findings.found({PNG_KEYWORDS.get(keyword, "other")})
                yield from move(Drop(size))
        else:
            findings.found({"time"} if kind == b"tIME" else {"other"})
            yield from move(Drop(size))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


def _drop_scanned(size: int, scanner: XmpScanner) -> Steps:
    """Drops ``size`` bytes, showing them to ``scanner`` on the way."""
    while size:
        data = yield Some(min(size, WINDOW))
        assert isinstance(data, bytes)
        if not data:
            raise Unclean("truncated")
        scanner.feed(data)
        yield from move(Drop(len(data)))
        size -= len(data)
