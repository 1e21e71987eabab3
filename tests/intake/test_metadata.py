"""The metadata cleaner of the server path (intake/metadata): what it removes from real files written by
exiftool, what it keeps (pixels, orientation, colour profile, a PDF's text), and that no file, however
cut, fed or broken, makes it raise, hang or hold more than its bounds."""

from __future__ import annotations

import io
import json
import re
import subprocess
import time
import tracemalloc
from pathlib import Path

import pillow_heif
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from intake.metadata import CATEGORIES, Cleaner, Report, clean
from intake.metadata.heif import EXIF_ITEM
from tests.intake.metadata_fixtures import (
    EXPECTED,
    HOSTILE,
    ORIENTATIONS,
    WHOLE,
    make_fixtures,
    picture,
    unusual_files,
)

pillow_heif.register_heif_opener()

IMAGES = [name for name, (kind, _, _) in EXPECTED.items() if kind in ("jpeg", "png", "webp", "heif")]
MAGICS = [
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"RIFF\x00\x01\x00\x00WEBP",
    b"\x00\x00\x00\x18ftypheic",
    b"%PDF-1.7\n",
]


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_fixtures(tmp_path_factory.mktemp("metadata"))


@pytest.fixture(scope="module")
def cleaned(fixtures: dict[str, Path]) -> dict[str, Path]:
    """Each fixture cleaned, written beside it as NAME.clean."""
    paths = {}
    for name, path in fixtures.items():
        paths[name] = path.with_name(name + ".clean")
        paths[name].write_bytes(clean(path.read_bytes())[0])
    return paths


def exiftool_tags(paths: list[Path]) -> dict[str, dict[str, object]]:
    """Every tag exiftool finds in each file, as "Group:Tag" -> value, by file name."""
    result = subprocess.run(
        ["exiftool", "-j", "-a", "-G1", "-n", *map(str, paths)], capture_output=True, check=True, text=True
    )
    return {Path(entry.pop("SourceFile")).name: entry for entry in json.loads(result.stdout)}


#: What a cleaned file may still say: how to draw it, its orientation, its colour profile, empty PDF fields.
_HARMLESS_GROUPS = {"ExifTool", "File", "System", "JFIF", "RIFF", "Meta", "QuickTime"}
_HARMLESS_TAGS = {
    "IFD0:Orientation", "Composite:ImageSize", "Composite:Megapixels", "PNG:ImageWidth", "PNG:ImageHeight",
    "PNG:BitDepth", "PNG:ColorType", "PNG:Compression", "PNG:Filter", "PNG:Interlace", "PNG:ProfileName",
    "PDF:PDFVersion", "PDF:Linearized", "PDF:Trapped", "PDF:PageMode", "PDF:PageCount",
}  # fmt: skip


def identifying(tags: dict[str, object]) -> dict[str, object]:
    """The tags that say more than how to draw the file (an empty PDF value says nothing)."""
    return {
        key: value
        for key, value in tags.items()
        if key.split(":")[0] not in _HARMLESS_GROUPS
        and not key.startswith("ICC")
        and key not in _HARMLESS_TAGS
        and not (key.startswith("PDF:") and value in ("", "0000:01:01 00:00:00"))
    }


def test_reports(fixtures: dict[str, Path]) -> None:
    for name, path in fixtures.items():
        report = clean(path.read_bytes())[1]
        kind, removed, complete = EXPECTED[name]
        assert (report.kind, report.removed, report.complete) == (kind, removed, complete), name
        assert report.complete == (report.reason is None), name


def test_exiftool_finds_nothing_identifying_after_cleaning(
    fixtures: dict[str, Path], cleaned: dict[str, Path]
) -> None:
    names = [name for name in fixtures if EXPECTED[name][2]]
    before = exiftool_tags([fixtures[name] for name in names])
    after = exiftool_tags([cleaned[name] for name in names])
    for name in names:
        if EXPECTED[name][0]:
            assert identifying(before[name]), f"{name} held nothing to find"
        assert identifying(after[name + ".clean"]) == {}, name
        assert after[name + ".clean"].get("IFD0:Orientation", 1) == ORIENTATIONS.get(name, 1), name


