"""PDF: the document information dictionary's values and XMP metadata streams blanked in place, so that
every cross-reference offset stays true.

The trailer that names the information dictionary comes at the end, so a stream cannot know it on the
way: every object is read (up to 1 MiB, then the file is passed through as it is) and a dictionary is
taken for document information when it has one of its keys (/Author, /Creator, /Producer, /Title,
/Subject, /Keywords, /CreationDate, /ModDate) and none of the keys of pages, outlines, annotations and
streams. Its string values become empty strings padded with spaces, in every incremental update. A
stream whose dictionary says /Type /Metadata has every byte but its line ends turned into a space (a
compressed one then reads as broken, which readers ignore for metadata). At the end the /Info of every
trailer must name a dictionary that was blanked, and every /Metadata a stream that was; when one names
a dictionary inside a compressed object stream (which cannot be changed in place) or something not
recognised, the file is reported as not fully cleaned. Outside objects the cleaner looks for "N G obj"
and "trailer" one window at a time; inside, for the object's end, skipping strings and comments. Hostile
syntax (a megabyte of parentheses) costs about a microsecond a byte.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator

from .reading import (
    HOLD_MAX,
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
    at_least,
    is_blank,
    move,
)
from .tags import XmpScanner

INFO_KEYS = {
    b"Author": "author", b"Creator": "device", b"Producer": "device", b"CreationDate": "time",
    b"ModDate": "time", b"Title": "other", b"Subject": "other", b"Keywords": "other",
}  # fmt: skip
_NOT_INFO = {
    b"Type", b"Subtype", b"Parent", b"Kids", b"First", b"Last", b"Next", b"Prev", b"Dest", b"A", b"S",
    b"Rect", b"Length", b"Root", b"Size", b"Count",
}  # fmt: skip
#: Only an object holding one of these is worth tokenising (# starts an escape in a name).
_CLUES = (b"/XRef", b"/ObjStm", b"/Metadata", b"/Info", b"#") + tuple(b"/" + key for key in INFO_KEYS)
_WHITE = b"\x00\t\n\x0c\r "
_DELIMITERS = b"()<>[]{}/%"
#: "N G obj" or "trailer" as whole tokens, between objects. Comments are not told apart: an event found in
#: one only makes the cleaner read what follows as an object, and what it then misses the trailers tell.
_EVENT = re.compile(
    rb"(?<![^\x00\t\n\x0c\r ()<>\[\]{}/%])"
    rb"(?:(\d{1,10})[\x00\t\n\x0c\r ]{1,32}\d{1,10}[\x00\t\n\x0c\r ]{1,32}obj|trailer)"
    rb"(?=[\x00\t\n\x0c\r ()<>\[\]{}/%])"
)
#: Longer than any event and the byte after it.
_EVENT_TAIL = 96
_EOL = re.compile(rb"[\r\n]")
_STRING = re.compile(rb"[()\\]")
_OBJECT_END = re.compile(rb"[(%]|endobj|stream")
_TRAILER_END = re.compile(rb"[(%]|startxref")
_TOKEN = re.compile(rb"[\x00\t\n\x0c\r ]+|%[^\r\n]*|<<|>>|<[^>]*>|\[|\]|/[^\x00\t\n\x0c\r ()<>\[\]{}/%]*|"
                    rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]+|.", re.S)  # fmt: skip
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_BLANKING = bytes(byte if byte in b"\r\n" else 0x20 for byte in range(256))
#: A dictionary entry: key, kind of value, where the value starts and stops, and the value.
Entry = tuple[bytes, str, int, int, bytes]
_ENTRIES_MAX = 4096
_REFERENCES_MAX = 4096


class _Document:
    """What is learnt across the objects: the document information dictionaries and XMP streams that were
    blanked and those that trailers and other objects name, and whether compressed object streams exist."""

    def __init__(self) -> None:
        self.info_blanked: set[int] = set()
        self.info_named: set[int] = set()
        self.xmp_blanked: set[int] = set()
        self.xmp_named: set[int] = set()
        self.object_streams = False

    def remember(self, numbers: set[int], number: int, findings: Findings) -> None:
        if len(numbers) < _REFERENCES_MAX:
            numbers.add(number)
        else:
            findings.unclean("too many metadata objects")

    def check(self, findings: Findings) -> None:
        if self.info_named - self.info_blanked:
            findings.unclean(
                "the document information is inside a compressed object stream"
                if self.object_streams
                else "the document information dictionary was not recognised"
            )
        if self.xmp_named - self.xmp_blanked:
            findings.unclean("an XMP metadata stream was not recognised")


def _is_number(token: bytes) -> bool:
    return token.isdigit() and len(token) <= 10


def clean_pdf(findings: Findings) -> Steps:
    findings.kind = "pdf"
    document = _Document()
    start = 0
    while True:
        window = yield Some(WINDOW)
        assert isinstance(window, bytes)
        if not window:
            break
        if len(window) < 2 * _EVENT_TAIL:
            window = yield Need(2 * _EVENT_TAIL)
            assert isinstance(window, bytes)
        event = _EVENT.search(window, start)
        if event:
            yield from move(Keep(event.end()))
            if event.group(1) is None:
                body, end, _ = yield from _hold(_TRAILER_END)
                _note_references(_entries(body, end), document, findings)
                yield from move(Keep(end))
            else:
                yield from _object(findings, document, int(event.group(1)))
            start = 0
        elif len(window) < 2 * _EVENT_TAIL:
            yield from move(Keep(len(window)))
        else:
            # An event may begin in the last bytes: they are read again with the next window, after one
            # byte kept back so that the search still sees what precedes them.
            yield from move(Keep(len(window) - _EVENT_TAIL - 1))
            start = 1
    document.check(findings)


def _object(findings: Findings, document: _Document, number: int) -> Steps:
    """Reads the object after its "obj" keyword; blanks it if it is document information, and its
    stream's data if it is XMP metadata."""
    body, end, keyword = yield from _hold(_OBJECT_END)
    entries = _entries(body, end) if any(clue in body[:end] for clue in _CLUES) else []
    kind = next((value for key, token, _, _, value in entries if key == b"Type" and token == "name"), b"")
    cleaned = body[:end]
    _note_references(entries, document, findings)
    if kind == b"ObjStm":
        document.object_streams = True
    elif _is_information(entries):
        cleaned = _blank_information(cleaned, entries, findings)
        document.remember(document.info_blanked, number, findings)
    if cleaned == body[:end]:
        yield from move(Keep(end))
    else:
        yield from move(Drop(end))
        yield Put(cleaned)
    if keyword == b"stream":
        if kind == b"Metadata":
            document.remember(document.xmp_blanked, number, findings)
        yield from move(Keep(len(keyword)))
        yield from _stream_data(findings, kind == b"Metadata")


