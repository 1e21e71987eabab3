"""Privacy after a full run of a real server (DESIGN.md 2.1 and 2.3): sources submit on the no-JavaScript and
the one-request paths with a plaintext sentinel, a reviewer logs in and reads, hostile and broken requests
arrive; then the data folder, every database row, the server's log and the files it left in its temporary
folder hold no sentinel and no IP address.

Requests carry made-up forwarding addresses too (X-Forwarded-For, X-Real-IP, Forwarded): none may be kept.
The server runs with its own temporary folder (TMPDIR), so that what it leaves there is all that is scanned,
not the files of tests running beside it; the harness keeps anonymous temporary files visible
(tests/browser/live_server.py).

The only address the log may hold is the one the server listens on, in its start-up lines ("Sori is running
on http://127.0.0.1:PORT/", Werkzeug's "Running on", and sori demo's "log in at" hint): the server's own,
never a visitor's. The development server's error lines for unparseable requests are logged with the
address cut (core.security.AddressFilter); the test sends such requests over a raw socket.
"""

from __future__ import annotations

import http.cookiejar
import io
import ipaddress
import json
import os
import re
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pyotp
import pytest

from core import form_nonces, receipts
from crypto.envelope import encrypt_parts
from crypto.keys import PublicKey
from tests.browser.live_server import LiveServer, run_live_server
from tests.security.hostile import field, file_part, multipart

pytestmark = pytest.mark.slow

SENTINEL = "PRIVACY-SENTINEL-5c1e 함경북도 전거리 교화소"
FORWARDED = {
    "X-Forwarded-For": "198.51.100.77, 2001:db8::77",
    "X-Real-IP": "203.0.113.77",
    "Forwarded": "for=192.0.2.77;proto=http",
    "User-Agent": "Mozilla/5.0 (from 192.0.2.78)",
}
_IPV4 = re.compile(rb"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9]|\.[0-9])")
_IPV6 = re.compile(rb"(?<![0-9A-Za-z:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![0-9A-Za-z:])")
#: The server's own listening address, in start-up lines (sori serve's, Werkzeug's, sori demo's hint).
_LISTEN_LINE = re.compile(rb"^.*(running on|Running on|log in at:) +http://127\.0\.0\.1:[0-9]+\S*.*$", re.M)


def addresses(data: bytes) -> list[str]:
    """Every IPv4 or IPv6 address written in ``data``."""
    found = []
    for match in _IPV4.finditer(data):
        try:
            found.append(str(ipaddress.IPv4Address(match.group().decode())))
        except ValueError:
            pass
    for match in _IPV6.finditer(data):
        text = match.group().decode()
        if not re.search(r"[0-9A-Fa-f]", text):
            continue
        try:
            found.append(str(ipaddress.IPv6Address(text)))
        except ValueError:
            pass
    return found


def test_the_address_finder_finds_addresses() -> None:
    text = b"a 127.0.0.1 b ::1 c 2001:db8::77, 10.0.0.255; at 22:50:01 v1.9.4 1.2.3.4.5 [::ffff:1.2.3.4]"
    assert addresses(text) == ["127.0.0.1", "10.0.0.255", "::1", "2001:db8::77"] or set(addresses(text)) >= {
        "127.0.0.1",
        "10.0.0.255",
        "::1",
        "2001:db8::77",
    }
    assert addresses(b"at 22:50:01 on 2026-11-26, version 1.9.4, 4 MiB") == []


