"""A real Sori under gunicorn for the reliability suite, simulated sources on its three intake paths, and an
audit of what it stored.

- :class:`Instance`: ``sori init`` on a fresh data folder and database, one vetted recipient made from a
  Python-generated identity; :meth:`Instance.gunicorn` starts gunicorn (2 gthread workers, as deploy/
  would) in a session of its own, so that the whole process group can be killed with SIGKILL.
- :class:`Source`: one simulated source with its CSRF token and session cookie, speaking HTTP/1.1 with
  ``http.client``: the browser path in one request (``/api/submissions``), in pieces (``/api/uploads``), and
  the no-JavaScript form (``/submit``, streamed multipart). Every attempt is recorded with what the source
  was shown: a receipt only on a 201 (browser paths) or on a receipt page (no-JS).
- :func:`audit`: every row's envelope is read and decrypted with the identity; every shown receipt opens a
  submission whose envelopes are the ones sent; blobs without a row and files in ``blobs/tmp`` are counted.

One module of about 560 lines: the server, the sources and the checks are used together by every
reliability test."""

from __future__ import annotations

import contextlib
import hashlib
import html
import http.client
import io
import json
import os
import random
import re
import secrets
import shlex
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from core import db, form_nonces, receipts, submissions
from core.models import Envelope, Submission
from crypto.envelope import decrypt_all, encrypt_parts
from crypto.keys import Identity
from sori import create_app

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
SORI = BIN / "sori"
GUNICORN = BIN / "gunicorn"
KIB = 1024
MIB = 1024 * KIB
#: The public key a source's browser sends with a new receipt (crypto/FORMAT.md 6.1).
SOURCE_KEY = Identity.generate().public_key.text

#: Worker settings as deploy/ would use them on a small server (see bench/intake_throughput.py).
GUNICORN_SETTINGS = "-w 2 -k gthread --threads 4 --timeout 60 --graceful-timeout 5"

KOREAN = "2009년 겨울, 강제송환된 뒤 보위부 구류장에 두 달 동안 갇혀 있었습니다. 취조 때마다 때렸습니다. "


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sori_check_available() -> bool:
    """Whether ``sori check`` exists yet (another issue part adds it)."""
    result = subprocess.run([str(SORI), "check", "--help"], capture_output=True, timeout=60, cwd=ROOT)
    return result.returncode == 0


# --------------------------------------------------------------------------------------------------------
# The server


@dataclass
class Instance:
    """A set-up Sori: data folder, database, and the identity of its one vetted recipient."""

    folder: Path
    database_url: str
    identity: Identity = field(default_factory=Identity.generate)
    port: int = field(default_factory=free_port)

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SORI_")}
        env.update(
            SORI_DATA_DIR=str(self.data_dir),
            SORI_DATABASE_URL=self.database_url,
            SORI_MAX_UPLOAD_BYTES=str(64 * MIB),
            PYTHONDONTWRITEBYTECODE="1",
        )
        return env

    def sori(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SORI), *args],
            env=self.env,
            cwd=self.folder,
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )

    def setup(self) -> Instance:
        self.sori("init")
        self.sori("recipients", "add", "reliability", self.identity.public_key.text)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def gunicorn(
        self,
        settings: str = GUNICORN_SETTINGS,
        log_name: str = "gunicorn.log",
        preexec_fn: Callable[[], None] | None = None,
    ) -> Gunicorn:
        return Gunicorn(self, settings, self.folder / log_name, preexec_fn).start()

    @contextlib.contextmanager
    def app_context(self) -> Iterator[None]:
        """The application in this process, on the same data folder and database, for reading back."""
        app = create_app({"SORI_DATA_DIR": self.data_dir, "SORI_DATABASE_URL": self.database_url})
        try:
            with app.app_context():
                yield
        finally:
            db.database(app).engine.dispose()