def test_pixels_and_colour_profiles_are_kept(fixtures: dict[str, Path], cleaned: dict[str, Path]) -> None:
    for name in IMAGES:
        with Image.open(fixtures[name]) as original, Image.open(cleaned[name]) as after:
            assert after.size == original.size, name
            assert after.tobytes() == original.tobytes(), name
            assert after.info.get("icc_profile") == original.info.get("icc_profile"), name


def test_a_cleaned_pdf_still_reads(fixtures: dict[str, Path], cleaned: dict[str, Path]) -> None:
    def text(path: Path) -> str:
        result = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True)
        assert result.stderr == ""
        return result.stdout

    assert "Hoeryong" in text(cleaned["document.pdf"])
    assert text(cleaned["document.pdf"]) == text(fixtures["document.pdf"])
    assert b"Kim Chol" not in cleaned["document.pdf"].read_bytes()


def test_cleaning_twice_changes_nothing_more(cleaned: dict[str, Path]) -> None:
    for name, path in cleaned.items():
        data = path.read_bytes()
        again, report = clean(data)
        assert again == data, name
        assert report.removed == (), name
        assert report.complete == EXPECTED[name][2], name


def test_a_phones_second_image_after_the_first_is_dropped(
    fixtures: dict[str, Path], cleaned: dict[str, Path]
) -> None:
    assert fixtures["progressive.jpg"].read_bytes().count(b"\xff\xd8") == 2
    assert cleaned["progressive.jpg"].read_bytes().endswith(b"\xff\xd9")
    assert cleaned["progressive.jpg"].read_bytes().count(b"\xff\xd8") == 1


def test_rarer_shapes() -> None:
    for name, (data, expected) in unusual_files().items():
        out, report = clean(data)
        assert (report.kind, report.removed, report.complete) == expected, name
        assert clean(out) == (out, Report(report.kind, (), True)), name
        assert in_pieces(data, list(range(1, len(data)))) == (out, report), name
        if name.endswith((".jpg", ".webp")):
            with Image.open(io.BytesIO(data)) as original, Image.open(io.BytesIO(out)) as cleaned:
                assert cleaned.tobytes() == original.tobytes(), name
    heif = clean(unusual_files()["exif-in-idat.heif"][0])[0]
    idat = heif[heif.index(b"idat") + 4 : heif.index(b"mdat") - 4]
    assert idat == EXIF_ITEM + bytes(len(idat) - len(EXIF_ITEM))
    pdf = clean(unusual_files()["escaped.pdf"][0])[0]
    assert b"/Auth#6fr <>       % a comment (\n/Producer ()                /Title () /Trapped /False" in pdf
    assert b"creator" not in pdf and b"Kim" not in pdf


def cut_points(data: bytes) -> list[int]:
    """Where to cut a fixture: every offset of a small one; else every offset of its first 512 bytes,
    around every marker and keyword of the formats, every 97th offset, and the last bytes."""
    if len(data) <= 3000:
        return list(range(len(data) + 1))
    points = set(range(512)) | set(range(0, len(data), 97))
    points |= {len(data) - k for k in range(min(len(data), 24))}
    for found in re.finditer(rb"\xff[^\x00]|IDAT|IEND|VP8|mdat|obj|stream|trailer|xref", data):
        points |= {found.start() - 8, found.start(), found.start() + 1, found.end() + 4}
    return sorted(point for point in points if 0 <= point <= len(data))


