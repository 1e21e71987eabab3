"""What a block of hidden metadata holds, by category: Exif (TIFF) tags, XMP properties, IPTC datasets and
PNG text keywords; and the minimal Exif that keeps only an image's orientation.

A category is reported when a tag of it is present; "other" when something else was removed (camera
settings, resolution, titles, unknown blocks). Tags that only give the structure (an IFD pointer) or the
orientation count for nothing, so that cleaning a cleaned file reports nothing.
"""

from __future__ import annotations

from .reading import WINDOW, is_blank, u16, u32

ORIENTATION = 0x0112
_EXIF_IFD, _GPS_IFD, _INTEROP_IFD = 0x8769, 0x8825, 0xA005

#: Exif tags of IFD0 and the Exif IFD, by category (CIPA DC-008 and Microsoft's XP tags).
EXIF_TAGS = {
    **dict.fromkeys(
        [0x010F, 0x0110, 0x0131, 0x013C, 0x927C, 0xA420, 0xA431, 0xA433, 0xA434, 0xA435], "device"
    ),
    **dict.fromkeys([0x0132, 0x9003, 0x9004, 0x9010, 0x9011, 0x9012, 0x9290, 0x9291, 0x9292], "time"),
    **dict.fromkeys(
        [0x010E, 0x013B, 0x8298, 0x9286, 0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E, 0x9C9F, 0xA430], "author"
    ),
}

#: XMP property names (matched as ":Name>" or ":Name=", so whatever prefix the namespace was given).
XMP_PROPERTIES = {
    "gps": ["City", "State", "Country", "CountryCode", "Location", "Sublocation", "LocationCreated",
            "LocationShown"],
    "device": ["Make", "Model", "Software", "CreatorTool", "SerialNumber", "Lens", "LensModel", "LensID",
               "LensInfo", "LensMake", "LensSerialNumber", "BodySerialNumber", "CameraSerialNumber",
               "ImageUniqueID"],
    "time": ["CreateDate", "ModifyDate", "MetadataDate", "DateTimeOriginal", "DateTimeDigitized",
             "DateCreated", "DateTime", "when"],
    "author": ["creator", "rights", "Artist", "Author", "Credit", "CaptionWriter", "Copyright", "UserComment",
               "description", "OwnerName", "Owner", "AuthorsPosition", "CreatorContactInfo"],
    "thumbnail": ["Thumbnails"],
}  # fmt: skip
#: Byte patterns and their category; every GPS property starts with "GPS".
XMP_PATTERNS = ((b":GPS", "gps"),) + tuple(
    (f":{name}{end}".encode(), category)
    for category, names in XMP_PROPERTIES.items()
    for name in names
    for end in ">="
)
_XMP_TAIL = max(len(pattern) for pattern, _ in XMP_PATTERNS) - 1

#: IPTC IIM datasets of the application record (2), by category.
IPTC_DATASETS = {
    **dict.fromkeys([26, 27, 90, 92, 95, 100, 101], "gps"),
    **dict.fromkeys([30, 35, 55, 60, 62, 63], "time"),
    **dict.fromkeys([80, 85, 110, 115, 116, 118, 120, 122], "author"),
}

#: PNG text keywords (tEXt, zTXt, iTXt), by category; any other keyword is "other".
PNG_KEYWORDS = {
    b"Author": "author", b"Artist": "author", b"Copyright": "author", b"Comment": "author",
    b"Description": "author", b"Creation Time": "time", b"Software": "device", b"Source": "device",
    b"Make": "device", b"Model": "device",
}  # fmt: skip


