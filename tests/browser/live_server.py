"""A real Sori server for browser tests: ``sori init``, ``sori demo`` and ``sori serve`` in a subprocess, on a
fresh data folder and database, with its output in a log file the tests can search for plaintext.

The server runs with a small start-up hook (``_harness/sitecustomize.py``) that keeps the files Python's
``tempfile.TemporaryFile`` would make and delete at once: an anonymous temporary file (how Werkzeug spools a
large upload) leaves no trace a scan could find, so the hook gives it a name that stays, and the tests'
scans of the system temporary folder then see what the server wrote there.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData, create_engine, select

from tests.databases import fresh_database

ROOT = Path(__file__).resolve().parents[2]
SORI = ROOT / ".venv" / "bin" / "sori"
HARNESS = Path(__file__).resolve().parent / "_harness"
START_TIMEOUT = 30.0


@dataclass
class LiveServer:
    """A running Sori: where it answers, where it keeps its data, and where it logs."""

    url: str
    data_dir: Path
    log_path: Path
    database_url: str
    process: subprocess.Popen

    @property
    def demo_identity(self) -> Path:
        return self.data_dir / "demo" / "demo-reviewer-a.identity"

    @property
    def demo_passphrase(self) -> str:
        return (self.data_dir / "demo" / "demo-reviewer-a.passphrase.txt").read_text(encoding="utf-8").strip()

    def envelopes(self) -> set[Path]:
        """Every stored envelope, as files exported by ``sori envelopes export`` (small envelopes are kept
        in their database row, larger ones in the blob store)."""
        exported = self.data_dir.parent / "exported-envelopes"
        env = {**os.environ, "SORI_DATA_DIR": str(self.data_dir), "SORI_DATABASE_URL": self.database_url}
        subprocess.run(
            [str(SORI), "envelopes", "export", "-o", str(exported)],
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        return set(exported.iterdir())

    def database_text(self) -> bytes:
        """Every row of every table, as text: the database's content wherever its files are (PostgreSQL's are
        on the database server, out of reach of a scan of the data folder)."""
        engine = create_engine(self.database_url)
        try:
            metadata = MetaData()
            metadata.reflect(engine)
            out = []
            with engine.connect() as connection:
                for table in metadata.sorted_tables:
                    for row in connection.execute(select(table)):
                        out.append(repr(tuple(row)))
            return "\n".join(out).encode("utf-8", "surrogateescape")
        finally:
            engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_healthy(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sori serve exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"sori serve did not answer /health within {START_TIMEOUT} s:\n{log_path.read_text()}")


@contextlib.contextmanager
def run_live_server(folder: Path) -> Iterator[LiveServer]:
    """Set up and start Sori on a new data folder under ``folder``; stop it afterwards."""
    data_dir = folder / "data"
    log_path = folder / "server.log"
    with fresh_database(folder) as database_url:
        env = {
            **os.environ,
            "SORI_DATA_DIR": str(data_dir),
            "SORI_DATABASE_URL": database_url,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(HARNESS), os.environ.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
        }
        port = _free_port()
        with log_path.open("ab") as log:
            for command in (["init"], ["demo"]):
                subprocess.run(
                    [str(SORI), *command],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    check=True,
                    cwd=folder,
                    timeout=120,
                )
            process = subprocess.Popen(
                [str(SORI), "serve", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=folder,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_healthy(url, process, log_path)
            yield LiveServer(url, data_dir, log_path, database_url, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
