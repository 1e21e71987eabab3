"""How a format handler reads an attachment: the requests it yields to its driver and what it records.

A handler is a generator. It never holds the file: it yields requests (look at the next bytes, pass some
through, drop some, write new ones) and its driver answers them, from a stream fed piece by piece
(:class:`intake.metadata.Cleaner`) or, in the browser, from slices of a Blob (static/js/metadata.js,
which mirrors this protocol request for request so that both give the same bytes). Nothing a handler
decides may depend on where the pieces happen to be cut: ``Some`` may answer with fewer bytes than asked.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import NamedTuple

#: The categories of hidden metadata, in the order a source is shown them.
CATEGORIES = ("gps", "device", "time", "author", "thumbnail", "other")

#: The most a handler may look at in one request: a JPEG segment, an Exif block, a PNG chunk's head.
WINDOW = 65536
#: The most a handler may hold at once: a HEIF ``meta`` box, a PDF object or trailer dictionary.
HOLD_MAX = 1 << 20
#: Larger than any file: "to the end".
ALL = 1 << 62
#: Box and chunk sizes past this are refused, so that the browser's numbers (doubles) stay exact.
SIZE_MAX = (1 << 53) - 1


class Need(NamedTuple):
    """The next ``size`` bytes, not consumed; fewer only at the end of the file. ``size`` <= HOLD_MAX."""

    size: int


class Some(NamedTuple):
    """The next 1 to ``size`` bytes, not consumed; empty only at the end of the file."""

    size: int


class Keep(NamedTuple):
    """Pass the next ``size`` bytes through unchanged; answers how many there were (fewer at the end)."""

    size: int


class Drop(NamedTuple):
    """Consume the next ``size`` bytes and write nothing; answers how many there were."""

    size: int


class Zero(NamedTuple):
    """Consume the next ``size`` bytes and write as many zero bytes; answers how many there were."""

    size: int


class Put(NamedTuple):
    """Write new bytes."""

    data: bytes


Request = Need | Some | Keep | Drop | Zero | Put
Steps = Generator[Request, object, None]


class Unclean(Exception):
    """The file cannot be cleaned any further: everything not yet written passes through unchanged."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Findings:
    """What a handler learnt: the file's kind, what it removed, and why it could not clean everything."""

    def __init__(self) -> None:
        self.kind: str | None = None
        self.removed: set[str] = set()
        self.reason: str | None = None
        #: How many bytes of the input have been consumed (kept, dropped or zeroed) so far.
        self.offset = 0

    def found(self, categories: set[str] | frozenset[str] | tuple[str, ...]) -> None:
        self.removed.update(categories)

    def unclean(self, reason: str) -> None:
        """The file is not fully cleaned, though the handler goes on; the first reason is kept."""
        if self.reason is None:
            self.reason = reason


def need(size: int) -> Generator[Request, object, bytes]:
    """The next ``size`` bytes; raises Unclean when the file ends before."""
    data = yield Need(size)
    assert isinstance(data, bytes)
    if len(data) < size:
        raise Unclean("truncated")
    return data


def at_least(size: int) -> Generator[Request, object, bytes]:
    """The bytes at hand (up to WINDOW), not consumed, and at least ``size`` of them unless the file ends
    before: a search for a marker of ``size`` bytes then never misses one cut between two pieces."""
    data = yield Some(WINDOW)
    assert isinstance(data, bytes)
    if len(data) < size:
        data = yield Need(size)
        assert isinstance(data, bytes)
    return data


def move(request: Keep | Drop | Zero) -> Generator[Request, object, None]:
    """Keep, drop or zero exactly ``request.size`` bytes; raises Unclean when the file ends before."""
    done = yield request
    if done != request.size:
        raise Unclean("truncated")


def drop_rest() -> Generator[Request, object, bool]:
    """Drops everything to the end of the file; answers whether any of it was more than blank."""
    something = False
    while True:
        data = yield Some(WINDOW)
        assert isinstance(data, bytes)
        if not data:
            return something
        something = something or not is_blank(data)
        yield Drop(len(data))


def is_blank(data: bytes) -> bool:
    """Only zeros, spaces and line ends: nothing to report."""
    return not data.translate(None, b"\x00\t\n\r ")


def u16(data: bytes, at: int, little: bool = False) -> int:
    return int.from_bytes(data[at : at + 2], "little" if little else "big")


def u32(data: bytes, at: int, little: bool = False) -> int:
    return int.from_bytes(data[at : at + 4], "little" if little else "big")
