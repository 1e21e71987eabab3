"""Running the shipped deploy/ files in a temporary folder: gunicorn with deploy/gunicorn.conf.py on a free
loopback port, nginx with deploy/nginx/ in a prefix of its own, and a small HTTP client that streams a
multipart body slowly."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
SITE = DEPLOY / "nginx" / "sori.conf"
SNIPPET = DEPLOY / "nginx" / "sori-locations.conf"
BIN = Path(sys.executable).parent

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None
)
NGINX_TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
#: Debian's brotli_static module (libnginx-mod-http-brotli-static), loaded as Debian's nginx.conf would.
BROTLI_MODULE_PATH = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")
BROTLI_MODULE = f"load_module {BROTLI_MODULE_PATH};"

# The values the shipped files use, which the tests replace (each must be present, see _replace).
SITE_LISTEN = "listen 127.0.0.1:8080;"
SITE_UPSTREAM = "server 127.0.0.1:8000;"
SITE_ERROR_LOG = "error_log /var/log/nginx/sori-error.log crit;"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(ready: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not come up within {seconds} s")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"the shipped nginx site no longer contains {old!r}: update tests/deploy"
    return text.replace(old, new)


def uncomment_clearnet(site: str, cert: Path, key: Path) -> str:
    """The site with its commented clearnet section switched on, certificates replaced by ``cert``/``key``."""
    begin, end = "# --- clearnet (HTTPS) begin", "# --- clearnet (HTTPS) end"
    head, rest = site.split(begin, 1)
    section, tail = rest.split(end, 1)
    begin_line, section = section.split("\n", 1)  # the rest of the marker line stays a comment
    lines = []
    for line in section.splitlines():
        if line.startswith("# ") and not line.startswith("# #"):
            line = line[2:]
            if line.startswith(("server {", "}", " ")):
                lines.append(line)
    text = "\n".join(lines)
    text = re.sub(r"ssl_certificate /\S+;", f"ssl_certificate {cert};", text)
    text = re.sub(r"ssl_certificate_key /\S+;", f"ssl_certificate_key {key};", text)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{free_port()};").replace("listen [::]:80;", "")
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{free_port()} ssl http2;")
    text = text.replace("listen [::]:443 ssl http2;", "")
    return f"{head}{begin}{begin_line}\n{text}\n{end}{tail}"


def render_nginx(
    prefix: Path,
    *,
    listen_port: int,
    upstream_port: int,
    error_level: str = "crit",
    edit: Callable[[str], str] = lambda text: text,
) -> Path:
    """deploy/nginx/ laid out in ``prefix`` as on Debian (sites/ and snippets/), inside a main configuration
    whose pid, logs and temporary folders are all under ``prefix``. Returns the main configuration."""
    (prefix / "snippets").mkdir(parents=True)
    (prefix / "sites").mkdir()
    (prefix / "logs").mkdir()
    # The static files are served from this checkout rather than from /srv/sori.
    snippet = SNIPPET.read_text(encoding="utf-8").replace("/srv/sori/", f"{REPO}/")
    (prefix / "snippets" / SNIPPET.name).write_text(snippet, encoding="utf-8")
    site = SITE.read_text(encoding="utf-8")
    site = _replace(site, SITE_LISTEN, f"listen 127.0.0.1:{listen_port};")
    site = _replace(site, SITE_UPSTREAM, f"server 127.0.0.1:{upstream_port};")
    site = _replace(site, SITE_ERROR_LOG, f"error_log {prefix}/logs/sori-error.log {error_level};")
    (prefix / "sites" / "sori.conf").write_text(edit(site), encoding="utf-8")
    temp_paths = "\n".join(f"    {name}_temp_path {prefix}/{name};" for name in NGINX_TEMP_DIRS)
    main = f"""
{BROTLI_MODULE}
daemon off;
master_process off;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
{temp_paths}
    include {prefix}/sites/sori.conf;
}}
"""
    config = prefix / "nginx.conf"
    config.write_text(main, encoding="utf-8")
    return config


@contextlib.contextmanager
def nginx_in_front(prefix: Path, ports: list[int]) -> Iterator[int]:
    """The shipped nginx site running in ``prefix`` with every port of ``ports`` as an app host of its
    ``upstream sori`` (deploy/README.md, "Several app hosts"); yields the port nginx listens on."""
    assert NGINX is not None, "nginx is absent (Debian package nginx; scripts/test.sh installs it)"
    port = free_port()
    first = f"server 127.0.0.1:{ports[0]};"
    every = "\n    ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in ports)
    config = render_nginx(
        prefix, listen_port=port, upstream_port=ports[0], edit=lambda site: site.replace(first, every)
    )
    process = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        # /health goes through to an app host and its database: allow for a busy machine.
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/health"), 60, "nginx")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def nginx_test(prefix: Path, config: Path) -> subprocess.CompletedProcess[str]:
    assert NGINX
    return subprocess.run(
        [NGINX, "-t", "-p", str(prefix), "-c", str(config)], capture_output=True, text=True, timeout=30
    )


def files_below(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


class Upload:
    """A multipart POST to /submit, sent in small pieces with ``check`` called between them."""

    BOUNDARY = "----sori-deploy-test-boundary"

    def __init__(self, fields: dict[str, str], file_name: str, content: bytes) -> None:
        parts = []
        for name, value in fields.items():
            parts.append(
                f"--{self.BOUNDARY}\r\nContent-Disposition: form-data; "
                f'name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        parts.append(
            f'--{self.BOUNDARY}\r\nContent-Disposition: form-data; name="attachments"; '
            f'filename="{file_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{self.BOUNDARY}--\r\n".encode())
        self.body = b"".join(parts)

    def send(
        self, port: int, cookie: str, *, piece: int = 256 * 1024, check: Callable[[], None] = lambda: None
    ) -> tuple[int, dict[str, list[str]], str]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.putrequest("POST", "/submit?lang=en")
            conn.putheader("Content-Type", f"multipart/form-data; boundary={self.BOUNDARY}")
            conn.putheader("Content-Length", str(len(self.body)))
            conn.putheader("Cookie", cookie)
            conn.endheaders()
            for offset in range(0, len(self.body), piece):
                conn.send(self.body[offset : offset + piece])
                time.sleep(0.02)
                check()
            response = conn.getresponse()
            headers: dict[str, list[str]] = {}
            for name, value in response.getheaders():
                headers.setdefault(name.lower(), []).append(value)
            return response.status, headers, response.read().decode("utf-8")
        finally:
            conn.close()


def form_page(port: int) -> tuple[str, str, dict[str, list[str]]]:
    """GET /submit: the CSRF token, the session cookie and the response headers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/submit?lang=en")
        response = conn.getresponse()
        page = response.read().decode("utf-8")
        assert response.status == 200, page[:500]
        headers: dict[str, list[str]] = {}
        for name, value in response.getheaders():
            headers.setdefault(name.lower(), []).append(value)
    finally:
        conn.close()
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the form page has no CSRF token"
    cookie = "; ".join(c.split(";", 1)[0] for c in headers.get("set-cookie", []))
    assert cookie, "the form page set no session cookie"
    return match.group(1), cookie, headers


RECEIPT = re.compile(r'id="receipt-value">([0-9 ]{19})<')
