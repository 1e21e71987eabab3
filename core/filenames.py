"""Safe local file names for parts of an envelope: a source's file name never chooses where a file lands."""

from __future__ import annotations

import unicodedata

_NAME_MAX_BYTES = 200


def safe_file_name(name: str, taken: set[str], *, fallback: str) -> str:
    """A plain file name for ``name``: no folders, no control characters, no leading dot, not in ``taken``.

    A name that ends up empty becomes ``fallback``; a taken one gets `` (2)``, `` (3)``… before its suffix.
    """
    name = unicodedata.normalize("NFC", name)
    # Both separators: an attachment named on Windows must not climb folders on Linux either.
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    while len(name.encode("utf-8")) > _NAME_MAX_BYTES:
        name = name[:-1]
    if not name:
        name = fallback
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem:
        stem, dot, suffix = name, "", ""
    candidate, counter = name, 2
    while candidate in taken:
        candidate = f"{stem} ({counter}){dot}{suffix}"
        counter += 1
    return candidate
