"""The servers the intake benchmark measures: Sori and the bare Flask baseline, each under gunicorn with the
shipped configuration (deploy/gunicorn.conf.py: gevent workers), only the address and the log file changed.

Also the set-up data folder (one recipient, a small envelope sealed to it), the workers' CPU time, and what
the machine is and how busy it was.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import runpy
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from crypto.envelope import encrypt_parts
from crypto.keys import Identity

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
GUNICORN = VENV_BIN / "gunicorn"
SORI = VENV_BIN / "sori"
SHIPPED_CONFIG = REPO / "deploy" / "gunicorn.conf.py"
MIB = 1024 * 1024

# About 2 KB of Korean text (3 bytes per syllable in UTF-8), as a survivor might write it.
KOREAN = (
    "2009년 겨울, 중국에서 강제송환된 뒤 보위부 구류장에 두 달 동안 갇혀 있었습니다. "
    "취조 때마다 무릎을 꿇고 움직이지 못하게 했고, 대답이 마음에 들지 않으면 때렸습니다. "
    "하루에 옥수수밥 한 줌과 소금국이 전부였고, "
    "같은 방에 있던 여성 한 명은 병이 났는데도 치료를 받지 못했습니다. "
    "그 뒤 노동단련대로 보내져 여섯 달 동안 벽돌을 날랐습니다. "
)


def account_text(size: int = 2000) -> str:
    """Korean text of about ``size`` bytes in UTF-8."""
    text = KOREAN * (size // len(KOREAN.encode("utf-8")) + 1)
    return text.encode("utf-8")[:size].decode("utf-8", "ignore")


def shipped_workers() -> int:
    """How many worker processes the shipped configuration starts."""
    return int(runpy.run_path(str(SHIPPED_CONFIG))["workers"])


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
                if int(_stat_fields(int(entry))[1]) == pid:
                    found.append(int(entry))
    return sorted(found)


def cpu_seconds(pids: list[int], reaped_of: int | None = None) -> float:
    """User and system CPU seconds the processes (and their threads) have used so far; with ``reaped_of``,
    also what the children that process has reaped used (gunicorn recycles its workers, max_requests)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += sum(int(n) for n in _stat_fields(pid)[11:13])
    if reaped_of is not None:
        with contextlib.suppress(OSError):
            total += sum(int(n) for n in _stat_fields(reaped_of)[13:15])
    return total / tick


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (field 3 onwards)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2 :].split()


def proc_status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


@dataclass
class Server:
    """gunicorn with the shipped configuration serving ``app`` on a free port of 127.0.0.1, in a session of
    its own; :meth:`stop` ends it and its workers."""

    app: str
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    #: The number of workers, when not the shipped configuration's.
    workers_wanted: int | None = None

    def start(self) -> Server:
        argv = [str(GUNICORN), "-c", str(SHIPPED_CONFIG), "-b", f"127.0.0.1:{self.port}"]
        if self.workers_wanted is not None:
            argv += ["-w", str(self.workers_wanted)]
        argv += ["--error-logfile", str(self.log), self.app]
        self.process = subprocess.Popen(
            argv,
            cwd=REPO,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        expected = self.workers_wanted or shipped_workers()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start; its log:\n{self.log.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                if len(self.workers()) >= expected:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not start in 30 s; its log:\n{self.log.read_text()[-3000:]}")

    def workers(self) -> list[int]:
        assert self.process is not None
        return children(self.process.pid)

    def cpu(self) -> float:
        """The CPU seconds of every worker so far, those already recycled included."""
        assert self.process is not None
        return cpu_seconds(self.workers(), reaped_of=self.process.pid)

    def stop(self) -> None:
        """SIGTERM (requests in flight finish), then SIGKILL of this server's own group after 20 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def connection(self, timeout: float = 60) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Setup:
    """A data folder and database with one recipient, and a small envelope sealed to it."""

    root: Path
    database_url: str
    env: dict[str, str]
    identity: Identity
    envelope: Path
    answers_size: int

    def sori(self, name: str) -> Server:
        return Server("sori:create_app()", self.env, self.root / f"{name}.log")

    def bare(self, name: str) -> Server:
        env = {**self.env, "BENCH_UPLOAD_DIR": str(self.root / "bare-uploads")}
        return Server("bench.bare_app:app", env, self.root / f"{name}.log")

    @property
    def data_dir(self) -> Path:
        return Path(self.env["SORI_DATA_DIR"])

    def count_rows(self) -> tuple[int, int]:
        """Rows in ``envelopes``, and of those the rows whose envelope is a blob file."""
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(text("SELECT count(*) FROM envelopes")).scalar_one()
                blobs = connection.execute(
                    text("SELECT count(*) FROM envelopes WHERE blob_id IS NOT NULL")
                ).scalar_one()
        finally:
            engine.dispose()
        return int(rows), int(blobs)


def answers_json(text: str) -> bytes:
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
            "violations": ["arbitrary_detention", "torture_interrogation", "forced_labour"],
            "consent_documentation": "yes",
            "consent_sanctions": "yes",
            "consent_public": "no",
            "consent_contact": "yes",
        },
    }
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def make_setup(root: Path, database_url: str | None) -> Setup:
    """``sori init`` and one recipient on a new data folder (and ``database_url``, SQLite by default)."""
    data = root / "data"
    (root / "bare-uploads").mkdir()
    url = database_url or f"sqlite:///{data / 'sori.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SORI_")}
    env.update(
        SORI_DATA_DIR=str(data),
        SORI_DATABASE_URL=url,
        SORI_MAX_UPLOAD_BYTES=str(4 * 1024 * MIB),
        PYTHONDONTWRITEBYTECODE="1",
    )
    identity = init_with_recipient(env)
    (root / "account.txt").write_text(account_text(), encoding="utf-8")
    answers = answers_json(account_text())
    envelope = root / "small.sori"
    with envelope.open("wb") as out:
        encrypt_parts(out, [identity.public_key], [("answers.json", "application/json", answers)])
    return Setup(root, url, env, identity, envelope, len(answers))


# --------------------------------------------------------------------------------------------------------
# The machine


def init_with_recipient(env: dict[str, str]) -> Identity:
    """``sori init`` in ``env``, and a new identity registered as its one recipient."""
    subprocess.run([str(SORI), "init"], cwd=REPO, env=env, check=True, capture_output=True)
    identity = Identity.generate()
    add = [str(SORI), "recipients", "add", "bench", identity.public_key.text]
    subprocess.run(add, cwd=REPO, env=env, check=True, capture_output=True)
    return identity


def fsync_ms(folder: Path, rounds: int = 50) -> float:
    """Median milliseconds of a 4 KiB write followed by fsync in ``folder``: the floor under each commit."""
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
    return statistics.median(times) * 1000


def load_note() -> str:
    one, five, _ = os.getloadavg()
    cpus = len(os.sched_getaffinity(0))
    busy = " (other work is using the CPUs: rates are noisy, CPU per request less so)" if one > 0.5 else ""
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {cpus} CPUs{busy}"


def machine_lines(folder: Path) -> list[str]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(" [")[0]
    gunicorn = subprocess.run([str(GUNICORN), "--version"], capture_output=True, text=True).stdout.strip()
    return [
        f"machine: {os.cpu_count()} CPUs, {model}; Python {sys.version.split()[0]}; {gunicorn}; {wrk}",
        f"disk: 4 KiB write + fsync in the data folder: {fsync_ms(folder):.2f} ms (median)",
        f"before the run: {load_note()}",
    ]
