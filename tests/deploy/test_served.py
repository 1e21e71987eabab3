"""gunicorn with deploy/gunicorn.conf.py, then nginx with deploy/nginx/ in front of it: a source submits
through both, gunicorn logs no request line or address, and nginx never writes the body to disk."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core import form_nonces
from core.security import SECURITY_HEADERS
from crypto.keys import Identity
from tests.databases import fresh_database
from tests.deploy.helpers import (
    BIN,
    DEPLOY,
    NGINX,
    NGINX_TEMP_DIRS,
    RECEIPT,
    REPO,
    Upload,
    answers,
    files_below,
    form_page,
    free_port,
    render_nginx,
    wait_until,
)

SENTINEL = "SENTINEL-deploy 회령 보위부"
FIELDS = {
    "submitter": "survivor",
    "what_happened": SENTINEL,
    "violations": "forced_labour",
    "consent_documentation": "yes",
    "consent_sanctions": "no",
}


@dataclass
class Gunicorn:
    port: int
    log: Path
    data_dir: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    """`sori init`, one vetted recipient by `sori recipients add`, then gunicorn on the shipped config."""
    tmp = tmp_path_factory.mktemp("gunicorn")
    with fresh_database(tmp) as database_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SORI_", "GUNICORN_"))}
        env.update(SORI_DATA_DIR=str(tmp / "data"), SORI_DATABASE_URL=database_url)
        for command in (["init"], ["recipients", "add", "tester", Identity.generate().public_key.text]):
            subprocess.run(
                [BIN / "sori", *command], env=env, cwd=REPO, check=True, capture_output=True, timeout=60
            )
        port, log = free_port(), tmp / "gunicorn.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [BIN / "gunicorn", "--config", DEPLOY / "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
                env=env,
                cwd=REPO,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until(lambda: answers(f"http://127.0.0.1:{port}/health"), 30, "gunicorn")
            yield Gunicorn(port, log, tmp / "data")
        finally:
            _stop(process)


def _no_sentinel_in(folder: Path) -> None:
    for path in files_below(folder):
        assert SENTINEL.encode() not in path.read_bytes(), path


def test_gunicorn_serves_a_submission_and_logs_no_request(gunicorn: Gunicorn) -> None:
    token, cookie, headers = form_page(gunicorn.port)
    assert headers["content-security-policy"] == [SECURITY_HEADERS["Content-Security-Policy"]]
    status, _, page = Upload(
        {"csrf_token": token, "form_nonce": form_nonces.new(), **FIELDS}, "note.txt", b"a small file"
    ).send(gunicorn.port, cookie)
    assert status == 200, page[:1000]
    assert RECEIPT.search(page), "no receipt on the page"
    _no_sentinel_in(gunicorn.data_dir)

    # A malformed request: gunicorn logs "Invalid request from ip=127.0.0.1"; the shipped filter cuts it.
    with socket.create_connection(("127.0.0.1", gunicorn.port), timeout=5) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        sock.recv(1024)
    wait_until(lambda: "Invalid request" in gunicorn.output(), 5, "the log line of the malformed request")

    lines = [line for line in gunicorn.output().splitlines() if "Listening at:" not in line]
    text = "\n".join(lines)
    assert "Booting worker" in text and "Using worker: gevent" in text
    assert "ip=-" in text
    for forbidden in ("127.0.0.1", "GET /", "POST /", "HTTP/1.1", "/submit", "/health"):
        assert forbidden not in text, f"{forbidden!r} in gunicorn's output:\n{text}"


@dataclass
class Nginx:
    port: int
    prefix: Path
    pid: int


@pytest.fixture
def nginx(tmp_path: Path, gunicorn: Gunicorn, request: pytest.FixtureRequest) -> Iterator[Nginx]:
    """nginx in front of the gunicorn above, in a prefix of its own (master_process off: one process)."""
    if NGINX is None:
        pytest.skip("the nginx binary is absent (Debian package nginx; scripts/test.sh installs it)")
    port = free_port()
    edit = getattr(request, "param", lambda site: site)
    # Logged at warn here (shipped: crit) so that "a client request body is buffered to a temporary file"
    # would show up.
    config = render_nginx(tmp_path, listen_port=port, upstream_port=gunicorn.port, error_level="warn")
    site = tmp_path / "sites" / "sori.conf"
    site.write_text(edit(site.read_text(encoding="utf-8")), encoding="utf-8")
    snippet = tmp_path / "snippets" / "sori-locations.conf"
    snippet.write_text(edit(snippet.read_text(encoding="utf-8")), encoding="utf-8")
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_until(
            lambda: answers(f"http://127.0.0.1:{port}/health") or process.poll() is not None, 15, "nginx"
        )
        assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
        yield Nginx(port, tmp_path, process.pid)
    finally:
        _stop(process)


def _upload_through(nginx: Nginx) -> tuple[int, dict[str, list[str]], str, list[Path]]:
    """A 4 MiB no-JS submission sent slowly through nginx; also returns every file seen in (or open from)
    nginx's temporary folders while it went through."""
    token, cookie, _ = form_page(nginx.port)
    content = (SENTINEL.encode() + os.urandom(4096)) * 1024  # about 4 MiB of "photo"
    seen: list[Path] = []

    temp_dirs = [str(nginx.prefix / name) for name in NGINX_TEMP_DIRS]

    def look_in_temp_dirs() -> None:
        # nginx unlinks a temporary file as soon as it has opened it, so the folders look empty even while
        # a body is spooled: look at the files the nginx process holds open as well.
        for name in NGINX_TEMP_DIRS:
            seen.extend(files_below(nginx.prefix / name))
        for fd in Path(f"/proc/{nginx.pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith(tuple(temp_dirs)):
                seen.append(Path(target))

    status, headers, page = Upload(
        {"csrf_token": token, "form_nonce": form_nonces.new(), **FIELDS}, "photo.jpg", content
    ).send(nginx.port, cookie, check=look_in_temp_dirs)
    look_in_temp_dirs()
    return status, headers, page, seen


def test_through_nginx_headers_match_and_no_body_touches_the_disk(nginx: Nginx, gunicorn: Gunicorn) -> None:
    _, _, headers = form_page(nginx.port)
    for name, value in SECURITY_HEADERS.items():
        assert headers[name.lower()] == [value], name  # once, not nginx's and the app's
    assert headers["server"] == ["nginx"]  # server_tokens off: no version

    status, headers, page, seen = _upload_through(nginx)
    assert status == 200, page[:1000]
    assert RECEIPT.search(page), "no receipt on the page"
    assert headers["content-security-policy"] == [SECURITY_HEADERS["Content-Security-Policy"]]
    assert seen == [], "nginx wrote a request body to its temporary folder"
    logs = "\n".join(p.read_text(errors="replace") for p in files_below(nginx.prefix / "logs"))
    assert "buffered to a temporary file" not in logs
    assert "127.0.0.1" not in logs and "/submit" not in logs, logs  # nothing per request, even at warn
    _no_sentinel_in(nginx.prefix)
    _no_sentinel_in(gunicorn.data_dir)


@pytest.mark.parametrize(
    "nginx",
    [lambda text: text.replace("proxy_request_buffering off;", "proxy_request_buffering on;")],
    indirect=True,
)
def test_the_check_would_see_a_spooled_body(nginx: Nginx) -> None:
    """The control: with request buffering on, the same upload does land in client_body_temp_path, so the
    test above would catch it."""
    status, _, page, seen = _upload_through(nginx)
    assert status == 200, page[:1000]
    assert seen and all("client_body" in str(path) for path in seen)
    logs = "\n".join(p.read_text(errors="replace") for p in files_below(nginx.prefix / "logs"))
    assert "buffered to a temporary file" in logs
