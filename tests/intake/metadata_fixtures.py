"""Attachments with hidden metadata, made on the spot for the tests of the metadata cleaners (no binary is
committed): small images drawn with Pillow and pillow-heif, a PDF with reportlab, then GPS, camera,
dates and authors written into them with exiftool, as a phone or an office program would.

``python -m tests.intake.metadata_fixtures FOLDER`` writes the fixtures and, beside each, what the Python
cleaner makes of it (``NAME.clean`` and ``NAME.report.json``), for the JavaScript tests to compare with.
"""

from __future__ import annotations

import dataclasses
import io
import json
import random
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pillow_heif
from PIL import Image, ImageCms, ImageDraw, PngImagePlugin
from reportlab.pdfgen import canvas

from intake.metadata import clean
from intake.metadata.pdf import INFO_KEYS
from intake.metadata.tags import EXIF_TAGS, IPTC_DATASETS, PNG_KEYWORDS, XMP_PATTERNS

pillow_heif.register_heif_opener()

#: Written into every image: where, with what, when and by whom it was taken.
IDENTIFYING = [
    "-GPSLatitude=42.4370",
    "-GPSLatitudeRef=N",
    "-GPSLongitude=129.7510",
    "-GPSLongitudeRef=E",
    "-Make=Samsung",
    "-Model=SM-G991N",
    "-SerialNumber=R3CR40ABCDE",
    "-DateTimeOriginal=2019:12:24 21:05:33",
    "-Artist=Kim Chol",
    "-XMP-dc:Creator=Kim Chol",
    "-XMP-photoshop:City=Hoeryong",
]

#: What the Python cleaner must report for each fixture: (kind, removed, complete).
EXPECTED = {
    "photo.jpg": ("jpeg", ("gps", "device", "time", "author", "thumbnail", "other"), True),
    "progressive.jpg": ("jpeg", ("gps", "device", "time", "author", "thumbnail", "other"), True),
    "photo.png": ("png", ("gps", "device", "time", "author", "other"), True),
    "photo.webp": ("webp", ("gps", "device", "time", "author", "other"), True),
    "alpha.webp": ("webp", ("gps", "time", "author"), True),
    "photo.heic": ("heif", ("gps", "device", "time", "author", "other"), True),
    "photo.avif": ("heif", ("gps", "device", "time", "author", "other"), True),
    "document.pdf": ("pdf", ("device", "time", "author", "other"), True),
    "compressed-info.pdf": ("pdf", ("time", "author", "other"), False),
    "notes.txt": (None, (), False),
}
#: Which fixtures Chromium can draw.
RENDERED = ("photo.jpg", "progressive.jpg", "photo.png", "photo.webp", "alpha.webp", "photo.avif")
#: The orientation written into each image that has one (HEIF keeps its own, in irot).
ORIENTATIONS = {"photo.jpg": 6, "progressive.jpg": 1, "photo.png": 8, "photo.webp": 3}


