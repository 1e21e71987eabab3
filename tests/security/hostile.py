"""Hostile inputs shared by the security tests: markup payloads, attachment names, raw multipart bodies."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

#: Markup and template payloads: each must come back as text wherever a page shows it.
MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "{{7*7}}",
    "{% raw %}x{% endraw %}${7*7}",
    "javascript:alert(1)",
]

#: Attachment names meant to climb out of a folder, hide, or confuse a reader.
FILE_NAMES = [
    "../../etc/passwd",
    "..\\..\\x",
    "/etc/shadow",
    "C:\\Windows\\system32\\evil.dll",
    "a\x00b.txt",
    "\x00",
    "evil\u202egpj.exe",
    "new\nline\r.txt",
    ".bashrc",
    "..",
    ".",
    "~/.ssh/authorized_keys",
    "x" * 5000 + ".jpg",
    "사진" * 300 + ".png",
    "\U0001f600" * 300,
    "con.txt",
    "a/../../b",
    "%2e%2e%2fescape",
]


def multipart(boundary: bytes, parts: Iterable[tuple[bytes, bytes]], *, end: bool = True) -> bytes:
    """A raw multipart body of ``(headers, content)`` parts, closed unless ``end`` is false."""
    body = b""
    for headers, content in parts:
        body += b"--" + boundary + b"\r\n" + headers + b"\r\n\r\n" + content + b"\r\n"
    if end:
        body += b"--" + boundary + b"--\r\n"
    return body


def field(name: str, value: str | bytes) -> tuple[bytes, bytes]:
    data = value.encode("utf-8") if isinstance(value, str) else value
    return f'Content-Disposition: form-data; name="{name}"'.encode(), data


def file_part(name: bytes, content: bytes, content_type: bytes = b"application/octet-stream") -> tuple:
    return (
        b'Content-Disposition: form-data; name="attachments"; filename="' + name + b'"\r\n'
        b"Content-Type: " + content_type,
        content,
    )


def files_outside(root: Path, allowed: Path) -> list[Path]:
    """Files under ``root`` that are not under ``allowed``."""
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if allowed not in path.parents:
                found.append(path)
    return found
