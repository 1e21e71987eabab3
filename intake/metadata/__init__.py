"""Hidden metadata removed from an attachment while it streams, in constant memory, before it is sealed.

A photo's Exif can hold where it was taken (GPS), the camera and its serial number, and when; a PDF names
its author. This package removes them without decoding anything: the image's compressed data is kept byte
for byte, and so is the orientation (as a minimal Exif in JPEG, PNG and WebP; HEIF keeps it in ``irot``).
What each format loses and keeps is said in its module: jpeg, png, webp, heif (HEIC, AVIF), pdf.

Use::

    cleaner = Cleaner()             # the type is sniffed from the first bytes
    out = cleaner.feed(piece)       # any number of times, pieces cut anywhere; cleaned bytes as known
    out = cleaner.finish()          # the rest
    cleaner.report                  # Report(kind, removed, complete, reason)

or ``data, report = clean(data)`` for bytes in hand. ``Report.kind`` is "jpeg", "png", "webp", "heif",
"pdf" or None (any other type, passed through unchanged); ``removed`` the categories of what was found
and removed, in the order of ``CATEGORIES`` (gps: coordinates and place names; device: camera make,
model, serial numbers, lens, software; time: dates; author: artist, author, creator, copyright owner,
comments and descriptions; thumbnail: embedded preview images; other: anything else removed);
``complete`` is False when the file could not be cleaned fully (an unknown type, a malformed, truncated
or hostile file, or what a format's module says it cannot clean): from that point on everything passes
through unchanged, and ``reason`` says why in a few English words, for logs and tests.

Nothing in a file makes ``feed`` or ``finish`` raise. The work is bounded per byte and nothing recurses
on the file's structure. The cleaner holds at most 1 MiB (a HEIF ``meta`` box, a PDF object; 64 KiB for
everything else) beside the piece being fed. static/js/metadata.js is the same cleaner for the browser,
request for request, and gives the same bytes and the same report for the same file.
"""

from __future__ import annotations

from dataclasses import dataclass

from .heif import clean_heif
from .jpeg import clean_jpeg
from .pdf import clean_pdf
from .png import SIGNATURE, clean_png
from .reading import CATEGORIES, Drop, Findings, Keep, Need, Put, Some, Steps, Unclean, Zero
from .webp import clean_webp

__all__ = ["CATEGORIES", "Cleaner", "Report", "clean"]


@dataclass(frozen=True)
class Report:
    """What cleaning one file did."""

    kind: str | None
    removed: tuple[str, ...]
    complete: bool
    reason: str | None = None


def clean(data: bytes) -> tuple[bytes, Report]:
    """``data`` cleaned, and the report."""
    cleaner = Cleaner()
    out = cleaner.feed(data)
    return out + cleaner.finish(), cleaner.report


def _sniff(findings: Findings) -> Steps:
    """Picks the handler from the first bytes."""
    head = yield Need(12)
    assert isinstance(head, bytes)
    if head.startswith(b"\xff\xd8\xff"):
        yield from clean_jpeg(findings)
    elif head.startswith(SIGNATURE):
        yield from clean_png(findings)
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        yield from clean_webp(findings)
    elif head[4:8] == b"ftyp":
        yield from clean_heif(findings)
    elif head.startswith(b"%PDF-"):
        yield from clean_pdf(findings)
    else:
        raise Unclean("not a type that is cleaned")


class Cleaner:
    """Cleans one attachment fed piece by piece; see the module's documentation."""

    def __init__(self) -> None:
        self._findings = Findings()
        self._steps: Steps | None = _sniff(self._findings)
        self._request: object = None
        self._left = 0
        self._input = bytearray()
        self._start = 0
        self._output: list[bytes] = []
        self._ended = False
        self._advance(None)

    @property
    def report(self) -> Report:
        """The report; final once ``finish`` has been called."""
        findings = self._findings
        removed = tuple(category for category in CATEGORIES if category in findings.removed)
        complete = self._ended and findings.kind is not None and findings.reason is None
        return Report(findings.kind, removed, complete, findings.reason)

    def feed(self, data: bytes) -> bytes:
        """Takes the next piece of the file; answers the cleaned bytes that are known so far."""
        if self._ended:
            raise ValueError("the cleaner has finished")
        self._input += data
        self._run()
        return self._take_output()

    def finish(self) -> bytes:
        """Says the file has ended; answers the rest of the cleaned bytes."""
        if not self._ended:
            self._ended = True
            self._run()
        return self._take_output()

    def _run(self) -> None:
        while self._steps is not None:
            answer = self._answer(self._request)
            if answer is _WAIT:
                break
            self._advance(answer)
        if self._steps is None:
            # Cleaning gave up (or ended early): what is left passes through unchanged.
            self._output.append(bytes(self._input[self._start :]))
            self._consume(len(self._input) - self._start)

    def _advance(self, answer: object) -> None:
        assert self._steps is not None
        try:
            self._request = self._steps.send(answer)
            self._left = getattr(self._request, "size", 0)
        except StopIteration:
            self._steps = None
        except Unclean as unclean:
            self._findings.unclean(unclean.reason)
            self._steps = None
        except Exception as error:  # noqa: BLE001 - a file must never break an upload: report and pass it on
            self._findings.unclean(f"internal error: {type(error).__name__}: {error}")
            self._steps = None

    def _answer(self, request: object) -> object:
        """The answer to ``request`` from the input at hand, or _WAIT for more."""
        held = len(self._input) - self._start
        if isinstance(request, Need):
            if held < request.size and not self._ended:
                return _WAIT
            return bytes(self._input[self._start : self._start + request.size])
        if isinstance(request, Some):
            if not held and not self._ended:
                return _WAIT
            return bytes(self._input[self._start : self._start + min(request.size, held)])
        if isinstance(request, Put):
            self._output.append(request.data)
            return None
        assert isinstance(request, (Keep, Drop, Zero))
        step = min(self._left, held)
        if isinstance(request, Keep):
            self._output.append(bytes(self._input[self._start : self._start + step]))
        elif isinstance(request, Zero):
            self._output.append(bytes(step))
        self._consume(step)
        self._left -= step
        if self._left and not self._ended:
            return _WAIT
        return request.size - self._left

    def _consume(self, size: int) -> None:
        self._start += size
        self._findings.offset += size
        if self._start > 65536 and self._start * 2 > len(self._input):
            del self._input[: self._start]
            self._start = 0

    def _take_output(self) -> bytes:
        out = b"".join(self._output)
        self._output.clear()
        return out


_WAIT = object()