class Visitor:
    """A browser without JavaScript: cookies, and the forwarding headers a proxy might add."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(self, method: str, path: str, body: bytes | None = None, **headers: str) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.server.url + path, data=body, method=method, headers={**FORWARDED, **headers}
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def token(self, path: str) -> str:
        status, page = self.request("GET", path)
        match = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        assert status == 200 and match, path
        return match.group(1).decode()

    def form(self, path: str, fields: dict[str, str]) -> tuple[int, bytes]:
        body = urllib.parse.urlencode(fields).encode()
        return self.request("POST", path, body, **{"Content-Type": "application/x-www-form-urlencoded"})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _submit_without_javascript(source: Visitor) -> None:
    token = source.token("/submit")
    parts = [
        field("csrf_token", token),
        field("form_nonce", form_nonces.new()),
        field("submitter", "survivor"),
        field("what_happened", SENTINEL),
        field("who-1-name", SENTINEL),
        file_part(b"sentinel.txt", (SENTINEL + "\n").encode() * 40_000, b"text/plain"),  # past 500 KB
    ]
    status, page = source.request(
        "POST",
        "/submit",
        multipart(b"privacy", parts),
        **{"Content-Type": "multipart/form-data; boundary=privacy"},
    )
    assert status == 200 and b"receipt-value" in page
    # A follow-up with the receipt, and a wrong receipt.
    receipt = re.search(rb'id="receipt-value">([0-9 ]{19})<', page).group(1).decode()
    lookup = {"csrf_token": source.token("/status"), "form_nonce": form_nonces.new(), "receipt": receipt}
    status, _ = source.form("/status", lookup)
    assert status == 200
    status, _ = source.form(
        "/status",
        {
            "csrf_token": source.token("/status"),
            "form_nonce": form_nonces.new(),
            "receipt": "1234 5678 1234 5678",
        },
    )
    assert status == 403


def _submit_in_one_request(source: Visitor) -> None:
    token = source.token("/submit")
    _, page = source.request("GET", "/submit")
    keys = [PublicKey.parse(k) for k in dict.fromkeys(re.findall(r"sori-pk1-[A-Za-z0-9_-]+", page.decode()))]
    assert keys
    document = json.dumps(
        {"format": "sori-answers/1", "lang": "ko", "path": "browser", "fields": {"what_happened": SENTINEL}},
        ensure_ascii=False,
    ).encode()
    out = io.BytesIO()
    encrypt_parts(out, keys, [("answers.json", "application/json", document)])
    status, body = source.request(
        "POST",
        "/api/submissions",
        out.getvalue(),
        **{
            "X-CSRFToken": token,
            "X-Form-Nonce": form_nonces.new(),
            "X-Receipt-Key": receipts.encode_key(os.urandom(32)),
            "X-Source-Key": keys[0].text,
            "Content-Type": "application/octet-stream",
        },
    )
    assert status == 201, body


def _review(server: LiveServer) -> None:
    [credentials_file] = [
        p
        for p in sorted((server.data_dir / "demo").glob("*.login.json"))
        if p.name.startswith("demo-reviewer")
    ][:1] or [None]
    assert credentials_file is not None, "sori demo made no reviewer login"
    credentials = json.loads(credentials_file.read_text())
    reviewer = Visitor(server)
    status, _ = reviewer.form(
        "/reviewer/login",
        {
            "csrf_token": reviewer.token("/reviewer/login"),
            "login": credentials["login"],
            "password": "wrong one",
        },
    )
    assert status in (400, 401, 403)
    status, _ = reviewer.form(
        "/reviewer/login",
        {
            "csrf_token": reviewer.token("/reviewer/login"),
            "login": credentials["login"],
            "password": credentials["password"],
        },
    )
    assert status == 302
    code = pyotp.TOTP(credentials["totp_secret"]).now()
    status, _ = reviewer.form(
        "/reviewer/login/code", {"csrf_token": reviewer.token("/reviewer/login/code"), "code": code}
    )
    assert status == 302
    status, inbox = reviewer.request("GET", "/reviewer/inbox")
    assert status == 200
    opened = 0
    for submission in sorted(set(re.findall(rb"/reviewer/submissions/([0-9A-Za-z_-]+)", inbox))):
        status, page = reviewer.request("GET", "/reviewer/submissions/" + submission.decode())
        assert status == 200
        for envelope in set(re.findall(rb"/reviewer/api/envelopes/([0-9]+)", page)):
            status, _ = reviewer.request("GET", "/reviewer/api/envelopes/" + envelope.decode())
            opened += status == 200
    assert opened >= 2
    for path in ("/reviewer/admin/audit", "/reviewer/keys", "/reviewer/no-such-page"):
        reviewer.request("GET", path)


def _hostile(server: LiveServer) -> None:
    visitor = Visitor(server)
    visitor.request("GET", "/no-such-page")
    visitor.request(
        "POST", "/submit", b"--x\r\ngarbage", **{"Content-Type": "multipart/form-data; boundary=x"}
    )
    visitor.request("POST", "/api/uploads", b'{"size": 5}', **{"Content-Type": "application/json"})
    host, port = server.url.removeprefix("http://").split(":")
    # What the development server logs itself: a request line it cannot parse.
    for raw in (
        b"GARBAGE\r\n\r\n",
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\r\n\r\n",
    ):
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            connection.sendall(raw)
            try:
                connection.recv(4096)
            except (TimeoutError, ConnectionError):
                pass


def _scan(name: str, data: bytes, *, ciphertext: bool = False) -> list[str]:
    problems = []
    if SENTINEL.encode() in data or SENTINEL.split()[0].encode() in data:
        problems.append(f"{name}: the plaintext sentinel")
    if not ciphertext:
        # Ciphertext is random bytes: an address-like run in it is chance, and it cannot be read anyway.
        problems += [f"{name}: address {address}" for address in addresses(data)]
    return problems


def test_after_a_full_run_no_plaintext_and_no_address_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_tmp = tmp_path / "server-tmp"
    server_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(server_tmp))
    (tmp_path / "run").mkdir()
    with run_live_server(tmp_path / "run") as server:
        source = Visitor(server)
        _submit_without_javascript(source)
        _submit_in_one_request(Visitor(server))
        _review(server)
        _hostile(server)
        database = server.database_text()
    problems = []
    log = server.log_path.read_bytes()
    assert log.count(b"Sori is running on") == 1, log[-2000:]
    problems += _scan("server log", _LISTEN_LINE.sub(b"", log))
    problems += _scan("database rows", database)
    scanned = 0
    for folder in (server.data_dir, server_tmp):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            blob = "blobs" in path.relative_to(folder).parts
            problems += _scan(str(path.relative_to(tmp_path)), path.read_bytes(), ciphertext=blob)
            scanned += 1
    assert scanned >= 3
    assert problems == []