class Gunicorn:
    """gunicorn serving Sori in a session (process group) of its own."""

    def __init__(
        self, instance: Instance, settings: str, log: Path, preexec_fn: Callable[[], None] | None
    ) -> None:
        self.instance = instance
        self.settings = settings
        self.log = log
        self.preexec_fn = preexec_fn
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> Gunicorn:
        argv = [
            str(GUNICORN),
            *shlex.split(self.settings),
            "-b",
            f"127.0.0.1:{self.instance.port}",
            "--error-logfile",
            str(self.log),
            "sori:create_app()",
        ]
        self.process = subprocess.Popen(  # noqa: PLW1509  (preexec_fn: a resource limit, set before exec)
            argv,
            cwd=ROOT,
            env=self.instance.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=self.preexec_fn,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.log.read_text()[-3000:]}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", self.instance.port, timeout=5)
                try:
                    conn.request("GET", "/health")
                    if conn.getresponse().status == 200:
                        return self
                finally:
                    conn.close()
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"gunicorn did not answer /health in {timeout} s:\n{self.log.read_text()[-3000:]}")

    def group_alive(self) -> bool:
        """Whether any process of the group still runs (zombies do not count)."""
        assert self.process is not None
        pgid = self.process.pid
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                    return True
        return False

    def freeze(self) -> None:
        """SIGSTOP the master and every worker: the host stops answering but keeps its connections open."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGSTOP)

    def kill(self) -> None:
        """SIGKILL the master and every worker at once (its own process group only), and wait for them."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while self.group_alive():
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn's workers survived SIGKILL")
            time.sleep(0.02)

    def stop(self) -> None:
        """A graceful stop (SIGTERM), then SIGKILL if it takes too long."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


# --------------------------------------------------------------------------------------------------------
# Envelopes and forms


@dataclass(frozen=True)
class Sealed:
    """An envelope made in advance (what the browser would make), and the parts it holds."""

    data: bytes
    parts: tuple[tuple[str, bytes], ...]

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def seal(identity: Identity, attachment_bytes: int, tag: str) -> Sealed:
    answers = json.dumps(
        {
            "format": "sori-answers/1",
            "lang": "ko",
            "path": "browser",
            "fields": {"what_happened": KOREAN + tag},
        },
        ensure_ascii=False,
    ).encode("utf-8")
    parts = [("answers.json", "application/json", answers)]
    if attachment_bytes:
        parts.append(("photo.jpg", "image/jpeg", random.Random(tag).randbytes(attachment_bytes)))
    out = io.BytesIO()
    encrypt_parts(out, [identity.public_key], parts)
    return Sealed(out.getvalue(), tuple((name, data) for name, _type, data in parts))


@dataclass
class Attempt:
    """One submission a source tried, and what it was shown."""

    kind: str  # "single", "pieces", "nojs"
    receipt_key: bytes | None = None  # browser paths: the key the client sent
    receipt: str | None = None  # no-JS: the 16 digits the page showed
    sealed: Sealed | None = None  # browser paths: the envelope sent
    marker: str | None = None  # no-JS: a unique text in what_happened
    attachment: bytes | None = None  # no-JS: the attached file
    status: int | None = None  # the final answer's status, None if no answer came
    error: str | None = None  # why there was no receipt

    @property
    def shown(self) -> bool:
        """Whether the source saw a receipt (the only moment a submission counts as accepted)."""
        return self.receipt_key is not None if self.kind != "nojs" else self.receipt is not None

    @property
    def answered(self) -> bool:
        return self.status is not None


class NoAnswer(Exception):
    """The connection broke before a complete answer (the server was killed)."""


class Source:
    """A simulated source: its session cookie and CSRF token, and the three ways to submit."""

    def __init__(self, port: int, timeout: float = 60) -> None:
        self.port = port
        self.timeout = timeout
        self.token = ""
        self.cookie = ""

    def _conn(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, http.client.HTTPResponse]:
        conn = self._conn()
        try:
            all_headers = {"Cookie": self.cookie, "X-CSRFToken": self.token, **(headers or {})}
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            return response.status, response.read(), response
        except (OSError, http.client.HTTPException) as exc:
            raise NoAnswer(f"{method} {path}: {exc!r}") from exc
        finally:
            conn.close()

    def open_form(self) -> None:
        """GET /submit: the CSRF token and the session cookie it belongs to."""
        status, body, response = self.request("GET", "/submit?lang=ko")
        page = body.decode("utf-8")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        cookies = [c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or []]
        session = [c for c in cookies if c.startswith("session=")]
        if status != 200 or not match or not session:
            raise RuntimeError(f"GET /submit answered {status} without a CSRF token or session cookie")
        self.token, self.cookie = html.unescape(match.group(1)), session[0]

    def single(self, sealed: Sealed) -> Attempt:
        """The browser path in one request."""
        attempt = Attempt("single", sealed=sealed)
        key = secrets.token_bytes(32)
        status, body, _ = self.request(
            "POST",
            "/api/submissions?lang=ko",
            sealed.data,
            {
                "Content-Type": "application/octet-stream",
                "X-Form-Nonce": form_nonces.new(),
                "X-Receipt-Key": receipts.encode_key(key),
                "X-Source-Key": SOURCE_KEY,
            },
        )
        return self._browser_answer(attempt, key, status, body)

    def pieces(self, sealed: Sealed, piece: int, pause: float = 0.0) -> Attempt:
        """The browser path in pieces: start, PUT each piece (resuming where the server says), finish."""
        attempt = Attempt("pieces", sealed=sealed)
        status, body, _ = self.request(
            "POST", "/api/uploads", json.dumps({"size": len(sealed.data)}).encode(), _JSON
        )
        if status != 201:
            attempt.status, attempt.error = status, f"start: {body[:200]!r}"
            return attempt
        upload_id = json.loads(body)["id"]
        offset = 0
        while offset < len(sealed.data):
            status, body, _ = self.request(
                "PUT",
                f"/api/uploads/{upload_id}",
                sealed.data[offset : offset + piece],
                {"Content-Type": "application/octet-stream", "X-Upload-Offset": str(offset)},
            )
            if status not in (200, 409):
                attempt.status, attempt.error = status, f"piece at {offset}: {body[:200]!r}"
                return attempt
            offset = json.loads(body)["received"]
            if pause:
                time.sleep(pause)
        key = secrets.token_bytes(32)
        status, body, _ = self.request(
            "POST",
            f"/api/uploads/{upload_id}/finish",
            json.dumps(
                {
                    "receipt_key": receipts.encode_key(key),
                    "source_key": SOURCE_KEY,
                    "form_nonce": form_nonces.new(),
                }
            ).encode(),
            _JSON,
        )
        return self._browser_answer(attempt, key, status, body)

    @staticmethod
    def _browser_answer(attempt: Attempt, key: bytes, status: int, body: bytes) -> Attempt:
        attempt.status = status
        if status == 201:
            attempt.receipt_key = key  # the page shows the receipt only now
        else:
            attempt.error = body[:300].decode("utf-8", "replace")
        return attempt

    def nojs(self, attachment_bytes: int, pause: float = 0.0, send_piece: int = 64 * KIB) -> Attempt:
        """The form without JavaScript: a multipart body streamed in pieces, the receipt read off the page."""
        marker = secrets.token_hex(8)
        attachment = secrets.token_bytes(attachment_bytes)
        attempt = Attempt("nojs", marker=marker, attachment=attachment)
        boundary = "----sori-reliability-" + secrets.token_hex(8)
        fields = [
            ("csrf_token", self.token),
            ("form_nonce", form_nonces.new()),
            ("submitter", "witness"),
            ("what_happened", f"{KOREAN} [{marker}]"),
            ("when_kind", "unknown"),
            ("consent_documentation", "yes"),
            ("consent_sanctions", "no"),
            ("consent_public", "no"),
            ("consent_contact", "yes"),
        ]
        head = "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields
        )
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="scan.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        body = head.encode("utf-8") + attachment + f"\r\n--{boundary}--\r\n".encode("ascii")
        conn = self._conn()
        try:
            conn.putrequest("POST", "/submit?lang=ko")
            conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
            conn.putheader("Content-Length", str(len(body)))
            conn.putheader("Cookie", self.cookie)
            conn.endheaders()
            for start in range(0, len(body), send_piece):
                conn.send(body[start : start + send_piece])
                if pause:
                    time.sleep(pause)
            response = conn.getresponse()
            page = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            raise NoAnswer(f"POST /submit: {exc!r}") from exc
        finally:
            conn.close()
        attempt.status = response.status
        found = re.search(r'id="receipt-value"[^>]*>(\d{4} \d{4} \d{4} \d{4})<', page)
        if response.status == 200 and found:
            attempt.receipt = found.group(1).replace(" ", "")
        else:
            attempt.error = f"{response.status}: {page}"
        return attempt


_JSON = {"Content-Type": "application/json"}


# --------------------------------------------------------------------------------------------------------
# Reading back


@dataclass
class Audit:
    """What the store holds, read back and decrypted."""

    submissions: int = 0
    envelopes: int = 0
    decrypted: int = 0
    inline: int = 0
    in_blobs: int = 0
    problems: list[str] = field(default_factory=list)
    orphan_blobs: list[str] = field(default_factory=list)
    temp_files: list[Path] = field(default_factory=list)
    receipts_verified: int = 0
    unclaimed_submissions: int = 0  # stored, but no receipt was ever shown for them (answer lost)


def audit(instance: Instance, attempts: list[Attempt]) -> Audit:
    """Check the whole store against what the sources were shown.

    - every submission row has at least one envelope, every envelope its bytes (inline or a blob of the
      recorded size), and every envelope decrypts completely with the recipient's identity;
    - every receipt shown opens a submission, whose first envelope is what that source sent (browser paths:
      the same bytes; no-JS: the same text marker and attachment);
    - blobs without a row and files in ``blobs/tmp`` are listed (they may only come from requests that
      never got an answer; the caller compares the counts)."""
    result = Audit()
    identity = instance.identity
    with instance.app_context():
        session = db.session()
        store = submissions.blob_store()
        salt = submissions.receipt_salt(session)
        claimed: set[str] = set()
        for attempt in attempts:
            if not attempt.shown:
                continue
            key = attempt.receipt_key or receipts.derive(attempt.receipt or "", salt).lookup_key
            found = submissions.find_by_lookup_key(session, key)
            if found is None:
                result.problems.append(f"LOST: a {attempt.kind} receipt was shown but opens nothing")
                continue
            claimed.add(found.id)
            first = sorted(found.envelopes, key=lambda e: e.sequence)[0]
            with submissions.open_envelope(first) as file:
                ciphertext = file.read()
            if attempt.sealed is not None:
                if ciphertext != attempt.sealed.data:
                    result.problems.append(f"{attempt.kind}: the stored envelope is not the one sent")
                    continue
            else:
                parts = dict(
                    (info.name, data) for info, data in decrypt_all(io.BytesIO(ciphertext), identity)
                )
                answers = json.loads(parts["answers.json"])
                if (
                    attempt.marker not in answers["fields"]["what_happened"]
                    or parts.get("scan.bin") != attempt.attachment
                ):
                    result.problems.append("nojs: the stored envelope does not hold what was sent")
                    continue
            result.receipts_verified += 1

        referenced: set[str] = set()
        for submission in session.scalars(select(Submission)):
            result.submissions += 1
            if not submission.envelopes:
                result.problems.append(f"half submission {submission.id}: a row without any envelope")
            if submission.id not in claimed:
                result.unclaimed_submissions += 1
        for envelope in session.scalars(select(Envelope).order_by(Envelope.id)):
            result.envelopes += 1
            if envelope.blob_id is not None:
                referenced.add(envelope.blob_id)
                result.in_blobs += 1
                if not store.exists(envelope.blob_id):
                    result.problems.append(f"envelope {envelope.id}: its blob {envelope.blob_id} is missing")
                    continue
            else:
                result.inline += 1
            try:
                with submissions.open_envelope(envelope) as file:
                    ciphertext = file.read()
                if len(ciphertext) != envelope.ciphertext_size:
                    raise ValueError(f"{len(ciphertext)} bytes stored, {envelope.ciphertext_size} recorded")
                parts = list(decrypt_all(io.BytesIO(ciphertext), identity))
                if not parts or parts[0][0].name != "answers.json":
                    raise ValueError("no answers.json first")
                json.loads(parts[0][1])
            except Exception as exc:  # noqa: BLE001  (any failure to read back is the finding)
                result.problems.append(f"envelope {envelope.id} does not decrypt: {exc!r}")
                continue
            result.decrypted += 1
        result.orphan_blobs = [b for b in store.blob_ids() if b not in referenced]
        result.temp_files = sorted(store.tmp.iterdir())
    return result


def run_check(instance: Instance, *args: str) -> subprocess.CompletedProcess[str]:
    return instance.sori("check", *args, check=False, timeout=300)


def remove_leftovers(instance: Instance, report: Audit) -> None:
    """What ``sori check --clean-stale --max-age 0`` does, for when that command is not there yet."""
    blobs = instance.data_dir / "blobs"
    for blob_id in report.orphan_blobs:
        (blobs / blob_id[:2] / blob_id).unlink()
    for path in report.temp_files:
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def background(target: Callable[[], None], count: int) -> Iterator[list[threading.Thread]]:
    threads = [threading.Thread(target=target, daemon=True, name=f"source-{i}") for i in range(count)]
    for thread in threads:
        thread.start()
    try:
        yield threads
    finally:
        for thread in threads:
            thread.join(timeout=120)
