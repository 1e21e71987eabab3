"""JPEG: hidden metadata segments removed, the compressed image kept byte for byte.

Removed: APP1 Exif (GPS, camera, dates, maker notes, the embedded thumbnail), APP1 XMP and extended XMP,
APP13 Photoshop/IPTC, COM comments, every other APPn segment, a JFIF thumbnail, and anything after the
end of the image (phones append preview or depth images there, each with its own Exif, or a video).
Kept: APP0 JFIF (without its thumbnail), APP2 ICC_PROFILE (colour, not identity), APP14 Adobe (how the
colours are coded), and every segment that decodes the image; an Exif orientation other than 1 is
written back as a minimal Exif APP1 where the first such Exif was. Segments are read one at a time: at
most one segment (64 KiB) is held.
"""

from __future__ import annotations

import re

from .reading import (
    WINDOW,
    Drop,
    Findings,
    Keep,
    Need,
    Put,
    Some,
    Steps,
    Unclean,
    at_least,
    drop_rest,
    is_blank,
    move,
    need,
    u16,
)
from .tags import XmpScanner, minimal_exif, read_exif, read_photoshop

SOI, EOI, SOS, COM = 0xD8, 0xD9, 0xDA, 0xFE
_APP0, _APP1, _APP2, _APP13, _APP14, _APP15 = 0xE0, 0xE1, 0xE2, 0xED, 0xEE, 0xEF
_XMP = (b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp/extension/\x00")
#: A marker inside entropy-coded data: 0xFF followed by neither a stuffed zero, a restart nor a fill byte.
_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def clean_jpeg(findings: Findings) -> Steps:
    findings.kind = "jpeg"
    yield from move(Keep(2))
    orientation_written = False
    while True:
        head = yield Need(2)
        assert isinstance(head, bytes)
        if len(head) < 2:
            raise Unclean("truncated")
        if head[0] != 0xFF:
            raise Unclean("a marker was expected")
        marker = head[1]
        if marker == 0xFF:
            # Fill bytes before a marker: keep all but the last, which starts the marker (the first of
            # the two seen is a fill byte, however few bytes Some answers).
            run = yield Some(WINDOW)
            assert isinstance(run, bytes)
            yield from move(Keep(max(len(run) - len(run.lstrip(b"\xff")) - 1, 1)))
        elif marker == EOI:
            yield from move(Keep(2))
            after = yield Need(2)
            if (yield from drop_rest()):
                findings.found({"thumbnail"} if after == b"\xff\xd8" else {"other"})
            return
        elif 0xD0 <= marker <= 0xD7 or marker == 0x01:
            yield from move(Keep(2))
        elif marker == SOI:
            raise Unclean("a second start of image")
        else:
            length = u16((yield from need(4)), 2)
            if length < 2:
                raise Unclean("a segment length below 2")
            if _APP0 <= marker <= _APP15 or marker == COM:
                segment = yield from need(2 + length)
                if marker == _APP1 and segment[4:9] == b"Exif\x00":
                    categories, orientation = read_exif(segment[10:])
                    findings.found(categories)
                    kept = b"" if orientation_written or orientation == 1 else _exif_segment(orientation)
                    orientation_written |= bool(kept)
                else:
                    kept = _metadata_segment(marker, segment, findings)
                if kept == segment:
                    yield from move(Keep(len(segment)))
                else:
                    yield from move(Drop(len(segment)))
                    if kept:
                        yield Put(kept)
            else:
                yield from move(Keep(2 + length))
                if marker == SOS:
                    yield from _entropy_coded_data()


def _exif_segment(orientation: int) -> bytes:
    """An APP1 segment holding only the orientation."""
    tiff = minimal_exif(orientation)
    return b"\xff\xe1" + (len(tiff) + 8).to_bytes(2, "big") + b"Exif\x00\x00" + tiff


def _metadata_segment(marker: int, segment: bytes, findings: Findings) -> bytes:
    """What to write instead of an APPn (but Exif) or COM segment: the segment itself when it is kept, a
    shortened copy, or nothing. Records the categories of what goes."""
    payload = segment[4:]
    if marker == _APP0 and payload[:5] == b"JFIF\x00" and len(payload) >= 14:
        thumbnail = payload[14:]
        if not thumbnail and payload[12:14] == b"\x00\x00":
            return segment
        if thumbnail:
            findings.found({"thumbnail"} if payload[12] and payload[13] else {"other"})
        return b"\xff\xe0\x00\x10" + payload[:12] + b"\x00\x00"
    if marker == _APP2 and payload[:12] == b"ICC_PROFILE\x00":
        return segment  # colour, not identity
    if marker == _APP14 and payload[:5] == b"Adobe":
        return segment  # how the colours are coded
    if marker == _APP1 and payload.startswith(_XMP):
        scanner = XmpScanner()
        scanner.feed(payload)
        findings.found(scanner.categories())
    elif marker == _APP13 and payload[:14] == b"Photoshop 3.0\x00":
        findings.found(read_photoshop(payload[14:]))
    elif marker == _APP0 and payload[:5] == b"JFXX\x00":
        findings.found({"thumbnail"})
    elif marker == COM:
        findings.found(set() if is_blank(payload) else {"author"})
    else:
        findings.found({"other"})
    return b""


def _entropy_coded_data() -> Steps:
    """Keeps the compressed data after a start of scan, up to the next marker (left unread)."""
    while True:
        data = yield from at_least(2)
        if len(data) < 2:
            raise Unclean("truncated")
        found = _MARKER.search(data)
        if found:
            if found.start():
                yield from move(Keep(found.start()))
            return
        yield from move(Keep(len(data) - (data[-1] == 0xFF)))
