"""deploy/nginx/: what the site promises, read from the files, and `nginx -t` on them as shipped."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from core.security import CONTENT_SECURITY_POLICY, SECURITY_HEADERS
from tests.deploy.helpers import NGINX, SITE, SNIPPET, free_port, nginx_test, render_nginx, uncomment_clearnet

UPLOAD_LOCATIONS = ("location = /submit", "location = /api/submissions", "location ^~ /api/uploads")

needs_nginx = pytest.mark.skipif(
    NGINX is None, reason="the nginx binary is absent (Debian package nginx; scripts/test.sh installs it)"
)


def _directives(text: str) -> str:
    """The text without comments."""
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def _block(text: str, opening: str) -> str:
    start = text.index(opening)
    body_start = text.index("{", start) + 1
    return text[body_start : text.index("}", body_start)]


def test_upload_locations_pass_bodies_through_unbuffered() -> None:
    snippet = _directives(SNIPPET.read_text(encoding="utf-8"))
    for opening in UPLOAD_LOCATIONS:
        block = _block(snippet, opening)
        assert re.search(r"^\s*proxy_request_buffering off;", block, re.M), opening
        assert re.search(r"^\s*client_body_buffer_size \d+k;", block, re.M), opening
        assert re.search(r"^\s*client_max_body_size 1g;", block, re.M), opening
        assert "proxy_pass http://sori;" in block
    # The server level too, so that no other location spools a body, and no response goes to disk.
    assert re.search(r"^proxy_request_buffering off;", snippet, re.M)
    assert re.search(r"^proxy_max_temp_file_size 0;", snippet, re.M)
    assert re.search(r"^proxy_http_version 1\.1;", snippet, re.M)
    assert "client_body_in_file_only on" not in snippet


def test_nothing_is_logged_and_no_address_is_passed_on() -> None:
    site = _directives(SITE.read_text(encoding="utf-8"))
    snippet = _directives(SNIPPET.read_text(encoding="utf-8"))
    assert re.search(r"^access_log off;", snippet, re.M)
    for error_log in re.findall(r"error_log [^;]*;", site + snippet):
        assert error_log.endswith((" crit;", " alert;", " emerg;")), error_log
    shipped = SITE.read_text(encoding="utf-8") + SNIPPET.read_text(encoding="utf-8")
    for variable in (
        "$remote_addr",
        "$proxy_add_x_forwarded_for",
        "$realip_remote_addr",
        "$binary_remote_addr",
    ):
        assert variable not in shipped
    for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
        assert f'proxy_set_header {header} "";' in snippet
    assert "server_tokens off;" in snippet


def test_security_headers_are_the_applications() -> None:
    snippet = _directives(SNIPPET.read_text(encoding="utf-8"))
    added = dict(re.findall(r'^add_header ([\w-]+) "([^"]*)" always;', snippet, re.M))
    assert added["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert added == SECURITY_HEADERS
    for name in SECURITY_HEADERS:  # the application's copies are hidden, so each is sent once
        assert re.search(rf"^proxy_hide_header {name};", snippet, re.M), name


@needs_nginx
def test_nginx_accepts_the_site_as_shipped(tmp_path: Path) -> None:
    config = render_nginx(tmp_path, listen_port=free_port(), upstream_port=free_port())
    result = nginx_test(tmp_path, config)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@needs_nginx
def test_nginx_accepts_the_commented_clearnet_section_once_uncommented(tmp_path: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is absent: cannot make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=sori.test"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    prefix = tmp_path / "nginx"
    config = render_nginx(
        prefix,
        listen_port=free_port(),
        upstream_port=free_port(),
        edit=lambda site: uncomment_clearnet(site, cert, key),
    )
    site = (prefix / "sites" / "sori.conf").read_text(encoding="utf-8")
    assert "ssl_certificate_key" in _directives(site) and "Onion-Location" in _directives(site)
    assert "return 301 https://$host$request_uri;" in _directives(site)
    result = nginx_test(prefix, config)
    assert result.returncode == 0, result.stderr


@needs_nginx
def test_nginx_sends_the_precompressed_static_files_and_never_compresses_pages(tmp_path: Path) -> None:
    """The shipped site serves static files from the checkout as their brotli or gzip copy (brotli_static,
    gzip_static) with the security headers, and leaves everything else, pages included, to the
    application uncompressed."""
    import gzip
    import http.client

    import brotli

    from core import assets, precompressed
    from core.config import REPO_ROOT

    css = REPO_ROOT / "static" / "sori.css"
    envelope_code = assets.CRYPTO_JS_DIR / "sori-envelope.js"
    precompressed.build([css, envelope_code])
    port = free_port()
    config = render_nginx(tmp_path, listen_port=port, upstream_port=free_port())
    process = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(config)], stderr=subprocess.PIPE)
    try:

        def get(path: str, encoding: str) -> tuple[int, dict[str, str], bytes]:
            for _ in range(50):
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    conn.request("GET", path, headers={"Accept-Encoding": encoding})
                    response = conn.getresponse()
                    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
                except ConnectionRefusedError:
                    time.sleep(0.1)
            raise AssertionError("nginx did not start")

        for path, file in (("/static/sori.css?v=1", css), ("/static/crypto/sori-envelope.js", envelope_code)):
            for encoding, decode in (("br", brotli.decompress), ("gzip", gzip.decompress)):
                status, headers, body = get(path, encoding)
                assert status == 200 and headers["content-encoding"] == encoding, (path, headers)
                assert decode(body) == file.read_bytes()
                assert "accept-encoding" in headers["vary"].lower()
                assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
            status, headers, body = get(path, "identity")
            assert "content-encoding" not in headers and body == file.read_bytes()
        # A page goes to the application (down here: 502), and nginx compresses nothing of its own.
        status, headers, _ = get("/submit", "br, gzip")
        assert status == 502 and "content-encoding" not in headers
    finally:
        process.terminate()
        process.wait(timeout=10)