def in_pieces(data: bytes, cuts: list[int]) -> tuple[bytes, Report]:
    cleaner = Cleaner()
    out = [cleaner.feed(data[start:stop]) for start, stop in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    out.append(cleaner.finish())
    return b"".join(out), cleaner.report


def sound(report: Report) -> bool:
    """A report the cleaner meant: whatever the file, never an internal error."""
    return (report.reason is None or not report.reason.startswith("internal error")) and set(
        report.removed
    ) <= set(CATEGORIES)


def test_pieces_cut_anywhere_give_the_same_bytes(fixtures: dict[str, Path]) -> None:
    for name, path in fixtures.items():
        data = path.read_bytes()
        whole = clean(data)
        for cut in cut_points(data):
            assert in_pieces(data, [cut]) == whole, (name, cut)
        assert in_pieces(data, list(range(1, len(data)))) == whole, name


def test_truncated_files_pass_through_unharmed(fixtures: dict[str, Path]) -> None:
    for name, path in fixtures.items():
        data = path.read_bytes()
        for cut in cut_points(data):
            out, report = clean(data[:cut])
            assert sound(report), (name, cut, report)
            if not report.complete and cut < len(data):
                assert report.reason, (name, cut)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_files_are_passed_on_as_not_cleaned(name: str) -> None:
    data = HOSTILE[name]
    started = time.perf_counter()
    out, report = clean(data)
    assert time.perf_counter() - started < 5
    assert sound(report), report
    assert report.complete is (name in WHOLE), report
    if not report.complete:
        assert report.kind is not None and report.reason
    assert in_pieces(data, list(range(4096, len(data), 65536))) == (out, report)


def test_unknown_files_pass_through_unchanged() -> None:
    for data in [b"", b"\xff", b"hello", b"PK\x03\x04" + bytes(100), b"\x00\x00\x00\x18ftypisom" + bytes(40)]:
        out, report = clean(data)
        assert out == data
        assert report == Report(None, (), False, report.reason)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(magic=st.sampled_from(MAGICS), rest=st.binary(max_size=3000), cut=st.integers(0, 3000))
def test_random_bytes_after_a_magic(magic: bytes, rest: bytes, cut: int) -> None:
    data = magic + rest
    out, report = clean(data)
    assert sound(report), report
    assert in_pieces(data, [min(cut, len(data))]) == (out, report)


@pytest.fixture(scope="module")
def fixture_bytes(fixtures: dict[str, Path]) -> list[bytes]:
    return [fixtures[name].read_bytes() for name in EXPECTED if EXPECTED[name][0]]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_fixtures(fixture_bytes: list[bytes], data: st.DataObject) -> None:
    original = data.draw(st.sampled_from(fixture_bytes))
    damaged = bytearray(original)
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(damaged) - 1))
        damaged[at : at + 4] = data.draw(st.sampled_from([b"\xff\xff\xff\xff", bytes(4), b"\x7f", b"(("]))
    damaged = bytes(damaged[: data.draw(st.integers(1, len(damaged)))])
    out, report = clean(damaged)
    assert sound(report), report
    assert in_pieces(damaged, [data.draw(st.integers(0, len(damaged)))]) == (out, report)


def _stream(pieces: int, head: bytes, body: bytes, tail: bytes) -> tuple[float, int, Report]:
    """Feeds ``head``, then ``body`` ``pieces`` times, then ``tail``: the time, the peak of memory
    allocated meanwhile, and the report."""
    tracemalloc.start()
    started = time.perf_counter()
    cleaner = Cleaner()
    cleaner.feed(head)
    for _ in range(pieces):
        cleaner.feed(body)
    cleaner.feed(tail)
    cleaner.finish()
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak, cleaner.report


def test_memory_stays_flat_on_large_files() -> None:
    jpeg = io.BytesIO()
    picture().save(jpeg, "JPEG")
    head, tail = jpeg.getvalue().rsplit(b"\xff\xd9", 1)
    entropy = bytes(range(1, 255)) * 258  # 64 KiB of compressed-looking data, no marker in it
    cases = {
        "jpeg scan data": (head, entropy, b"\xff\xd9" + tail, True),
        "jpeg fill bytes": (b"\xff\xd8", b"\xff" * 65536, b"", False),
        "pdf stream data": (b"%PDF-1.4\n1 0 obj\n<< >>\nstream\n", entropy, b"\nendstream\nendobj\n", True),
        "pdf text between objects": (b"%PDF-1.4\n", b"1 0 R " * 10922 + b"\n", b"", True),
        "png text chunk": (b"\x89PNG\r\n\x1a\n\x7f\0\0\0iTXtXML:com.adobe.xmp\0", entropy, b"", False),
    }
    for name, (head, body, tail, complete) in cases.items():
        elapsed, peak, report = _stream(160, head, body, tail)  # 10 MiB each
        assert peak < 3 * 2**20, (name, peak)
        assert elapsed < 15, (name, elapsed)
        assert report.complete is complete and sound(report), (name, report)


def test_the_minimal_exif_keeps_only_the_orientation() -> None:
    image = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Samsung"
    picture().save(image, "JPEG", exif=exif.tobytes())
    out, report = clean(image.getvalue())
    assert report.removed == ("device",)
    with Image.open(io.BytesIO(out)) as cleaned:
        assert dict(cleaned.getexif()) == {0x0112: 6}
