"""Several Sori app hosts on one PostgreSQL, for the multi-host tests (issue 15), on loopback only.

- :class:`Cluster`: ``sori init`` once on the shared database, one vetted recipient; :meth:`Cluster.host`
  starts another app host: gunicorn with deploy/gunicorn.conf.py (gevent) on a free port, a data folder of
  its own, and what every host shares (the database, ``SORI_BLOB_STORE=database``, ``SORI_SECRET_KEY``,
  ``SORI_EXPORT_KEY_FILE``); :meth:`Cluster.nginx` the shipped nginx site with every host as upstream.
- :func:`upload_in_pieces`: the browser path in pieces as static/js/upload.js sends it: each piece to the
  next host in turn, and after a dropped connection or a 5xx, an empty PUT that asks where the upload
  stands, then on from there (on whichever host answers).

Built on tests/reliability/harness.py (instances, gunicorn in a process group of its own, simulated sources,
the audit of what was stored) and tests/deploy/helpers.py (the nginx site in a prefix of its own).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core import form_nonces, receipts
from tests.deploy.helpers import nginx_in_front
from tests.reliability.harness import (
    ROOT,
    SOURCE_KEY,
    Attempt,
    Gunicorn,
    Instance,
    NoAnswer,
    Sealed,
    Source,
)

#: gunicorn as deploy/ runs it, one worker per host: two hosts share the machine's two cores.
SHIPPED_ONE_WORKER = f"-c {ROOT / 'deploy' / 'gunicorn.conf.py'} -w 1"
#: How often a piece is retried before the upload gives up (upload.js: PUT_ATTEMPTS).
PUT_ATTEMPTS = 8


@dataclass
class Cluster(Instance):
    """The shared part of several app hosts; ``folder`` holds each host's data folder and the shared key."""

    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    hosts: list[Gunicorn] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {
            **super().env,
            "SORI_BLOB_STORE": "database",
            "SORI_SECRET_KEY": self.secret_key,
            "SORI_EXPORT_KEY_FILE": str(self.folder / "export-signing.key"),
        }

    def host(self, name: str, settings: str = SHIPPED_ONE_WORKER) -> Gunicorn:
        """Start one more app host: same settings, its own port and data folder."""
        host = _Host(self.folder / name, self.database_url, self.identity, shared=self.env)
        server = Gunicorn(host, settings, self.folder / f"{name}.log", None).start()
        self.hosts.append(server)
        return server

    @contextlib.contextmanager
    def app_context(self) -> Iterator[None]:
        with _app_context(self.data_dir, self.database_url):
            yield

    def stop(self) -> None:
        for server in self.hosts:
            server.kill()

    def nginx(self, ports: list[int]) -> contextlib.AbstractContextManager[int]:
        """The shipped nginx site with every port in ``ports`` as an app host of ``upstream sori``."""
        return nginx_in_front(self.folder / "nginx", ports)


@dataclass
class _Host(Instance):
    """One app host: its own data folder, the cluster's settings otherwise."""

    shared: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return {**self.shared, "SORI_DATA_DIR": str(self.data_dir)}


@contextlib.contextmanager
def _app_context(data_dir: Path, database_url: str) -> Iterator[None]:
    from core import db
    from sori import create_app

    app = create_app(
        {"SORI_DATA_DIR": data_dir, "SORI_DATABASE_URL": database_url, "SORI_BLOB_STORE": "database"}
    )
    try:
        with app.app_context():
            yield
    finally:
        db.database(app).engine.dispose()


def sources(ports: list[int]) -> list[Source]:
    """One simulated source per host, all with the session and CSRF token of one visit to the form (the
    hosts share the secret key, so any host takes them)."""
    first = Source(ports[0])
    first.open_form()
    others = []
    for port in ports[1:]:
        other = Source(port)
        other.token, other.cookie = first.token, first.cookie
        others.append(other)
    return [first, *others]


def upload_in_pieces(
    hosts: list[Source],
    sealed: Sealed,
    piece: int,
    pause: float = 0.0,
    dropped: list[int] | None = None,
    acknowledged: Callable[[], None] | None = None,
) -> Attempt:
    """The browser path in pieces, each request to the next host in turn, resumed as upload.js resumes;
    the status of each answer that made it resume (0: none came) is added to ``dropped``, and
    ``acknowledged`` is called after each piece a host took."""
    attempt = Attempt("pieces", sealed=sealed)
    turn = itertools.cycle(hosts)
    status, body = _retried(turn, "POST", "/api/uploads", json.dumps({"size": len(sealed.data)}).encode())
    if status != 201:
        attempt.status, attempt.error = status, f"start: {body[:200]!r}"
        return attempt
    upload_id = json.loads(body)["id"]
    received = 0
    failures = 0
    probe = False
    while received < len(sealed.data):
        data = b"" if probe else sealed.data[received : received + piece]
        headers = {"Content-Type": "application/octet-stream", "X-Upload-Offset": str(received)}
        try:
            status, body, _ = next(turn).request("PUT", f"/api/uploads/{upload_id}", data, headers)
        except NoAnswer:
            status, body = 0, b"{}"
        if status in (200, 409) and "received" in (answer := json.loads(body or b"{}")):
            received, probe = answer["received"], False
            if acknowledged is not None:
                acknowledged()
            if pause:
                time.sleep(pause)
            continue
        failures += 1
        if dropped is not None:
            dropped.append(status)
        if failures >= PUT_ATTEMPTS or (status and status < 500):
            attempt.status, attempt.error = status, f"piece at {received}: {body[:200]!r}"
            return attempt
        probe = True
        time.sleep(0.2 * failures)
    key = secrets.token_bytes(32)
    finish = {
        "receipt_key": receipts.encode_key(key),
        "source_key": SOURCE_KEY,
        "form_nonce": form_nonces.new(),
    }
    status, body = _retried(turn, "POST", f"/api/uploads/{upload_id}/finish", json.dumps(finish).encode())
    return Source._browser_answer(attempt, key, status, body)


def _retried(turn: Iterator[Source], method: str, path: str, body: bytes) -> tuple[int, bytes]:
    """A JSON request, sent again to the next host when it gets no answer at all (the host died)."""
    for _ in range(PUT_ATTEMPTS):
        try:
            status, answer, _ = next(turn).request(method, path, body, {"Content-Type": "application/json"})
        except NoAnswer:
            time.sleep(0.2)
            continue
        if status != 502:
            return status, answer
    return 0, b"no host answered"