def picture(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> Image.Image:
    """A small picture with detail in it, so that its compressed data is not trivial."""
    image = Image.new(mode, size, (20, 90, 160, 255)[: len(mode)])
    draw = ImageDraw.Draw(image)
    for step in range(0, size[0], 6):
        draw.line([(step, 0), (size[0] - step, size[1])], fill=(step * 4 % 256, 200, 40, 128)[: len(mode)])
    draw.ellipse([8, 8, 30, 30], fill=(250, 250, 20, 200)[: len(mode)])
    return image


def exiftool(path: Path, *arguments: str) -> None:
    subprocess.run(["exiftool", "-q", "-q", "-overwrite_original", *arguments, str(path)], check=True)


def make_fixtures(folder: Path) -> dict[str, Path]:
    """Writes every fixture into ``folder``; answers them by name."""
    folder.mkdir(parents=True, exist_ok=True)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    paths = {name: folder / name for name in EXPECTED}

    thumbnail = folder / "thumbnail.jpg"
    picture((16, 12)).save(thumbnail, quality=70)
    picture().save(paths["photo.jpg"], quality=90, icc_profile=srgb)
    exiftool(
        paths["photo.jpg"],
        *IDENTIFYING,
        "-Orientation#=6",
        "-IPTC:By-line=Kim Chol",
        "-Comment=taken at the border",
        f"-ThumbnailImage<={thumbnail}",
    )
    thumbnail.unlink()

    picture((80, 60)).save(paths["progressive.jpg"], quality=85, progressive=True)
    exiftool(paths["progressive.jpg"], *IDENTIFYING, "-Orientation#=1")
    # A phone's second image after the end of the first (a depth map or a preview), with its own Exif.
    trailer = io.BytesIO()
    picture((8, 8)).save(trailer, "JPEG", exif=Image.Exif().tobytes())
    with paths["progressive.jpg"].open("ab") as file:
        file.write(trailer.getvalue())

    picture().save(paths["photo.png"], icc_profile=srgb, pnginfo=_png_text({"Author": "Kim Chol"}))
    exiftool(paths["photo.png"], *IDENTIFYING, "-Orientation#=8", "-PNG:Comment=from Musan")

    picture().save(paths["photo.webp"], quality=80, icc_profile=srgb)
    exiftool(paths["photo.webp"], *IDENTIFYING, "-Orientation#=3")
    picture(mode="RGBA").save(paths["alpha.webp"], lossless=True)
    exiftool(paths["alpha.webp"], "-XMP-dc:Creator=Kim Chol", "-XMP-exif:GPSLatitude=42.4370",
             "-XMP-xmp:CreateDate=2019:12:24 21:05:33")  # fmt: skip

    picture().save(paths["photo.heic"], quality=70)
    picture().save(paths["photo.avif"], quality=70)
    for name in ("photo.heic", "photo.avif"):
        exiftool(paths[name], *IDENTIFYING)

    document = canvas.Canvas(str(paths["document.pdf"]))
    document.setAuthor("Kim Chol")
    document.setTitle("Testimony")
    document.drawString(72, 720, "2019-12-24, Hoeryong")
    document.save()
    exiftool(paths["document.pdf"], "-Author=Kim Chol", "-Creator=Hangul 2018", "-XMP-dc:Creator=Kim Chol")

    paths["compressed-info.pdf"].write_bytes(compressed_info_pdf())
    paths["notes.txt"].write_text("만난 날: 2019년 12월 24일\n", encoding="utf-8")
    return paths


def _png_text(fields: dict[str, str]) -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    for key, value in fields.items():
        info.add_text(key, value)
    return info


def compressed_info_pdf() -> bytes:
    """A PDF 1.5 whose document information sits in a compressed object stream, next to an uncompressed
    copy of an older one that the first revision named: the newer cannot be blanked in place."""
    objects = b"4 0 << /Author (Kim Chol) /Producer (Hangul) >>"
    compressed = zlib.compress(objects)
    parts = [
        b"%PDF-1.5\n",
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n",
        b"3 0 obj\n<< /Author (Kim Chol) /CreationDate (D:20191224210533+09'00') /Title (Testimony) >>\n"
        b"endobj\n",
        b"5 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\n" % len(compressed),
        b"stream\n",
        compressed,
        b"\nendstream\nendobj\n",
        b"6 0 obj\n<< /Type /XRef /Size 7 /Root 1 0 R /Info 4 0 R /Prev 0 /Length 0 >>\nstream\n\nendstream\n"
        b"endobj\n",
        b"trailer\n<< /Size 4 /Root 1 0 R /Info 3 0 R >>\nstartxref\n0\n%%EOF\n",
    ]
    return b"".join(parts)


def _jpeg(*segments: bytes, tail: bytes = b"\xff\xda\x00\x02\x11\x22\xff\xd9") -> bytes:
    return b"\xff\xd8" + b"".join(segments) + tail


def _png(*chunks: tuple[bytes, bytes]) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"".join(struct.pack(">I", len(d)) + k + d + b"\0\0\0\0" for k, d in chunks)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


FTYP = _box(b"ftyp", b"heic\0\0\0\0mif1")
#: Malformed and hostile files: lengths of zero, past the end or huge, loops, deep nesting, unbounded
#: strings. None may make a cleaner raise, hang or hold more than its bounds.
HOSTILE = {
    "jpeg segment length 0": _jpeg(b"\xff\xe1\x00\x00Exif"),
    "jpeg segment length 1": _jpeg(b"\xff\xe1\x00\x01"),
    "jpeg segment past the end": _jpeg(b"\xff\xe1\xff\xffExif\x00\x00MM", tail=b""),
    "jpeg without a marker": _jpeg(b"\xff\xe0\x00\x04ab\x00\x01"),
    "jpeg fill bytes only": b"\xff\xd8" + b"\xff" * 200_000,
    "jpeg a second start": _jpeg(b"\xff\xd8"),
    "jpeg exif with looping IFDs": _jpeg(
        b"\xff\xe1\x00\x2aExif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x87\x69\x00\x04\x00\x00\x00\x01"
        b"\x00\x00\x00\x08\x00\x00\x00\x08" + bytes(8)
    ),
    "png chunk length huge": _png((b"IHDR", bytes(13))) + b"\x7f\xff\xff\xfftEXt",
    "png chunk length over 2^31": _png((b"IHDR", bytes(13))) + b"\xff\xff\xff\xfftEXt",
    "png chunk name not letters": _png((b"IHDR", bytes(13)), (b"t\x00Xt", b"x")),
    "png without IEND": _png((b"IHDR", bytes(13)), (b"tEXt", b"Author\x00Kim")),
    "webp chunk past the RIFF": b"RIFF\x20\0\0\0WEBPVP8X\x0a\0\0\0" + bytes(10) + b"EXIF\xff\xff\xff\x7f",
    "webp RIFF size 0": b"RIFF\x00\x00\x00\x00WEBPVP8 \x04\x00\x00\x00abcd",
    "webp VP8X too small": b"RIFF\x0e\x00\x00\x00WEBPVP8X\x02\x00\x00\x00\x08\x00",
    "heif box size 0 meta": FTYP + b"\x00\x00\x00\x00meta" + bytes(100),
    "heif largesize huge": FTYP + b"\x00\x00\x00\x01meta" + b"\xff" * 8,
    "heif box smaller than its header": FTYP + b"\x00\x00\x00\x04meta",
    "heif mdat before meta": FTYP + _box(b"mdat", b"x" * 50) + _box(b"meta", bytes(4)),
    "heif deep nesting": FTYP
    + struct.pack(">I", 8 + 4 + 8 * 10_000)
    + b"meta\0\0\0\0"
    + b"".join(struct.pack(">I", 8 * (10_000 - depth)) + b"iprp" for depth in range(10_000)),
    "heif iloc with countless empty extents": FTYP
    + _box(b"meta", bytes(4) + _box(b"iloc", b"\x01\0\0\0\0\0\xff\xff" + b"\0\x01\0\0\0\0\xff\xff" * 50)),
    "heif too many metadata items": FTYP
    + _box(
        b"meta",
        bytes(4)
        + _box(
            b"iinf",
            b"\0\0\0\0\0\x14"
            + b"".join(_box(b"infe", b"\x02\0\0\0\0" + bytes([item]) + b"\0\0Exif\0") for item in range(20)),
        ),
    ),  # fmt: skip
    "pdf nested dictionaries": b"%PDF-1.7\n1 0 obj\n" + b"<<" * 300_000 + b"\nendobj\n",
    "pdf nested strings": b"%PDF-1.7\n1 0 obj\n<< /Author " + b"(" * 300_000 + b"\nendobj\n",
    "pdf object larger than 1 MiB": b"%PDF-1.7\n1 0 obj\n<< /Author (" + b"a" * 1_100_000 + b") >>\nendobj\n",
    "pdf stream without end": b"%PDF-1.7\n1 0 obj\n<< /Type /Metadata >>\nstream\n" + b"<x:xmpmeta>" * 1000,
    "pdf info in the trailer": b"%PDF-1.7\ntrailer\n<< /Info << /Author (Kim) >> >>\nstartxref\n0\n%%EOF\n",
    "pdf info value in another object": b"%PDF-1.7\n3 0 obj\n<< /Author 4 0 R >>\nendobj\n",
}


#: Hostile files that are nevertheless whole: what they hold was cleaned.
WHOLE = {"jpeg exif with looping IFDs", "heif deep nesting", "pdf nested dictionaries"}


def _exif(orientation: int = 1) -> bytes:
    """An Exif block (with its "Exif\\0\\0" name) naming a camera and a place."""
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    if orientation != 1:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (42.0, 26.0, 13.0)
    return exif.tobytes()


def unusual_files() -> dict[str, tuple[bytes, tuple[str | None, tuple[str, ...], bool]]]:
    """Rarer shapes made by hand, each with what the cleaner must report: an Exif item inside a HEIF's
    idat, a JFIF thumbnail, an EXIF chunk that VP8X did not announce, PDF values written as hex or
    with escapes, a compressed XMP stream."""
    exif_item = b"\0\0\0\x06" + _exif()
    iinf = _box(b"iinf", bytes(4) + b"\0\x01" + _box(b"infe", b"\x02\0\0\0\0\x01\0\0Exif\0"))
    iloc = _box(
        b"iloc", b"\x01\0\0\0\x44\0\0\x01\0\x01\0\x01\0\0\0\x01" + struct.pack(">II", 0, len(exif_item))
    )
    heif = FTYP + _box(b"meta", bytes(4) + iinf + iloc + _box(b"idat", exif_item)) + _box(b"mdat", b"image")

    jpeg = io.BytesIO()
    picture().save(jpeg, "JPEG")
    jfif_end = 4 + int.from_bytes(jpeg.getvalue()[4:6], "big")
    jfif = b"\xff\xe0\x00\x1cJFIF\x00\x01\x01\x00\x00\x01\x00\x01\x02\x02" + bytes(12)

    webp = io.BytesIO()
    picture().save(webp, "WEBP", icc_profile=b"\0" * 8)
    tiff = _exif(6)[6:]
    exif = b"EXIF" + struct.pack("<I", len(tiff)) + tiff + bytes(len(tiff) & 1)
    webp_bytes = (
        webp.getvalue()[:4] + struct.pack("<I", len(webp.getvalue()) - 8 + len(exif)) + webp.getvalue()[8:]
    )

    xmp = zlib.compress(b"<x:xmpmeta><dc:creator>Kim</dc:creator></x:xmpmeta>")
    pdf = b"".join([
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Metadata 2 0 R >>\nendobj\n",
        b"2 0 obj\n<< /Type /Metadata /Subtype /XML /Filter /FlateDecode /Length ",
        str(len(xmp)).encode(),
        b" >>\nstream\n",
        xmp,
        b"\nendstream\nendobj\n3 0 obj\n<< /Auth#6fr <4B696D> % a comment (\n",
        b"/Producer (a\\)b (nested) c) /Title () /Trapped /False >>\nendobj\n",
        b"trailer\n<< /Size 4 /Root 1 0 R /Info 3 0 R >>\nstartxref\n0\n%%EOF\n",
    ])  # fmt: skip
    return {
        "exif-in-idat.heif": (heif, ("heif", ("gps", "device"), True)),
        "jfif-thumbnail.jpg": (
            jpeg.getvalue()[:2] + jfif + jpeg.getvalue()[jfif_end:],
            ("jpeg", ("thumbnail",), True),
        ),
        "unannounced-exif.webp": (webp_bytes + exif, ("webp", ("gps", "device"), True)),
        "escaped.pdf": (pdf, ("pdf", ("device", "author", "other"), True)),
    }


def damaged(fixtures: list[bytes], count: int, seed: int = 12) -> list[bytes]:
    """``count`` files made from the fixtures by overwriting a few bytes, cutting them short, or putting
    random bytes after a format's magic: the same for the same seed."""
    rng = random.Random(seed)
    magics = [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\0\1\0\0WEBP", FTYP, b"%PDF-1.7\n"]
    files = []
    for number in range(count):
        if number % 4 == 3:
            files.append(rng.choice(magics) + rng.randbytes(rng.randrange(3000)))
            continue
        data = bytearray(rng.choice(fixtures))
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(data))
            data[at : at + 4] = rng.choice([b"\xff\xff\xff\xff", bytes(4), b"\x7f", b"((", rng.randbytes(2)])
        files.append(bytes(data[: rng.randint(1, len(data))]))
    return files


def write_expectations(folder: Path) -> None:
    """Writes the fixtures, hostile and damaged files, and what the Python cleaner makes of each
    (NAME.clean, NAME.report.json); and the category tables, for the browser's to be compared with."""
    paths = make_fixtures(folder)
    fixtures = [path.read_bytes() for name, path in paths.items() if EXPECTED[name][0]]
    for name, (data, _) in unusual_files().items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    for number, data in enumerate([*HOSTILE.values(), *damaged(fixtures, 160)]):
        paths[f"damaged-{number:03}.bin"] = folder / f"damaged-{number:03}.bin"
        paths[f"damaged-{number:03}.bin"].write_bytes(data)
    for name, path in paths.items():
        cleaned, report = clean(path.read_bytes())
        (folder / f"{name}.clean").write_bytes(cleaned)
        (folder / f"{name}.report.json").write_text(json.dumps(dataclasses.asdict(report)), encoding="utf-8")
    (folder / "tables.json").write_text(json.dumps(category_tables()), encoding="utf-8")


def category_tables() -> dict[str, object]:
    """The server's category tables, in the shape static/js/metadata.js exports them."""
    return {
        "EXIF_TAGS": sorted(EXIF_TAGS.items()),
        "XMP_PATTERNS": sorted([pattern.decode(), category] for pattern, category in XMP_PATTERNS),
        "IPTC_DATASETS": sorted(IPTC_DATASETS.items()),
        "PNG_KEYWORDS": sorted((key.decode(), category) for key, category in PNG_KEYWORDS.items()),
        "INFO_KEYS": sorted((key.decode(), category) for key, category in INFO_KEYS.items()),
    }


if __name__ == "__main__":
    write_expectations(Path(sys.argv[1]))
