"""HEIF, HEIC and AVIF: the data of Exif and XMP items zeroed in place, every box kept where it was.

The ``meta`` box says where each item's bytes lie (``iloc``), mostly inside ``mdat``, by absolute offsets:
moving anything would break them, so nothing moves. The ``meta`` box (at most 1 MiB) is held and read;
Exif items and XMP items (``mime`` items of type application/rdf+xml) stored in its ``idat`` are zeroed
there, and those stored in ``mdat`` are zeroed as the stream passes them. An Exif item's first bytes
become a minimal Exif (readers choke on a zeroed one) with the orientation 1: HEIF's orientation lives in
the ``irot`` and ``imir`` properties, which readers follow rather than the Exif tag, and which stay.

Not cleaned, and passed through from that point: a file whose ``mdat`` comes before its ``meta`` (a stream
cannot go back), an item built from other items or stored to the end of the file, extents that overlap or
point back into what was already written, more than 16 metadata items. A file with an unknown top-level
box (a video track's ``moov`` with its own metadata, for example) is cleaned of its items but reported as
not fully cleaned.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

from .reading import (
    ALL,
    HOLD_MAX,
    SIZE_MAX,
    WINDOW,
    Drop,
    Findings,
    Keep,
    Need,
    Put,
    Request,
    Some,
    Steps,
    Unclean,
    Zero,
    is_blank,
    move,
    need,
    u16,
    u32,
)
from .tags import XmpScanner, minimal_exif, read_exif

BRANDS = {b"mif1", b"mif2", b"msf1", b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"avif", b"avis"}
_TOP = {b"ftyp", b"meta", b"mdat", b"free", b"skip", b"wide", b"pdin"}
_EXTENTS_MAX = 4096
#: Each metadata item holds up to 64 KiB of its Exif while it is zeroed: files have one or two.
_ITEMS_MAX = 16
_XMP_TYPE = b"application/rdf+xml"


#: What an Exif item starts with once cleaned: no offset to its TIFF header, and a minimal Exif (readers
#: choke on a zeroed one). The orientation is 1: HEIF readers apply ``irot``, not the Exif tag.
EXIF_ITEM = bytes(4) + minimal_exif(1)


class _Item:
    """A metadata item whose bytes are being zeroed: what it is, and what was seen of it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.extents = 0
        #: Where its cleaned Exif begins: the start of its first extent, when that extent is long enough.
        self.exif_at: int | None = None
        self.exif = bytearray()
        self.xmp = XmpScanner()

    def take(self, data: bytes) -> None:
        if self.kind == "exif":
            self.exif += data[: WINDOW - len(self.exif)]
        else:
            self.xmp.feed(data)

    def categories(self) -> set[str]:
        if self.kind == "xmp":
            return self.xmp.categories()
        tiff = 4 + u32(self.exif, 0)
        if len(self.exif) < 4 or tiff >= len(self.exif):
            return set() if is_blank(bytes(self.exif)) else {"other"}
        return read_exif(bytes(self.exif[tiff:]))[0]


def clean_heif(findings: Findings) -> Steps:
    ftyp_size = u32((yield from need(8)), 0)
    if not 16 <= ftyp_size <= 4096:
        raise Unclean("not a HEIF file")
    ftyp = yield from need(ftyp_size)
    if not ({ftyp[8:12]} | {ftyp[at : at + 4] for at in range(16, ftyp_size - 3, 4)}) & BRANDS:
        raise Unclean("not a HEIF file")
    findings.kind = "heif"
    yield from move(Keep(ftyp_size))
    extents: list[tuple[int, int, _Item]] = []
    meta_seen = False
    while True:
        head = yield Need(16)
        assert isinstance(head, bytes)
        if not head:
            break
        size, kind, header = _box_header(head, 0, len(head))
        if kind == b"meta":
            if meta_seen:
                raise Unclean("a second meta box")
            meta_seen = True
            if size > HOLD_MAX:
                raise Unclean("a meta box too large to read")
            box = yield from need(size)
            cleaned, extents = _clean_meta(box, header, findings)
            if cleaned == box:
                yield from move(Keep(size))
            else:
                yield from move(Drop(size))
                yield Put(cleaned)
        elif kind == b"mdat":
            if not meta_seen:
                raise Unclean("the media data comes before the meta box")
            yield from move(Keep(header))
            end = ALL if size == ALL else findings.offset + size - header
            extents = yield from _media_data(findings, end, extents)
        else:
            if kind not in _TOP:
                findings.unclean("an unknown top-level box")
            if size == ALL:
                yield Keep(ALL)
            else:
                yield from move(Keep(size))
    if extents:
        findings.unclean("metadata outside the media data")


