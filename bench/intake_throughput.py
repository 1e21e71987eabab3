"""Benchmark: Sori's source intake under gunicorn against a bare Flask app on the same server settings.

Prints, in one run:

1. accepted small client-encrypted submissions per second (``POST /api/submissions``, loaded with wrk and
   bench/intake_submit.lua, a fresh receipt key per request) against a bare Flask ``GET /`` (target:
   >= 40 %), and checks that every accepted submission has its row and its blob;
2. a 256 MiB upload on the no-JS path (``POST /submit``, multipart, streamed) against raw POST-to-disk in
   the bare app (target: >= 50 %), with the gunicorn workers' peak RSS growth during the Sori upload
   (target <= 64 MiB);
3. the weight of the form page ``/submit?lang=ko`` without JavaScript (HTML + CSS, target <= 40 KB) and of
   the JavaScript it loads when scripts run, raw and gzipped.

Everything runs on 127.0.0.1 in a temporary data folder, every load run is bounded in time, and the
servers are always stopped. Usage: ``python bench/intake_throughput.py [--seconds 10]``; ``--sweep`` also
compares several gunicorn worker settings on part 1.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gzip
import html
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core import form_nonces, receipts  # noqa: E402
from crypto.envelope import encrypt_parts  # noqa: E402
from crypto.keys import Identity  # noqa: E402

BENCH = REPO / "bench"
#: The public key a source's browser sends with each new receipt (crypto/FORMAT.md 6.1).
SOURCE_KEY = Identity.generate().public_key.text
VENV_BIN = Path(sys.executable).parent
GUNICORN = VENV_BIN / "gunicorn"
SORI = VENV_BIN / "sori"
WRK_SCRIPT = BENCH / "intake_submit.lua"
MIB = 1024 * 1024
GZIP_LEVEL = 6  # zlib's default, what nginx and most servers are configured with

#: The settings of the main run, chosen with --sweep (see the closing note of the run's output).
DEFAULT_GUNICORN = "-w 2 -k gthread --threads 8"
#: What --sweep compares on part 1.
SWEEP = [
    "-w 1 -k sync",
    "-w 2 -k sync",
    "-w 4 -k sync",
    "-w 2 -k gthread --threads 8",
    "-w 4 -k gthread --threads 4",
    "-w 2 -k gthread --threads 32",
]

# About 2 KB of Korean text (3 bytes per syllable in UTF-8), as a survivor might write it.
KOREAN = (
    "2009년 겨울, 중국에서 강제송환된 뒤 보위부 구류장에 두 달 동안 갇혀 있었습니다. "
    "취조 때마다 무릎을 꿇고 움직이지 못하게 했고, 대답이 마음에 들지 않으면 때렸습니다. "
    "하루에 옥수수밥 한 줌과 소금국이 전부였고, "
    "같은 방에 있던 여성 한 명은 병이 났는데도 치료를 받지 못했습니다. "
    "그 뒤 노동단련대로 보내져 여섯 달 동안 벽돌을 날랐습니다. "
)


def answers_json() -> bytes:
    text = KOREAN * 4
    document = {
        "format": "sori-answers/1",
        "lang": "ko",
        "path": "browser",
        "fields": {
            "submitter": "survivor",
            "what_happened": text,
            "when_kind": "approximate",
            "when_year": "2009",
            "where_facility": "온성 보위부 구류장",
            "violations": [
                "arbitrary_detention",
                "torture_interrogation",
                "food_deprivation",
                "forced_labour",
            ],
            "consent_documentation": "yes",
            "consent_sanctions": "yes",
            "consent_public": "no",
            "consent_contact": "yes",
        },
    }
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


# --------------------------------------------------------------------------------------------------------
# Servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (gunicorn's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                    found.append(int(entry))
    return sorted(found)


def cpu_seconds(pids: list[int]) -> tuple[float, float]:
    """User and system CPU seconds the processes have used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    user = system = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            user += int(fields[11])
            system += int(fields[12])
    return user / tick, system / tick


def proc_status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