def _hold(end_pattern: re.Pattern[bytes]) -> Generator[Request, object, tuple[bytes, int, bytes]]:
    """Holds the bytes ahead up to the first keyword of ``end_pattern`` outside strings and comments;
    answers them, where the keyword starts, and the keyword."""
    size, scan, depth, comment = 4096, 0, 0, False
    while True:
        held = yield Need(size)
        assert isinstance(held, bytes)
        at_end = len(held) < size
        while scan < len(held):
            if comment:
                line_end = _EOL.search(held, scan)
                comment, scan = (False, line_end.end()) if line_end else (True, len(held))
                continue
            if depth:
                special = _STRING.search(held, scan)
                if not special:
                    scan = len(held)
                elif special.group() == b"\\":
                    if special.end() == len(held) and not at_end:
                        scan = special.start()
                        break
                    scan = special.end() + 1
                else:
                    depth += 1 if special.group() == b"(" else -1
                    scan = special.end()
                continue
            found = end_pattern.search(held, scan)
            if not found:
                scan = max(scan, len(held) - 8)
                break
            token, start, stop = found.group(), found.start(), found.end()
            if token == b"(":
                depth, scan = 1, stop
            elif token == b"%":
                comment, scan = True, stop
            elif stop == len(held) and not at_end:
                scan = start
                break
            elif (start == 0 or held[start - 1] in _WHITE + b"()<>[]{}") and (
                stop == len(held) or held[stop] in _WHITE + _DELIMITERS
            ):
                return held, start, token
            else:
                scan = start + 1
        if at_end:
            raise Unclean("truncated")
        if size >= HOLD_MAX:
            raise Unclean("an object too large to read")
        size = min(size * 4, HOLD_MAX)


