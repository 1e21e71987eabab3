"""Hostile uploads on every path that takes a body: oversized and endless bodies, malformed multipart,
attachment names meant to climb folders, damaged ciphertext, absurd offsets, text that is not UTF-8.

Whatever arrives, the answer is a clear 4xx page or JSON error (never a 500), nothing half-written stays in
the data folder, and no file appears anywhere but in the blob store.

One file of about 500 lines: every path that takes a body, with the same attacks, side by side."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder, run_wsgi_app

from core import db, form_nonces, receipts, submissions
from core.models import Envelope
from crypto.envelope import encrypt_parts
from crypto.keys import Identity
from intake.form_sealing import _part_name
from sori.cli import cli
from tests.intake.source_helpers import SOURCE_KEY, csrf_token, open_envelope, stored, vet_reviewer
from tests.security.hostile import FILE_NAMES, field, file_part, files_outside, multipart

BOUNDARY = b"----sori-hostile"
MULTIPART = "multipart/form-data; boundary=" + BOUNDARY.decode()
PASSPHRASE = "hostile-test passphrase"


@pytest.fixture
def reviewer(app: Flask) -> Identity:
    return vet_reviewer(app)


def _data(app: Flask) -> Path:
    return Path(app.config["SORI_DATA_DIR"])


def _nothing_kept(app: Flask) -> None:
    """No submission, no blob, no upload or temporary file."""
    assert stored(app) == []
    blobs = _data(app) / "blobs"
    leftovers = [p for p in blobs.rglob("*") if p.is_file()] if blobs.exists() else []
    assert leftovers == [], leftovers


def _controls(token: str) -> list[tuple[bytes, bytes]]:
    """The control fields a form sends first: its CSRF token and a fresh one-time nonce."""
    return [field("csrf_token", token), field("form_nonce", form_nonces.new())]


def _form_parts(token: str, text: str = "hostile upload test") -> list[tuple[bytes, bytes]]:
    return [*_controls(token), field("submitter", "survivor"), field("what_happened", text)]


def _post_raw(client: FlaskClient, body: bytes, content_type: str = MULTIPART, path: str = "/submit?lang=en"):
    return client.post(path, data=body, content_type=content_type)


# --- sizes ------------------------------------------------------------------------------------------------


def test_a_content_length_over_the_limit_is_refused_on_every_upload_route(
    app: Flask, client: FlaskClient, reviewer: Identity
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 100_000
    token = csrf_token(client)
    headers = {
        "X-CSRFToken": token,
        "X-Form-Nonce": form_nonces.new(),
        "X-Receipt-Key": receipts.encode_key(bytes(32)),
        "X-Source-Key": SOURCE_KEY,
    }
    big = b"\0" * 150_000
    assert _post_raw(client, multipart(BOUNDARY, _form_parts(token)) + big).status_code == 413
    assert client.post("/api/submissions", data=big, headers=headers).status_code == 413
    started = client.post("/api/uploads", json={"size": 150_000}, headers=headers)
    assert started.status_code == 413 and started.get_json()["error"] == "too_large"
    # An upload announced within the limit, then a piece larger than the limit.
    upload_id = client.post("/api/uploads", json={"size": 90_000}, headers=headers).get_json()["id"]
    piece = client.put(f"/api/uploads/{upload_id}", data=big, headers={**headers, "X-Upload-Offset": "0"})
    assert piece.status_code == 413
    # …and a piece within the limit that goes past the announced size.
    over = client.put(
        f"/api/uploads/{upload_id}", data=b"\0" * 95_000, headers={**headers, "X-Upload-Offset": "0"}
    )
    assert over.status_code == 413
    tmp = _data(app) / "blobs" / "tmp"
    assert [p.stat().st_size for p in tmp.iterdir()] == [0], "half a piece was kept"
    assert stored(app) == []


@pytest.mark.parametrize(
    "sizes", [{"size": 10**30}, {"size": -1}, {"size": 0}, {"size": 1.5}, {"size": True}, {}]
)
def test_absurd_announced_sizes_are_refused(client: FlaskClient, reviewer: Identity, sizes: dict) -> None:
    response = client.post("/api/uploads", json=sizes, headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code in (400, 413)


class Endless(io.RawIOBase):
    """A chunked request body that keeps coming: ``limit`` bytes of ``fill`` after ``head``."""

    def __init__(self, head: bytes, limit: int, fill: bytes = b"A") -> None:
        self.data = io.BytesIO(head)
        self.left = limit
        self.fill = fill
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        got = self.data.readinto(buffer)
        if not got and self.left:
            got = min(len(buffer), self.left)
            buffer[:got] = self.fill * got
            self.left -= got
        self.served += got
        return got


def _chunked(client: FlaskClient, method: str, path: str, body: Endless, **headers: str):
    """A request without Content-Length whose body ends when the stream does (as a chunked one does)."""
    environ = EnvironBuilder(
        path, method=method, headers={"Transfer-Encoding": "chunked", **headers}
    ).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": body, "wsgi.input_terminated": True})
    cookie = client.get_cookie("session")
    if cookie is not None:
        environ["HTTP_COOKIE"] = f"session={cookie.value}"
    app_iter, status, response_headers = run_wsgi_app(client.application.wsgi_app, environ, buffered=True)
    return client.application.response_class(app_iter, status, response_headers)


def test_a_chunked_body_that_grows_past_the_limit_is_cut_off_and_leaves_nothing(
    app: Flask, client: FlaskClient, reviewer: Identity
) -> None:
    limit = 300_000
    app.config["MAX_CONTENT_LENGTH"] = limit
    token = csrf_token(client)
    head = multipart(BOUNDARY, _form_parts(token), end=False) + (
        b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="attachments"; filename="a.bin"\r\n\r\n'
    )
    body = Endless(head, 50 * limit)
    response = _chunked(client, "POST", "/submit?lang=en", body, **{"Content-Type": MULTIPART})
    assert response.status_code == 413
    assert body.served <= limit + 2 * 65536 + 65536, "the server read far past its limit"
    _nothing_kept(app)

    endless = Endless(b"SORI-ENV", 50 * limit)
    headers = {
        "X-CSRFToken": token,
        "X-Form-Nonce": form_nonces.new(),
        "X-Receipt-Key": receipts.encode_key(bytes(32)),
        "X-Source-Key": SOURCE_KEY,
    }
    assert _chunked(client, "POST", "/api/submissions", endless, **headers).status_code == 413
    _nothing_kept(app)

    upload_id = client.post("/api/uploads", json={"size": limit}, headers=headers).get_json()["id"]
    piece = _chunked(
        client,
        "PUT",
        f"/api/uploads/{upload_id}",
        Endless(b"", 50 * limit),
        **headers,
        **{"X-Upload-Offset": "0"},
    )
    assert piece.status_code == 413
    assert [p.stat().st_size for p in (_data(app) / "blobs" / "tmp").iterdir()] == [0]


# --- malformed multipart ------------------------------------------------------------------------------------

MALFORMED = {
    "boundary differs from the header": lambda t: multipart(b"other", _form_parts(t)),
    "no boundary in the header": lambda t: multipart(BOUNDARY, _form_parts(t)),
    "unterminated last part": lambda t: multipart(BOUNDARY, _form_parts(t), end=False)[:-2],
    "unterminated headers": lambda t: b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="csrf_t',
    "huge part headers": lambda t: b"--" + BOUNDARY + b"\r\nX-Junk: " + b"h" * 2_000_000 + b"\r\n\r\nx\r\n",
    "thousands of header lines": lambda t: b"--" + BOUNDARY + b"\r\n" + b"X-A: b\r\n" * 200_000 + b"\r\nx",
    "a part without a name": lambda t: multipart(
        BOUNDARY, [*_controls(t), (b"Content-Disposition: form-data", b"x")]
    ),
    "a part without Content-Disposition": lambda t: multipart(BOUNDARY, [*_controls(t), (b"X-A: b", b"x")]),
    "an unknown field": lambda t: multipart(BOUNDARY, [*_controls(t), field("../../etc/passwd", "x")]),
    "a field name with markup": lambda t: multipart(BOUNDARY, [*_controls(t), field("<script>", "x")]),
    "text after the files": lambda t: multipart(
        BOUNDARY, [*_form_parts(t), file_part(b"a.txt", b"x"), field("what_happened", "late")]
    ),
    "the token twice": lambda t: multipart(BOUNDARY, [*_controls(t), field("csrf_token", t)]),
    "empty body": lambda t: b"",
    "only the closing line": lambda t: b"--" + BOUNDARY + b"--\r\n",
    "garbage": lambda t: os.urandom(100_000),
    "a field over its limit": lambda t: multipart(
        BOUNDARY, [*_controls(t), field("what_happened", "가" * 400_000)]
    ),
    "a field that is not UTF-8": lambda t: multipart(
        BOUNDARY, [*_controls(t), field("what_happened", b"\xff\xfe\xc3(")]
    ),
    "a token that is not UTF-8": lambda t: multipart(BOUNDARY, [field("csrf_token", b"\xff" + t.encode())]),
    "nested multipart": lambda t: multipart(
        BOUNDARY,
        [
            *_controls(t),
            (
                b'Content-Disposition: form-data; name="what_happened"\r\n'
                b"Content-Type: multipart/mixed; boundary=x",
                b"--x\r\n\r\n--x--",
            ),
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_multipart_is_refused_with_a_page_and_stores_nothing(
    app: Flask, client: FlaskClient, reviewer: Identity, case: str
) -> None:
    token = csrf_token(client)
    content_type = "multipart/form-data" if case == "no boundary in the header" else MULTIPART
    response = _post_raw(client, MALFORMED[case](token), content_type)
    if case == "nested multipart":
        # Not malformed for us: the text is kept as typed, sealed.
        assert response.status_code == 200
        return
    # Headers past the decoder's memory bound get the 413 page; the rest the translated refusal.
    assert response.status_code in ((400, 403, 413) if "header" in case else (400, 403)), response.status_code
    assert "<html" in response.get_data(as_text=True)
    _nothing_kept(app)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=",
        "multipart/mixed; boundary=x",
        'multipart/form-data; boundary="' + "b" * 5000 + '"',
    ],
)
def test_other_content_types_on_submit_are_refused(
    app: Flask, client: FlaskClient, reviewer: Identity, content_type: str
) -> None:
    token = csrf_token(client)
    response = _post_raw(client, f"csrf_token={token}&what_happened=x".encode(), content_type)
    assert response.status_code in (400, 403)
    _nothing_kept(app)


# --- attachment names ---------------------------------------------------------------------------------------


def _raw_name(name: str) -> bytes:
    # As a browser sends it: quotes and line breaks percent-encoded, the rest as UTF-8.
    return name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A").encode("utf-8")


def test_attachment_names_are_kept_as_given_and_never_used_as_paths(
    app: Flask, client: FlaskClient, reviewer: Identity, tmp_path: Path
) -> None:
    token = csrf_token(client)
    parts = _form_parts(token) + [
        file_part(_raw_name(name), f"file {i}".encode()) for i, name in enumerate(FILE_NAMES)
    ]
    cwd = Path.cwd()
    cwd_before = set(cwd.iterdir())
    blobs = _data(app) / "blobs"
    outside_before = set(files_outside(tmp_path, blobs))
    response = _post_raw(client, multipart(BOUNDARY, parts))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert set(Path.cwd().iterdir()) == cwd_before
    # Only the blob store got new files, each named by the store; none is named after an attachment.
    new = set(files_outside(tmp_path, blobs)) - outside_before
    assert [p for p in new if not p.name.endswith(("-journal", "-wal", "-shm"))] == []
    for path in blobs.rglob("*"):
        assert path.is_dir() or re.fullmatch(r"[0-9a-f]{16,}", path.name), path

    [(submission, [envelope])] = stored(app)
    opened = open_envelope(app, envelope, reviewer)
    # Werkzeug reads the file name as an HTTP quoted string, so a backslash escapes the next character and
    # is lost ("..\\..\\x" arrives as "....x"): a fidelity loss for Windows-style names, not a path.
    expected = [_part_name(_raw_name(name).decode().replace("\\", "")) for name in FILE_NAMES]
    names = [name for name in opened if name not in ("answers.json", "files.json")]
    # Names kept as the browser gave them (NUL taken out, long ones cut to the format's limit).
    assert sorted(names) == sorted(set(expected))
    assert "../../etc/passwd" in names and "evil\u202egpj.exe" in names

    # sori decrypt -o DIR writes every part inside DIR, under a plain name.
    with app.app_context():
        with submissions.open_envelope(db.session().get(Envelope, envelope.id)) as file:
            ciphertext = file.read()
    _decrypt_into(tmp_path, reviewer, ciphertext, expected_files=len(opened))


def _decrypt_into(tmp_path: Path, identity: Identity, ciphertext: bytes, expected_files: int) -> list[str]:
    work = tmp_path / "offline"
    work.mkdir()
    identity_file = work / "me.identity"
    identity_file.write_text(identity.wrap(PASSPHRASE, opslimit=1, memlimit=8192))
    envelope_file = work / "s.sori"
    envelope_file.write_bytes(ciphertext)
    out = work / "opened"
    before = set(_all_files(tmp_path))
    result = CliRunner(env={"SORI_PASSPHRASE": PASSPHRASE}).invoke(
        cli, ["decrypt", "-i", str(identity_file), "-o", str(out), str(envelope_file)]
    )
    assert result.exit_code == 0, result.output
    new = set(_all_files(tmp_path)) - before
    assert all(path.parent == out for path in new), [p for p in new if p.parent != out]
    names = [path.name for path in new]
    assert len(names) == expected_files
    for name in names:
        assert "/" not in name and "\\" not in name and not name.startswith(".")
        assert not any(ord(c) < 32 or c in "\u202e\u202d\u2066\u2067\u2068\u2069\u200f" for c in name), repr(
            name
        )
        assert len(name.encode("utf-8")) <= 255
    return names


def _all_files(root: Path) -> Iterator[Path]:
    for folder, _, names in os.walk(root):
        for name in names:
            yield Path(folder) / name


def test_an_envelope_made_elsewhere_with_hostile_names_opens_safely(tmp_path: Path) -> None:
    # A browser-path envelope is made by the source's browser: its part names are whatever it wrote.
    identity = Identity.generate()
    names = [n.replace("\0", "") or "x" for n in FILE_NAMES if 0 < len(n) <= 255] + [
        "\0",
        "\u202e",
        "/",
        "../..",
    ]
    out = io.BytesIO()
    encrypt_parts(out, [identity.public_key], [(n[:255] or "x", "text/plain", b"x") for n in names])
    _decrypt_into(tmp_path, identity, out.getvalue(), expected_files=len(names))


# --- damaged ciphertext and absurd offsets ------------------------------------------------------------------


def _valid_envelope(identity: Identity, size: int = 1000) -> bytes:
    out = io.BytesIO()
    encrypt_parts(out, [identity.public_key], [("answers.json", "application/json", b"{}" + b" " * size)])
    return out.getvalue()


def _damaged(envelope: bytes) -> dict[str, bytes]:
    return {
        "empty": b"",
        "magic only": b"SORI-ENV",
        "wrong magic": b"SORI-EN\0" + envelope[8:],
        "version 2": envelope[:8] + b"\x02" + envelope[9:],
        "no recipient": envelope[:9] + b"\x00" + envelope[10:],
        "255 recipients announced": envelope[:9] + b"\xff" + envelope[10:],
        "cut in the header": envelope[:40],
        "cut in a chunk": envelope[:-5],
        "trailing bytes": envelope + b"\0",
        "chunk length zero": envelope[: len(envelope) - 0] + b"\0\0\0\0",
        "chunk length huge": envelope[:-1] + b"\xff\xff\xff\xff",
        "random bytes": os.urandom(5000),
        "html": b"<script>alert(1)</script>",
        "json": b'{"size": 1}',
    }


def test_damaged_ciphertext_is_refused_on_both_browser_paths(
    app: Flask, client: FlaskClient, reviewer: Identity
) -> None:
    headers = {"X-CSRFToken": csrf_token(client)}
    cases = _damaged(_valid_envelope(reviewer))
    for name, body in cases.items():
        one = client.post(
            "/api/submissions",
            data=body,
            headers={
                **headers,
                "X-Form-Nonce": form_nonces.new(),
                "X-Receipt-Key": receipts.encode_key(os.urandom(32)),
                "X-Source-Key": SOURCE_KEY,
            },
        )
        assert one.status_code in (400, 413), (name, one.status_code)
        if not body:
            continue
        started = client.post("/api/uploads", json={"size": len(body)}, headers=headers).get_json()
        put = client.put(
            f"/api/uploads/{started['id']}", data=body, headers={**headers, "X-Upload-Offset": "0"}
        )
        assert put.status_code == 200, name
        finish = client.post(
            f"/api/uploads/{started['id']}/finish",
            json={"receipt_key": receipts.encode_key(os.urandom(32)), "form_nonce": form_nonces.new()},
            headers=headers,
        )
        assert finish.status_code == 400 and finish.get_json()["error"] == "bad_envelope", name
    _nothing_kept(app)


@pytest.mark.parametrize(
    "offset",
    [
        "-1",
        "1000000000000000000000000",
        "1e9",
        "0x10",
        " 5 ",
        "NaN",
        "",
        "٣",
        "0" * 5000,
        "9" * 5000,
        "1_0",
        "\u00bd",
        "+0",
    ],
)
def test_absurd_upload_offsets_are_refused(
    app: Flask, client: FlaskClient, reviewer: Identity, offset: str
) -> None:
    headers = {"X-CSRFToken": csrf_token(client)}
    upload_id = client.post("/api/uploads", json={"size": 100}, headers=headers).get_json()["id"]
    response = client.put(
        f"/api/uploads/{upload_id}", data=b"x" * 10, headers={**headers, "X-Upload-Offset": offset}
    )
    # "+0" is 0 to Python: the piece is in its place and taken ("0" * 5000 is past int()'s digit limit).
    assert response.status_code in ((200,) if offset == "+0" else (400, 409)), response.status_code
    tmp = _data(app) / "blobs" / "tmp"
    assert [p.stat().st_size for p in tmp.iterdir()] == [10 if response.status_code == 200 else 0]


@pytest.mark.parametrize(
    "upload_id", ["../../etc/passwd", "..%2F..%2Fx", "*", "0" * 32 + "/../x", "0" * 31 + "?", "x" * 4000]
)
def test_hostile_upload_ids_name_no_file(
    app: Flask, client: FlaskClient, reviewer: Identity, upload_id: str
) -> None:
    headers = {"X-CSRFToken": csrf_token(client), "X-Upload-Offset": "0"}
    put = client.put(f"/api/uploads/{upload_id}", data=b"x", headers=headers)
    finish = client.post(
        f"/api/uploads/{upload_id}/finish",
        json={"receipt_key": receipts.encode_key(bytes(32)), "form_nonce": form_nonces.new()},
        headers=headers,
    )
    assert put.status_code in (404, 405) and finish.status_code in (404, 405)
    _nothing_kept(app)


# --- text that is not UTF-8 ---------------------------------------------------------------------------------


def test_text_that_is_not_utf8_gets_a_clear_answer_everywhere(
    app: Flask, client: FlaskClient, reviewer: Identity
) -> None:
    token = csrf_token(client, "/status")
    form = "application/x-www-form-urlencoded"
    controls = b"csrf_token=" + token.encode() + b"&form_nonce="
    for path, body in [
        ("/status", controls + form_nonces.new().encode() + b"&receipt=%FF%FE1234"),
        ("/status", controls + form_nonces.new().encode() + b"&receipt=\xff\xfe&receipt_key=\xc3("),
        ("/reviewer/login", b"csrf_token=" + token.encode() + b"&login=%FF&password=\xff"),
    ]:
        response = client.post(path, data=body, content_type=form)
        assert response.status_code in (400, 403), (path, response.status_code)
    headers = {"X-CSRFToken": token}
    assert (
        client.post(
            "/api/uploads", data=b'{"size": "\xff"}', headers=headers, content_type="application/json"
        ).status_code
        == 400
    )
    bad_key = client.post(
        "/api/submissions",
        data=b"SORI-ENV",
        headers={**headers, "X-Form-Nonce": form_nonces.new(), "X-Receipt-Key": "\xff" * 43},
    )
    assert bad_key.status_code == 400
    _nothing_kept(app)