@dataclass
class Server:
    """A gunicorn serving ``app`` on a free port of 127.0.0.1; stop() ends it and its workers."""

    app: str
    settings: str
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        argv = [
            str(GUNICORN),
            *shlex.split(self.settings),
            "-b",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "300",
            "--graceful-timeout",
            "5",
            "--error-logfile",
            str(self.log),
            self.app,
        ]
        self.process = subprocess.Popen(
            argv,
            cwd=REPO,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        workers = int(shlex.split(self.settings)[shlex.split(self.settings).index("-w") + 1])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start; its log:\n{self.log.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                if len(self.workers()) >= workers:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not start in 30 s; its log:\n{self.log.read_text()[-3000:]}")

    def workers(self) -> list[int]:
        assert self.process is not None
        return children(self.process.pid)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the group of this gunicorn only (own session)
            self.process.wait(timeout=5)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def connection(self, timeout: float = 60) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)


@dataclass
class Setup:
    """A temporary Sori data folder with one recipient, and the small envelope sealed to it."""

    root: Path
    env: dict[str, str]
    bare_env: dict[str, str]
    envelope: Path
    envelope_size: int
    answers_size: int

    def sori(self, settings: str, name: str) -> Server:
        return Server("sori:create_app()", settings, self.env, self.root / f"{name}.log")

    def bare(self, settings: str, name: str) -> Server:
        return Server("bench.bare_app:app", settings, self.bare_env, self.root / f"{name}.log")


def init_with_recipient(env: dict[str, str]) -> Identity:
    """``sori init`` in ``env``, and a new identity registered as its one recipient."""
    subprocess.run([str(SORI), "init"], cwd=REPO, env=env, check=True, capture_output=True)
    identity = Identity.generate()
    subprocess.run(
        [str(SORI), "recipients", "add", "bench", identity.public_key.text],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    return identity


def make_setup(root: Path) -> Setup:
    data = root / "data"
    uploads = root / "bare-uploads"
    uploads.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SORI_")}
    env.update(
        SORI_DATA_DIR=str(data), SORI_MAX_UPLOAD_BYTES=str(4 * 1024 * MIB), PYTHONDONTWRITEBYTECODE="1"
    )
    bare_env = {**env, "BENCH_UPLOAD_DIR": str(uploads)}
    identity = init_with_recipient(env)
    answers = answers_json()
    envelope = root / "small.sori"
    with envelope.open("wb") as out:
        encrypt_parts(out, [identity.public_key], [("answers.json", "application/json", answers)])
    return Setup(root, env, bare_env, envelope, envelope.stat().st_size, len(answers))


def csrf_and_cookie(server: Server) -> tuple[str, str]:
    """A CSRF token from the form and the session cookie it belongs to."""
    conn = server.connection()
    try:
        conn.request("GET", "/submit?lang=ko")
        response = conn.getresponse()
        page = response.read().decode("utf-8")
        cookies = [c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or []]
    finally:
        conn.close()
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    session = [c for c in cookies if c.startswith("session=")]
    if response.status != 200 or not match or not session:
        raise RuntimeError(f"GET /submit gave {response.status} without a CSRF token or session cookie")
    return html.unescape(match.group(1)), session[0]


def receipt_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")


# --------------------------------------------------------------------------------------------------------
# Part 1: small submissions against a bare GET


@dataclass
class WrkResult:
    rate: float  # responses per second, as wrk counts them
    requests: int
    non2xx: int
    errors: str
    latency: str
    sent: int | None = None
    statuses: dict[int, int] = field(default_factory=dict)
    cpu_user: float = 0.0  # the gunicorn workers' CPU seconds during the run
    cpu_system: float = 0.0

    def cpu_ms_per_request(self) -> str:
        if not self.requests:
            return "?"
        per = 1000 / self.requests
        return (
            f"{(self.cpu_user + self.cpu_system) * per:.2f} ms (user {self.cpu_user * per:.2f}, "
            f"system {self.cpu_system * per:.2f})"
        )


def wrk(
    server: Server,
    seconds: float,
    connections: int,
    threads: int,
    script: Path | None = None,
    env: dict[str, str] | None = None,
) -> WrkResult:
    """Load ``server`` with wrk; also counts its workers' CPU time over the run."""
    url = f"http://127.0.0.1:{server.port}/"
    workers = server.workers()
    cpu_before = cpu_seconds(workers)
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "--latency"]
    if script is not None:
        argv += ["-s", str(script)]
    result = subprocess.run(
        [*argv, url], capture_output=True, text=True, env=env, timeout=seconds + 60, check=True
    )
    cpu_after = cpu_seconds(workers)
    if server.workers() != workers:
        raise RuntimeError(f"a gunicorn worker was replaced during the run; see {server.log}")
    out = result.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx_match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors_match = re.search(r"Socket errors: (.*)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    latency = f"p50 {p50.group(1) if p50 else '?'}, p99 {p99.group(1) if p99 else '?'}"
    parsed = WrkResult(
        rate,
        requests,
        int(non2xx_match.group(1)) if non2xx_match else 0,
        errors_match.group(1) if errors_match else "none",
        latency,
    )
    bench_line = re.search(r"BENCH sent=(\d+) statuses=(\S*)", out)
    if bench_line:
        parsed.sent = int(bench_line.group(1))
        parsed.statuses = {
            int(c): int(n) for c, n in (p.split(":") for p in bench_line.group(2).split(",") if p)
        }
    parsed.cpu_user = cpu_after[0] - cpu_before[0]
    parsed.cpu_system = cpu_after[1] - cpu_before[1]
    return parsed


def count_rows(setup: Setup) -> tuple[int, int, int, int]:
    """Rows in ``envelopes``, the rows whose envelope is a blob file (small ones are kept in the row),
    blob files in the store, and files left in its tmp/."""
    data = Path(setup.env["SORI_DATA_DIR"])
    with contextlib.closing(sqlite3.connect(data / "sori.db")) as db:
        rows = db.execute("SELECT count(*) FROM envelopes").fetchone()[0]
        blob_rows = db.execute("SELECT count(*) FROM envelopes WHERE blob_id IS NOT NULL").fetchone()[0]
    blobs = sum(1 for shard in (data / "blobs").iterdir() if shard.name != "tmp" for _ in shard.iterdir())
    return rows, blob_rows, blobs, sum(1 for _ in (data / "blobs" / "tmp").iterdir())


def one_submission(server: Server, token: str, cookie: str, envelope: bytes) -> int:
    conn = server.connection()
    try:
        conn.request(
            "POST",
            "/api/submissions",
            body=envelope,
            headers={
                "Content-Type": "application/octet-stream",
                "X-CSRFToken": token,
                "Cookie": cookie,
                "X-Receipt-Key": receipt_key(),
                "X-Source-Key": SOURCE_KEY,
                "X-Form-Nonce": form_nonces.new(),
            },
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@dataclass
class Part1:
    settings: str
    submissions: WrkResult
    bare: WrkResult
    rows_before: int
    rows_after: int
    blob_rows_after: int
    blobs_after: int
    tmp_after: int

    @property
    def accepted_rate(self) -> float:
        # wrk's Requests/sec counts every answer; only the 201s are accepted submissions.
        accepted = self.submissions.statuses.get(201, 0)
        return (
            self.submissions.rate * accepted / self.submissions.requests if self.submissions.requests else 0.0
        )

    @property
    def ratio(self) -> float:
        return self.accepted_rate / self.bare.rate if self.bare.rate else 0.0


def part1(setup: Setup, settings: str, seconds: float, connections: int, threads: int, tag: str) -> Part1:
    with setup.sori(settings, f"sori-{tag}") as server:
        token, cookie = csrf_and_cookie(server)
        envelope = setup.envelope.read_bytes()
        for _ in range(4):  # warm every worker, and check the request is accepted before loading
            status = one_submission(server, token, cookie, envelope)
            if status != 201:
                raise RuntimeError(f"a single submission was answered {status}, not 201; see {server.log}")
        rows_before, _, _, _ = count_rows(setup)
        env = {
            **os.environ,
            "BENCH_ENVELOPE": str(setup.envelope),
            "BENCH_CSRF": token,
            "BENCH_COOKIE": cookie,
            "BENCH_SOURCE_KEY": SOURCE_KEY,
        }
        submissions = wrk(server, seconds, connections, threads, WRK_SCRIPT, env)
    # The server is stopped (gracefully): every request it took in has been answered or dropped by now.
    rows_after, blob_rows_after, blobs_after, tmp_after = count_rows(setup)
    with setup.bare(settings, f"bare-{tag}") as server:
        wrk(server, 1, connections, threads)  # warm-up
        bare = wrk(server, seconds, connections, threads)
    return Part1(
        settings, submissions, bare, rows_before, rows_after, blob_rows_after, blobs_after, tmp_after
    )


def report_part1(result: Part1, verbose: bool = True) -> None:
    sub = result.submissions
    accepted = sub.statuses.get(201, 0)
    refused = {c: n for c, n in sub.statuses.items() if c != 201}
    verdict = "ok" if result.ratio >= 0.40 else "BELOW TARGET"
    if not verbose:
        print(
            f"  {result.settings:32s} submissions {result.accepted_rate:7.0f}/s ({sub.latency})   "
            f"bare GET {result.bare.rate:7.0f}/s   ratio {result.ratio:5.1%}   "
            f"non-201 {sum(refused.values())}   "
            f"server CPU/request {sub.cpu_ms_per_request().split(' (')[0]} vs "
            f"{result.bare.cpu_ms_per_request().split(' (')[0]}"
        )
        return
    print(
        f"  submissions: {result.accepted_rate:.0f} accepted/s ({accepted} answered 201 in the run; "
        f"latency {sub.latency})"
    )
    print(f"    other answers: {refused or 'none'}; wrk non-2xx: {sub.non2xx}; socket errors: {sub.errors}")
    print(
        f"  bare GET:    {result.bare.rate:.0f} requests/s (latency {result.bare.latency}; non-2xx "
        f"{result.bare.non2xx}; socket errors: {result.bare.errors})"
    )
    print(f"  submissions at {result.ratio:.1%} of bare GET (target >= 40 %): {verdict}")
    print(
        f"  workers' CPU per answered request: submission {sub.cpu_ms_per_request()}; bare GET "
        f"{result.bare.cpu_ms_per_request()}"
    )
    if sub.requests and result.bare.requests and sub.cpu_user + sub.cpu_system:
        cpu_ratio = ((result.bare.cpu_user + result.bare.cpu_system) / result.bare.requests) / (
            (sub.cpu_user + sub.cpu_system) / sub.requests
        )
        print(
            f"  by server CPU per request (steadier on a busy machine) submissions reach {cpu_ratio:.1%} of "
            f"bare GET"
        )
    new_rows = result.rows_after - result.rows_before
    in_flight = (sub.sent or 0) - sub.requests  # sent by wrk but unanswered when the run stopped
    if new_rows == accepted:
        check = "ok: equal"
    elif accepted <= new_rows <= accepted + max(in_flight, 0):
        check = (
            f"ok: {new_rows - accepted} more rows than 201s, all from the {in_flight} requests still in "
            f"flight when wrk stopped (committed, answer never read)"
        )
    else:
        check = "LOST OR EXTRA ROWS"
    print(
        f"  durability: {new_rows} new envelope rows for {accepted} answers 201 ({check}); "
        f"{result.blobs_after} blob files for the {result.blob_rows_after} rows that name one "
        f"({'ok' if result.blobs_after == result.blob_rows_after else 'MISMATCH'}; small envelopes live in "
        f"their row); {result.tmp_after} files left in blobs/tmp/"
    )


# --------------------------------------------------------------------------------------------------------
# Part 2: a 256 MiB upload on the no-JS path against raw POST-to-disk

BLOCK = os.urandom(MIB)


@dataclass
class Multipart:
    """A multipart form of text fields then one file of ``file_size`` bytes, produced on demand."""

    fields: list[tuple[str, str]]
    file_size: int
    boundary: str = field(default_factory=lambda: "----sori-bench-" + secrets.token_hex(12))

    def _head(self) -> bytes:
        out = []
        for name, value in self.fields:
            out.append(
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            )
        out.append(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="attachments"; '
            f'filename="bench.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        return "".join(out).encode("utf-8")

    def _tail(self) -> bytes:
        return f"\r\n--{self.boundary}--\r\n".encode("ascii")

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def length(self) -> int:
        return len(self._head()) + self.file_size + len(self._tail())

    def pieces(self) -> Iterator[bytes]:
        yield self._head()
        left = self.file_size
        while left:
            piece = BLOCK[: min(left, MIB)]
            left -= len(piece)
            yield piece
        yield self._tail()


def post_streaming(
    server: Server, path: str, form: Multipart, cookie: str | None
) -> tuple[int, str, float, float]:
    """POST the form with a computed Content-Length, streaming it; returns status, answer, seconds, and the
    moment (``time.monotonic``) the last byte was handed to the socket."""
    conn = server.connection(timeout=300)
    try:
        start = time.perf_counter()
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", form.content_type)
        conn.putheader("Content-Length", str(form.length))
        if cookie:
            conn.putheader("Cookie", cookie)
        conn.endheaders()
        for piece in form.pieces():
            conn.send(piece)
        sent = time.monotonic()
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        return response.status, body, time.perf_counter() - start, sent
    finally:
        conn.close()


class RssSampler(threading.Thread):
    """Samples VmRSS of the given processes every 50 ms, keeping ``(monotonic time, pid, KiB)``."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.samples: list[tuple[float, int, int]] = []
        self._stop_event = threading.Event()
        self._sample()

    def _sample(self) -> None:
        for pid in self.pids:
            with contextlib.suppress(OSError, KeyError):
                self.samples.append((time.monotonic(), pid, proc_status_kib(pid, "VmRSS")))

    def run(self) -> None:
        while not self._stop_event.wait(0.05):
            self._sample()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self._sample()

    def growth(self, before: dict[int, int], until: float = float("inf")) -> int:
        """The largest rise of any process's RSS over ``before``, in samples taken up to ``until``."""
        return max((kib - before[pid] for t, pid, kib in self.samples if t <= until), default=0)


def reset_hwm(pid: int) -> bool:
    """Reset the process's peak RSS (VmHWM) to its current RSS; False where the kernel does not allow it."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


@dataclass
class Upload:
    seconds: float
    rss_growth_kib: int  # sampled VmRSS, max - before, over the workers
    streaming_growth_kib: int  # the same, in samples taken while the body was still being sent
    hwm_growth_kib: int | None  # VmHWM after - VmRSS before, if the HWM could be reset


def text_fields(token: str) -> list[tuple[str, str]]:
    return [
        ("csrf_token", token),
        ("form_nonce", form_nonces.new()),
        ("submitter", "witness"),
        ("what_happened", KOREAN),
        ("when_kind", "unknown"),
        ("consent_documentation", "yes"),
        ("consent_sanctions", "no"),
        ("consent_public", "no"),
        ("consent_contact", "yes"),
    ]


def upload_sori(setup: Setup, settings: str, size: int, tag: str) -> Upload:
    """One upload on a fresh server, so that nothing earlier weighs on the memory figures."""
    with setup.sori(settings, f"sori-upload-{tag}") as server:
        token, cookie = csrf_and_cookie(server)
        warm = Multipart(text_fields(token), 64 * 1024)
        for _ in server.workers():  # warm every worker on this path: imports, first argon2id
            status, body, _, _ = post_streaming(server, "/submit?lang=ko", warm, cookie)
            if status != 200 or not re.search(r"\d{4} \d{4} \d{4} \d{4}", body):
                raise RuntimeError(f"a small no-JS submission was answered {status} without a receipt")
        workers = server.workers()
        before = {pid: proc_status_kib(pid, "VmRSS") for pid in workers}
        hwm_ok = all(reset_hwm(pid) for pid in workers)
        sampler = RssSampler(workers)
        sampler.start()
        try:
            status, body, seconds, sent = post_streaming(
                server, "/submit?lang=ko", Multipart(text_fields(token), size), cookie
            )
        finally:
            sampler.stop()
        receipt = re.search(r'id="receipt-value"[^>]*>(\d{4} \d{4} \d{4} \d{4})<', body)
        if status != 200 or not receipt:
            raise RuntimeError(f"the {size // MIB} MiB no-JS upload was answered {status} without a receipt")
        hwm = max(proc_status_kib(pid, "VmHWM") - before[pid] for pid in workers) if hwm_ok else None
    return Upload(seconds, sampler.growth(before), sampler.growth(before, sent), hwm)


def upload_bare(setup: Setup, settings: str, size: int, tag: str) -> float:
    with setup.bare(settings, f"bare-upload-{tag}") as server:
        form = Multipart(text_fields("x"), size)
        status, body, seconds, _ = post_streaming(server, "/upload", form, None)
        if status != 200 or int(body) != form.length:
            raise RuntimeError(f"the raw upload was answered {status}: {body[:200]}")
    return seconds


def part2(setup: Setup, settings: str, mib: int, rounds: int) -> None:
    size = mib * MIB
    length = Multipart(text_fields("x" * 90), size).length
    sori = [upload_sori(setup, settings, size, str(i)) for i in range(rounds)]
    bare = [upload_bare(setup, settings, size, str(i)) for i in range(rounds)]
    best_sori = min(u.seconds for u in sori)
    best_bare = min(bare)
    ratio = best_bare / best_sori
    print(f"  body {length / MIB:.1f} MiB, best of {rounds} rounds, one fresh server per upload")
    print(
        f"  Sori no-JS POST /submit: {length / MIB / best_sori:6.0f} MiB/s  ({best_sori:.2f} s; includes the "
        f"receipt's argon2id)"
    )
    print(f"  raw POST-to-disk:        {length / MIB / best_bare:6.0f} MiB/s  ({best_bare:.2f} s)")
    verdict = "ok" if ratio >= 0.50 else "BELOW TARGET"
    print(f"  Sori at {ratio:.0%} of raw POST-to-disk (target >= 50 %): {verdict}")
    growth = max(u.rss_growth_kib for u in sori) / 1024
    streaming = max(u.streaming_growth_kib for u in sori) / 1024
    hwm_values = [u.hwm_growth_kib for u in sori if u.hwm_growth_kib is not None]
    peak = max([growth, *(h / 1024 for h in hwm_values)])
    verdict = "ok" if peak <= 64 else "ABOVE TARGET"
    hwm_text = f"{max(hwm_values) / 1024:.1f} MiB by VmHWM" if hwm_values else "VmHWM could not be reset"
    print(
        f"  server peak RSS growth during the Sori upload: {peak:.1f} MiB ({growth:.1f} MiB by VmRSS "
        f"sampled every 50 ms, {hwm_text}) (target <= 64 MiB): {verdict}"
    )
    print(
        f"    of which while the body streamed in: {streaming:.1f} MiB; the rest comes after the last byte: "
        f"the receipt's argon2id (memlimit {receipts.MEMLIMIT // MIB} MiB) on the server path"
    )


# --------------------------------------------------------------------------------------------------------
# Part 3: page weights


def fetch(server: Server, path: str) -> bytes:
    conn = server.connection()
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path} gave {response.status}")
        return body
    finally:
        conn.close()


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0))


def part3(setup: Setup, settings: str) -> None:
    with setup.sori(settings, "sori-pages") as server:
        page = fetch(server, "/submit?lang=ko")
        text = page.decode("utf-8")
        css_paths = [html.unescape(m) for m in re.findall(r'<link rel="stylesheet" href="([^"]+)"', text)]
        css = [(p, fetch(server, p)) for p in css_paths]
        script_paths = [html.unescape(m) for m in re.findall(r'<script src="([^"]+)"', text)]
        sodium_attr = re.search(r'data-sodium="([^"]+)"', text)
        sodium = [s["src"] for s in json.loads(html.unescape(sodium_attr.group(1)))] if sodium_attr else []
        scripts = [(p, fetch(server, p)) for p in script_paths + sodium]
    print(f"  without JavaScript (gzip level {GZIP_LEVEL}):")
    rows = [("/submit?lang=ko (HTML)", page), *((p.split("?")[0], body) for p, body in css)]
    for name, body in rows:
        print(f"    {name:44s} {len(body):9,d} B   gzipped {gz(body):8,d} B")
    raw = sum(len(b) for _, b in rows)
    print(f"    {'HTML + CSS':44s} {raw:9,d} B   gzipped {sum(gz(b) for _, b in rows):8,d} B")
    verdict = "ok" if raw <= 40_000 else "ABOVE TARGET"
    print(f"  form page without JS: {raw / 1000:.1f} KB HTML+CSS (target <= 40 KB): {verdict}")
    print(
        "  JavaScript loaded when scripts run (<script> tags, then data-sodium, which submit.js loads only "
        "when WebAssembly works):"
    )
    for name, body in scripts:
        print(f"    {name.split('?')[0]:44s} {len(body):9,d} B   gzipped {gz(body):8,d} B")
    print(
        f"    {'total':44s} {sum(len(b) for _, b in scripts):9,d} B   gzipped "
        f"{sum(gz(b) for _, b in scripts):8,d} B"
    )
    without_sodium = scripts[: len(script_paths)]
    print(
        f"    {'without WebAssembly (no libsodium.js)':44s} {sum(len(b) for _, b in without_sodium):9,d} B   "
        f"gzipped {sum(gz(b) for _, b in without_sodium):8,d} B"
    )


# --------------------------------------------------------------------------------------------------------


def fsync_latency(folder: Path, rounds: int = 50) -> float:
    """Median seconds of a 4 KiB write followed by fsync in ``folder``: the floor under each submission."""
    path = folder / "fsync-probe"
    times = []
    with path.open("wb") as out:
        for _ in range(rounds):
            out.write(b"x" * 4096)
            out.flush()
            start = time.perf_counter()
            os.fsync(out.fileno())
            times.append(time.perf_counter() - start)
    path.unlink()
    return statistics.median(times)


def load_note() -> str:
    one, five, _ = os.getloadavg()
    busy = (
        " (other processes are using the CPUs: rates are noisy, CPU per request less so)" if one > 0.5 else ""
    )
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min){busy}"


def machine(root: Path) -> None:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(" [")[0]
    gunicorn_version = subprocess.run(
        [str(GUNICORN), "--version"], capture_output=True, text=True
    ).stdout.strip()
    print(
        f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {model}; Python "
        f"{sys.version.split()[0]}; {gunicorn_version}; {wrk_version}"
    )
    print(f"disk: 4 KiB write + fsync in the data folder takes {fsync_latency(root) * 1000:.2f} ms (median)")
    print(f"before the run: {load_note()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--gunicorn", default=DEFAULT_GUNICORN, help="gunicorn worker settings of the main run"
    )
    parser.add_argument("--upload-mib", type=int, default=256, help="size of the no-JS upload's file, in MiB")
    parser.add_argument(
        "--upload-rounds", type=int, default=2, help="uploads of each kind; the best is reported"
    )
    parser.add_argument("--sweep", action="store_true", help="also compare several worker settings on part 1")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")

    with tempfile.TemporaryDirectory(prefix="sori-bench-") as folder:
        root = Path(folder)
        machine(root)
        setup = make_setup(root)
        settings = args.gunicorn
        print(
            f"gunicorn: {settings}, no access log, on 127.0.0.1; wrk: {args.wrk_threads} threads, "
            f"{args.connections} connections, {args.seconds:g} s per run"
        )
        print(
            f"small envelope: {setup.envelope_size:,d} B (answers.json of {setup.answers_size:,d} B, Korean "
            f"text), one recipient"
        )
        print()
        print("1. small client-encrypted submissions (POST /api/submissions) vs bare Flask GET")
        report_part1(part1(setup, settings, args.seconds, args.connections, args.wrk_threads, "main"))
        if args.sweep:
            print(f"  sweep of worker settings ({args.seconds:g} s runs each):")
            for i, candidate in enumerate(SWEEP):
                report_part1(
                    part1(setup, candidate, args.seconds, args.connections, args.wrk_threads, f"sweep{i}"),
                    verbose=False,
                )
        print()
        print(f"2. {args.upload_mib} MiB upload on the no-JS path (POST /submit) vs raw POST-to-disk")
        part2(setup, settings, args.upload_mib, args.upload_rounds)
        print()
        print("3. page weights of /submit?lang=ko")
        part3(setup, settings)
        print()
        print(f"after the run: {load_note()}")


if __name__ == "__main__":
    main()