def _tokens(data: bytes, end: int) -> Iterator[tuple[bytes, int, int]]:
    """The tokens of ``data[:end]`` (a literal string as one token), without spaces and comments."""
    at = 0
    while at < end:
        match = _TOKEN.match(data, at, end)
        assert match
        token, stop = match.group(), match.end()
        if token == b"(":
            depth = 1
            while depth and stop < end:
                special = _STRING.search(data, stop, end)
                if not special:
                    stop = end
                    break
                stop = special.end() + (special.group() == b"\\")
                depth += {b"(": 1, b")": -1}.get(special.group(), 0)
            stop = min(stop, end)
        if token[0] not in _WHITE and token[0] != 0x25:
            yield data[at:stop], at, stop
        at = stop


def _entries(data: bytes, end: int) -> list[Entry]:
    """The entries of the dictionary that starts ``data[:end]``, if it does: (key, kind of value, value
    start, value stop, value) with kind one of string, hex, dict, array, name, ref (value: the object
    number) or word. Empty when it is not a dictionary or has too many entries to be information."""
    items: list[tuple[bytes, int, int]] = []
    depth = 0
    for token, start, stop in _tokens(data, end):
        if depth == 0:
            if token != b"<<":
                return []
            depth = 1
        elif depth == 1:
            if token == b">>":
                break
            if len(items) >= _ENTRIES_MAX:
                return []
            items.append((token, start, stop))
            depth += token in (b"<<", b"[")
        else:
            depth += (token in (b"<<", b"[")) - (token in (b">>", b"]"))
            if depth == 1:
                items[-1] = (items[-1][0], items[-1][1], stop)
    entries = []
    at = 0
    while at + 1 < len(items) and items[at][0][:1] == b"/":
        key = _name(items[at][0])
        value, start, stop = items[at + 1]
        reference = at + 3 < len(items) and items[at + 3][0] == b"R"
        if reference and _is_number(value) and _is_number(items[at + 2][0]):
            entries.append((key, "ref", start, items[at + 3][2], value))
            at += 4
            continue
        kind = {b"(": "string", b"<": "hex", b"[": "array", b"/": "name"}.get(value[:1], "word")
        kind = "dict" if value == b"<<" else kind
        entries.append((key, kind, start, stop, _name(value) if kind == "name" else value))
        at += 2
    return entries


def _name(token: bytes) -> bytes:
    """A name token without its slash, its #xx escapes decoded."""
    return _NAME_ESCAPE.sub(lambda escape: bytes([int(escape.group(1), 16)]), token[1:])


def _note_references(entries: list[Entry], document: _Document, findings: Findings) -> None:
    """Remembers the document information that a trailer (or a cross-reference stream) names in /Info,
    and the XMP streams that a catalog, a page or an image names in /Metadata."""
    for key, kind, _, _, value in entries:
        if key == b"Info" and kind == "ref":
            document.remember(document.info_named, int(value), findings)
        elif key == b"Info":
            findings.unclean("document information written inside the trailer")
        elif key == b"Metadata" and kind == "ref":
            document.remember(document.xmp_named, int(value), findings)


def _is_information(entries: list[Entry]) -> bool:
    keys = {key for key, _, _, _, _ in entries}
    return bool(keys & INFO_KEYS.keys()) and not keys & _NOT_INFO


def _blank_information(body: bytes, entries: list[Entry], findings: Findings) -> bytes:
    """The object with every string value of its dictionary made empty, padded with spaces to its length."""
    cleaned = bytearray(body)
    for key, kind, start, stop, value in entries:
        if kind in ("string", "hex") and not is_blank(value[1:-1]):
            cleaned[start:stop] = value[:1] + (b")" if kind == "string" else b">") + b" " * (stop - start - 2)
            findings.found({INFO_KEYS.get(key, "other")})
        elif kind == "ref" and key in INFO_KEYS:
            findings.unclean("a document information value kept in another object")
    return bytes(cleaned)


def _stream_data(findings: Findings, metadata: bool) -> Steps:
    """Passes a stream's data through up to "endstream" (included); XMP metadata becomes spaces."""
    scanner = XmpScanner()
    while True:
        data = yield from at_least(9)
        end = data.find(b"endstream")
        if end < 0 and len(data) < 9:
            raise Unclean("truncated")
        take = end if end >= 0 else len(data) - 8
        if take and metadata:
            scanner.feed(data[:take])
            yield from move(Drop(take))
            yield Put(data[:take].translate(_BLANKING))
        elif take:
            yield from move(Keep(take))
        if end >= 0:
            yield from move(Keep(9))
            break
    if metadata:
        findings.found(scanner.categories())
