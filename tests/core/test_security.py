"""Security headers on every response, cookie flags, CSRF refusal, and logs without addresses."""

from __future__ import annotations

import io
import logging
import tempfile
from pathlib import Path

import pytest
from flask import Flask, render_template_string, request
from flask.testing import FlaskClient

from core.security import SECURITY_HEADERS, AddressFilter, csrf
from sori import create_app

EXPECTED_CSP = (
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?lang=en",
        "/health",
        "/no-such-page",
        "/vendor/libsodium.js",
        "/vendor/not-allowed.js",
        "/static/sori.css",
        "/static/quick-exit.js",
    ],
)
def test_every_response_has_the_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == EXPECTED_CSP
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Set-Cookie" not in response.headers  # a source reading a page gets no cookie


def test_headers_on_server_errors_too(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret detail")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert dict(response.headers).items() >= SECURITY_HEADERS.items()
    assert "secret detail" not in response.get_data(as_text=True)


def form_app(app: Flask) -> Flask:
    @app.route("/form", methods=["GET", "POST"])
    def form() -> str:
        return render_template_string(
            '<form method="post"><input name="csrf_token" value="{{ csrf_token() }}">'
        )

    return app


def test_post_without_csrf_token_is_refused(app: Flask) -> None:
    client = form_app(app).test_client()
    response = client.post("/form", data={"answer": "x"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "요청을 처리할 수 없습니다" in body
    assert "CSRF" not in body


def test_post_with_csrf_token_is_accepted(app: Flask) -> None:
    client = form_app(app).test_client()
    page = client.get("/form")
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    token = page.get_data(as_text=True).split('value="')[1].split('"')[0]
    assert client.post("/form", data={"csrf_token": token}).status_code == 200


def test_session_cookie_is_secure_when_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SORI_SECURE_COOKIES", "1")
    app = form_app(create_app({"SORI_DATA_DIR": tmp_path / "d"}))
    assert "; Secure" in app.test_client().get("/form").headers["Set-Cookie"]


def test_csrf_token_lives_long_enough_for_slow_uploads(app: Flask) -> None:
    assert app.config["WTF_CSRF_TIME_LIMIT"] >= 6 * 3600


def record(message: str, level: int = logging.INFO, *args: object) -> logging.LogRecord:
    return logging.LogRecord("werkzeug", level, __file__, 1, message, args, None)


def test_development_server_access_lines_are_dropped() -> None:
    line = record(
        '203.0.113.7 - - [26/Nov/2026 22:50:01] "%s" %s %s', logging.INFO, "GET / HTTP/1.1", "200", "-"
    )
    assert AddressFilter().filter(line) is False


def test_development_server_error_lines_lose_the_address() -> None:
    line = record("2001:db8::1%%eth0 - - [26/Nov/2026 22:50:01] code 400, message %s", logging.ERROR, "Bad")
    assert AddressFilter().filter(line) is True
    assert "2001:db8" not in line.getMessage()
    assert line.getMessage().startswith("- - - [26/Nov/2026")


def test_other_lines_pass_unchanged() -> None:
    line = record(" * Running on http://127.0.0.1:5000")
    assert AddressFilter().filter(line) is True
    assert line.getMessage() == " * Running on http://127.0.0.1:5000"


def test_address_filter_is_installed_once(app: Flask, tmp_path: Path) -> None:
    create_app({"SORI_DATA_DIR": tmp_path / "again"})
    filters = [f for f in logging.getLogger("werkzeug").filters if isinstance(f, AddressFilter)]
    assert len(filters) == 1


def test_requests_log_no_address(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client.get("/", environ_base={"REMOTE_ADDR": "198.51.100.23"})
    client.get("/missing", environ_base={"REMOTE_ADDR": "198.51.100.23"})
    assert "198.51.100.23" not in caplog.text


def test_uploaded_files_are_never_spooled_to_disk(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))

    @app.post("/upload")
    @csrf.exempt
    def upload() -> str:
        return str(len(request.files))

    client = app.test_client()
    big = io.BytesIO(b"plaintext testimony " * 50_000)  # 1 MB, past Werkzeug's 500 KB spooling threshold
    response = client.post("/upload", data={"file": (big, "account.txt")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert list(spool.iterdir()) == []
