"""What the abuse tests share: Sori under gunicorn with the shipped configuration (deploy/gunicorn.conf.py),
a reviewer logged in over HTTP, timed requests, slow-loris bodies and the memory of the server.

Built on tests/reliability/harness.py (a set-up instance, gunicorn in a process group of its own, simulated
sources). The bench (bench/abuse.py) drives the same pieces for longer and prints the figures.
"""

from __future__ import annotations

import contextlib
import html
import http.client
import os
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask

from tests.reliability.harness import ROOT, Gunicorn, Instance
from tests.reviewer.helpers import PASSWORD, fresh_code, make_user
from tests.reviewer.reading_helpers import add_submission, give_vetted_key

#: gunicorn exactly as deploy/ runs it; the harness adds only the address and the log file.
SHIPPED = f"-c {ROOT / 'deploy' / 'gunicorn.conf.py'}"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class AbuseInstance(Instance):
    """A set-up Sori whose server gets ``extra_env`` too (e.g. a shorter grace for slow bodies)."""

    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, **self.extra_env}

    def shipped(self) -> Gunicorn:
        return self.gunicorn(SHIPPED)

    def app(self) -> Flask:
        """An application in this process on the same data folder and database (to set things up)."""
        from sori import create_app

        return create_app({"SORI_DATA_DIR": self.data_dir, "SORI_DATABASE_URL": self.database_url})


class Browser:
    """One person's HTTP session: a cookie jar of one cookie (Sori's session) and the forms' CSRF token."""

    def __init__(self, port: int, timeout: float = 30) -> None:
        self.port = port
        self.timeout = timeout
        self.cookie = ""
        self.token = ""

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers={"Cookie": self.cookie, **(headers or {})})
            response = conn.getresponse()
            data = response.read()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                if cookie.startswith("session="):
                    self.cookie = cookie.split(";")[0]
            return response.status, data
        finally:
            conn.close()

    def form(self, path: str) -> None:
        """GET a page with a form: its CSRF token."""
        status, page = self.request("GET", path)
        found = _CSRF.search(page.decode("utf-8"))
        if status != 200 or found is None:
            raise RuntimeError(f"GET {path} answered {status} without a form")
        self.token = html.unescape(found.group(1))

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, bytes]:
        body = urllib.parse.urlencode({"csrf_token": self.token, **fields}).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})


@dataclass
class Reviewer:
    """A reviewer with a vetted key and a few submissions to read."""

    login: str
    secret: str
    envelope_ids: list[int]


def add_reviewer(instance: AbuseInstance, login: str = "kim", submissions: int = 3) -> Reviewer:
    app = instance.app()
    try:
        user_id, secret = make_user(app, login, "reviewer")
        give_vetted_key(app, user_id)
        envelopes = [add_submission(app, {"what_happened": f"test {i}"})[1] for i in range(submissions)]
        return Reviewer(login, secret, envelopes)
    finally:
        from core import db

        db.database(app).engine.dispose()


def log_in(instance: AbuseInstance, reviewer: Reviewer) -> Browser:
    """A browser logged in as ``reviewer`` through the real pages (password, then a TOTP code)."""
    browser = Browser(instance.port)
    browser.form("/reviewer/login")
    status, _ = browser.post_form("/reviewer/login", {"login": reviewer.login, "password": PASSWORD})
    assert status == 302, f"the password step answered {status}"
    browser.form("/reviewer/login/code")
    app = instance.app()
    try:
        code = fresh_code(app, reviewer.login, reviewer.secret)
    finally:
        from core import db

        db.database(app).engine.dispose()
    status, _ = browser.post_form("/reviewer/login/code", {"code": code})
    assert status == 302, f"the code step answered {status}"
    return browser


def timed(browser: Browser, path: str) -> tuple[int | None, float]:
    """(status, seconds) of a GET; status ``None`` when no answer came."""
    started = time.monotonic()
    try:
        status, _ = browser.request("GET", path)
    except (OSError, http.client.HTTPException):
        status = None
    return status, time.monotonic() - started


@dataclass
class SlowLoris:
    """Bodies that are not uploads: ``count`` POST /submit requests announcing 10 MiB and sending a byte
    every ``every`` seconds, from one thread."""

    port: int
    count: int
    every: float = 5.0
    sockets: list[socket.socket] = field(default_factory=list)
    #: What each connection has received so far, and whether the server closed it.
    received: list[bytes] = field(default_factory=list)
    closed: list[bool] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def open(self) -> None:
        head = (
            "POST /submit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10485760\r\n"
            "Content-Type: multipart/form-data; boundary=slowloris\r\n\r\n"
            '--slowloris\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        ).encode()
        for _ in range(self.count):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            sock.sendall(head)
            sock.setblocking(False)
            self.sockets.append(sock)
            self.received.append(b"")
            self.closed.append(False)
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _trickle(self) -> None:
        while not self._stop.wait(self.every):
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.send(b"x")

    def poll(self) -> None:
        """Read what has arrived on each connection."""
        for i, sock in enumerate(self.sockets):
            if self.closed[i]:
                continue
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                self.received[i] += data
            else:
                self.closed[i] = True

    @property
    def waiting(self) -> int:
        """Connections with no answer yet and still open."""
        self.poll()
        pairs = zip(self.received, self.closed, strict=True)
        return sum(1 for data, closed in pairs if not data and not closed)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        for sock in self.sockets:
            sock.close()


@contextlib.contextmanager
def slow_loris(port: int, count: int, every: float = 5.0) -> Iterator[SlowLoris]:
    attack = SlowLoris(port, count, every)
    try:
        attack.open()
        yield attack
    finally:
        attack.close()


def group_rss_mib(pgid: int) -> float:
    """The resident memory of every process in the group (gunicorn's master and workers), in MiB."""
    total_kib = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            if int(stat[stat.rindex(")") + 2 :].split()[2]) != pgid:
                continue
            for line in Path(f"/proc/{entry}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
    return total_kib / 1024


def within(latencies: list[float], seconds: float) -> float:
    """The share of ``latencies`` at most ``seconds``."""
    return sum(1 for s in latencies if s <= seconds) / len(latencies) if latencies else 0.0
