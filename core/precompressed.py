"""Static files sent compressed without compressing them on each request: a brotli (``.br``) and a gzip
(``.gz``) copy is made once, beside each file, by the setup command (``python -m core.assets``), and
:func:`send` picks the smallest one the browser accepts. nginx does the same from the same files
(``brotli_static``, ``gzip_static``: deploy/nginx/).

Only files that are the same for everyone are compressed: scripts, styles, WebAssembly. Pages are never
compressed, by us or by nginx: a page carries a CSRF token, a receipt or decrypted text, and compressing a
secret beside text an attacker can influence leaks it byte by byte (BREACH). Subresource Integrity is
computed on the uncompressed bytes, which is what browsers check after decoding.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import brotli
from flask import Response, request, send_file

#: File endings worth compressing (text and WebAssembly); images and archives are compressed already.
COMPRESSIBLE = frozenset({".js", ".mjs", ".css", ".svg", ".wasm", ".json", ".txt"})
#: Encodings in order of preference: (Content-Encoding, file ending).
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def send(path: Path, mimetype: str, max_age: int | None = None) -> Response:
    """``path`` as a response, in the smallest encoding the request accepts whose copy is up to date."""
    accepted = request.accept_encodings
    chosen = path
    encoding = None
    for name, ending in ENCODINGS:
        candidate = path.with_name(path.name + ending)
        if accepted[name] and _fresh(candidate, path):
            chosen, encoding = candidate, name
            break
    response = send_file(chosen, mimetype=mimetype, max_age=max_age, conditional=True, etag=True)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    # Caches must keep the encodings apart, whichever was sent.
    response.vary.add("Accept-Encoding")
    return response


def _fresh(copy: Path, original: Path) -> bool:
    try:
        return copy.stat().st_mtime_ns >= original.stat().st_mtime_ns
    except FileNotFoundError:
        return False


def build(files: Iterable[Path]) -> list[Path]:
    """Write the missing or outdated ``.br`` and ``.gz`` copies of ``files``; returns the copies written."""
    written = []
    for path in files:
        if path.suffix not in COMPRESSIBLE or not path.is_file():
            continue
        data = None
        for _name, ending in ENCODINGS:
            copy = path.with_name(path.name + ending)
            if _fresh(copy, path):
                continue
            data = path.read_bytes() if data is None else data
            packed = brotli.compress(data, quality=11) if ending == ".br" else gzip.compress(data, 9, mtime=0)
            _write(copy, packed)
            written.append(copy)
    return written


def _write(path: Path, data: bytes) -> None:
    # Written whole and renamed: a server never sends half a copy.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