def read_exif(tiff: bytes) -> tuple[set[str], int]:
    """The categories of an Exif block (a TIFF header and its IFDs, at most WINDOW bytes looked at) and its
    orientation (1 to 8; 1 when absent or unreadable). Only IFD0, the Exif, GPS and IFD1 IFDs are read,
    each once: no pointer is followed twice, whatever the file says."""
    tiff = tiff[:WINDOW]
    if len(tiff) < 8 or tiff[:4] not in (b"II*\x00", b"MM\x00*"):
        return (set() if is_blank(tiff) else {"other"}), 1
    little = tiff[0] == 0x49
    found: set[str] = set()
    orientation = 1
    pointers: dict[int, int] = {}
    ifd0 = u32(tiff, 4, little)
    for tag, kind, count, at in _entries(tiff, ifd0, little):
        if tag == ORIENTATION:
            value = u16(tiff, at, little)
            if kind == 3 and count >= 1 and 1 <= value <= 8:
                orientation = value
        elif tag in (_EXIF_IFD, _GPS_IFD):
            pointers[tag] = u32(tiff, at, little)
        else:
            found.add(EXIF_TAGS.get(tag, "other"))
    if _EXIF_IFD in pointers:
        for tag, _, _, _ in _entries(tiff, pointers[_EXIF_IFD], little):
            if tag != _INTEROP_IFD:
                found.add(EXIF_TAGS.get(tag, "other"))
    if _GPS_IFD in pointers and any(tag != 0 for tag, _, _, _ in _entries(tiff, pointers[_GPS_IFD], little)):
        found.add("gps")
    if 0 < ifd0 <= len(tiff) - 2:
        end = ifd0 + 2 + 12 * u16(tiff, ifd0, little)
        if end + 4 <= len(tiff) and _entries(tiff, u32(tiff, end, little), little):
            found.add("thumbnail")
    return found, orientation


def _entries(tiff: bytes, offset: int, little: bool) -> list[tuple[int, int, int, int]]:
    """The (tag, type, count, value offset) entries of the IFD at ``offset``, as many as the block holds."""
    if offset < 8 or offset + 2 > len(tiff):
        return []
    count = min(u16(tiff, offset, little), (len(tiff) - offset - 2) // 12)
    first = offset + 2
    return [
        (u16(tiff, at, little), u16(tiff, at + 2, little), u32(tiff, at + 4, little), at + 8)
        for at in range(first, first + 12 * count, 12)
    ]


def minimal_exif(orientation: int) -> bytes:
    """A big-endian TIFF block whose IFD0 holds only the orientation: 26 bytes."""
    header = b"MM\x00*\x00\x00\x00\x08"
    return header + b"\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01" + bytes([0, orientation, 0, 0, 0, 0, 0, 0])


def read_photoshop(block: bytes) -> set[str]:
    """The categories of a JPEG APP13 Photoshop block (after its "Photoshop 3.0\\0" name): IPTC datasets,
    thumbnails, an Exif or XMP copy, anything else as "other"."""
    found: set[str] = set()
    at = 0
    while at + 12 <= len(block) and block[at : at + 4] in (b"8BIM", b"MeSa", b"PHUT", b"AgHg", b"DCSR"):
        resource = u16(block, at + 4)
        name = block[at + 6] + 1
        at += 6 + name + (name & 1)
        if at + 4 > len(block):
            break
        size = u32(block, at)
        data = block[at + 4 : at + 4 + size]
        at += 4 + size + (size & 1)
        if resource == 0x0404:
            found |= _read_iptc(data)
        elif resource in (0x0409, 0x040C):
            found.add("thumbnail")
        elif resource == 0x0422:
            found |= read_exif(data)[0]
        elif resource == 0x0424:
            scanner = XmpScanner()
            scanner.feed(data)
            found |= scanner.categories()
        elif not is_blank(data):
            found.add("other")
    return found


def _read_iptc(data: bytes) -> set[str]:
    found: set[str] = set()
    at = 0
    while at + 5 <= len(data) and data[at] == 0x1C:
        record, dataset, size = data[at + 1], data[at + 2], u16(data, at + 3)
        if size & 0x8000:
            found.add("other")
            break
        if record == 2 and dataset != 0:
            found.add(IPTC_DATASETS.get(dataset, "other"))
        elif record != 1 and record != 2:
            found.add("other")
        at += 5 + size
    return found


class XmpScanner:
    """Finds XMP properties by category in a stream of bytes, holding only a short tail between pieces."""

    def __init__(self) -> None:
        self._found: set[str] = set()
        self._tail = b""
        self._blank = True

    def feed(self, data: bytes) -> None:
        if self._blank and not is_blank(data):
            self._blank = False
        text = self._tail + data
        for pattern, category in XMP_PATTERNS:
            if category not in self._found and pattern in text:
                self._found.add(category)
        self._tail = text[-_XMP_TAIL:]

    def categories(self) -> set[str]:
        """What was seen; "other" when the XMP held something but no property of a category."""
        return set(self._found) if self._found or self._blank else {"other"}