def _box_header(data: bytes, at: int, end: int) -> tuple[int, bytes, int]:
    """The size (ALL when the box runs to the end), type and header length of the box at ``at``."""
    if at + 8 > end:
        raise Unclean("truncated")
    size, kind, header = u32(data, at), data[at + 4 : at + 8], 8
    if size == 1:
        if at + 16 > end:
            raise Unclean("truncated")
        size, header = int.from_bytes(data[at + 8 : at + 16], "big"), 16
        if size > SIZE_MAX:
            raise Unclean("a box of an impossible size")
    elif size == 0:
        size = ALL
    if size < header:
        raise Unclean("a box of an impossible size")
    return size, kind, header


def _children(data: bytes, at: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """The (type, content start, end) of each box between ``at`` and ``end``."""
    while at < end:
        size, kind, header = _box_header(data, at, end)
        stop = end if size == ALL else at + size
        if stop > end:
            raise Unclean("a box larger than its parent")
        yield kind, at + header, stop
        at = stop


def _clean_meta(box: bytes, header: int, findings: Findings) -> tuple[bytes, list[tuple[int, int, _Item]]]:
    """The meta box with its idat metadata zeroed, and the file extents of metadata to zero in mdat."""
    items: dict[int, _Item] = {}
    locations: list[tuple[int, int, int, list[tuple[int, int]]]] = []
    idat = (0, 0)
    for kind, start, stop in _children(box, header + 4, len(box)):
        if kind == b"iinf":
            items.update(_item_infos(box, start, stop))
            if len(items) > _ITEMS_MAX:
                raise Unclean("too many metadata items")
        elif kind == b"iloc":
            locations = _item_locations(box, start, stop)
        elif kind == b"idat":
            idat = (start, stop)
    cleaned = bytearray(box)
    box_start = findings.offset
    extents: list[tuple[int, int, _Item]] = []
    for item_id, method, base, spans in locations:
        item = items.get(item_id)
        if item is None:
            continue
        if method == 2:
            raise Unclean("a metadata item built from other items")
        if item.kind == "exif" and spans and spans[0][1] >= len(EXIF_ITEM):
            item.exif_at = base + spans[0][0] + (idat[0] if method == 1 else 0)
        for offset, length in spans:
            if length == 0:
                raise Unclean("a metadata item stored to the end of the file")
            start = base + offset + (idat[0] if method == 1 else 0)
            if method == 1:
                if start + length > idat[1]:
                    raise Unclean("a metadata item outside its idat")
                item.take(box[start : start + length])
                cleaned[start : start + length] = bytes(length)
                if start == item.exif_at:
                    cleaned[start : start + len(EXIF_ITEM)] = EXIF_ITEM
            else:
                extents.append((start, start + length, item))
                item.extents += 1
        if not item.extents:
            findings.found(item.categories())
    extents.sort(key=lambda extent: extent[0])
    written = box_start + len(box)
    for start, stop, _ in extents:
        if start < written:
            raise Unclean("metadata extents that overlap or lie before the media data")
        written = stop
    return bytes(cleaned), extents


def _item_infos(box: bytes, start: int, stop: int) -> dict[int, _Item]:
    """The Exif and XMP items that ``iinf`` lists, by item id."""
    if stop - start < 6:
        raise Unclean("truncated")
    items = {}
    for kind, at, end in _children(box, start + (6 if box[start] == 0 else 8), stop):
        version = box[at] if at < end else 0
        if kind != b"infe" or version not in (2, 3):
            continue
        item_id, type_at = (u16(box, at + 4), at + 8) if version == 2 else (u32(box, at + 4), at + 10)
        if type_at + 4 > end:
            continue
        item_type = box[type_at : type_at + 4]
        name_end = box.find(b"\x00", type_at + 4, end)
        content_type = box[name_end + 1 : end].partition(b"\x00")[0] if name_end >= 0 else b""
        if item_type == b"Exif":
            items[item_id] = _Item("exif")
        elif item_type == b"mime" and content_type == _XMP_TYPE:
            items[item_id] = _Item("xmp")
        if len(items) > _ITEMS_MAX:
            raise Unclean("too many metadata items")
    return items


def _item_locations(box: bytes, start: int, stop: int) -> list[tuple[int, int, int, list[tuple[int, int]]]]:
    """The (item id, construction method, base offset, [(extent offset, length)]) entries of ``iloc``,
    leaving out items whose data lies in another file."""
    reader = _Fields(box, start, stop)
    version = reader.read(1)
    if version > 2:
        raise Unclean("an iloc box of an unknown version")
    reader.read(3)
    sizes = reader.read(1)
    offset_size, length_size = sizes >> 4, sizes & 15
    sizes = reader.read(1)
    base_size, index_size = sizes >> 4, (sizes & 15 if version else 0)
    if not {offset_size, length_size, base_size, index_size} <= {0, 4, 8}:
        raise Unclean("an iloc box with impossible field sizes")
    wide = 4 if version == 2 else 2
    locations = []
    total = 0
    for _ in range(reader.read(wide)):
        item_id = reader.read(wide)
        method = reader.read(2) & 15 if version else 0
        reference = reader.read(2)
        base = reader.read(base_size)
        count = reader.read(2)
        total += count
        if total > _EXTENTS_MAX:
            raise Unclean("too many item extents")
        spans = []
        for _ in range(count):
            reader.read(index_size)
            spans.append((reader.read(offset_size), reader.read(length_size)))
        if reference == 0:
            locations.append((item_id, method, base, spans))
    return locations


class _Fields:
    """Reads big-endian fields in order, refusing to read past the box."""

    def __init__(self, data: bytes, at: int, end: int) -> None:
        self._data, self._at, self._end = data, at, end

    def read(self, size: int) -> int:
        if self._at + size > self._end:
            raise Unclean("truncated")
        value = int.from_bytes(self._data[self._at : self._at + size], "big")
        if value > SIZE_MAX:
            raise Unclean("an item location too large")
        self._at += size
        return value


def _media_data(
    findings: Findings, end: int, extents: list[tuple[int, int, _Item]]
) -> Generator[Request, object, list[tuple[int, int, _Item]]]:
    """Keeps the media data up to ``end``, zeroing the metadata extents inside it; answers the extents
    that lie further on."""
    done = 0
    for start, stop, item in extents:
        if start >= end:
            break
        if stop > end:
            raise Unclean("metadata that runs past the media data")
        yield from move(Keep(start - findings.offset))
        if start == item.exif_at:
            item.take((yield from need(len(EXIF_ITEM))))
            yield from move(Drop(len(EXIF_ITEM)))
            yield Put(EXIF_ITEM)
        while findings.offset < stop:
            data = yield Some(min(stop - findings.offset, WINDOW))
            assert isinstance(data, bytes)
            if not data:
                raise Unclean("truncated")
            item.take(data)
            yield from move(Zero(len(data)))
        done += 1
        item.extents -= 1
        if not item.extents:
            findings.found(item.categories())
    if end == ALL:
        yield Keep(ALL)
    else:
        yield from move(Keep(end - findings.offset))
    return extents[done:]
