"""Benchmark: Sori's intake on one app host and on two sharing one PostgreSQL, and what synchronous
replication costs.

Prints accepted submissions per second on the browser path in one request (``POST /api/submissions``, wrk and
bench/intake/lua/submit.lua as in bench/intake_throughput.py), every host with ``SORI_BLOB_STORE=database``
and deploy/gunicorn.conf.py (gevent), PostgreSQL with fsync on, for:

1. a small envelope (answers only, kept in its row): one host with 2 workers, directly and through nginx; two
   hosts with 1 worker each behind nginx (on 2 cores the point is correctness and overhead, not speed-up);
2. an envelope of 600 KiB (over INLINE_MAX, so a blob): the file backend against the database backend, one
   host;
3. the small envelope on one host against a primary with a streaming replica, asynchronous, then synchronous
   (``synchronous_commit = on`` with the replica as synchronous standby, scripts/pg-throwaway.sh).

Each run also checks durability: the envelope rows added equal the answers 201 (plus requests still in flight
when wrk stopped). Nothing is asserted; figures are printed, met or not. Usage: ``python bench/multihost.py
[--seconds 10]``. Needs wrk and nginx.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.intake.load import Run, submit_env, wrk  # noqa: E402
from bench.intake.servers import (  # noqa: E402
    Server,
    account_text,
    answers_json,
    init_with_recipient,
    load_note,
    machine_lines,
)
from crypto.envelope import encrypt_parts  # noqa: E402
from tests.deploy.helpers import NGINX, nginx_in_front  # noqa: E402

SCRIPTS = REPO / "scripts"


@dataclass
class Site:
    """What a wrk run loads (bench/intake/load.py reads ``url`` and ``cpu()``): a port, and the gunicorn
    servers whose workers' CPU time it counts."""

    port: int
    servers: list[Server]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu(self) -> float:
        return sum(server.cpu() for server in self.servers)


@contextlib.contextmanager
def throwaway(kind: str, folder: Path) -> Iterator[str]:
    """A PostgreSQL URL (scripts/pg-throwaway.sh, fsync on): ``single``, or a primary with an ``async`` or
    ``sync`` replica."""
    script = SCRIPTS / "pg-throwaway.sh"
    args = ["start", str(folder)] if kind == "single" else ["start-replicated", str(folder), kind]
    env = {**os.environ, "PG_FSYNC": "on"}
    url = subprocess.run([str(script), *args], env=env, check=True, capture_output=True, text=True).stdout
    try:
        yield url.strip()
    finally:
        subprocess.run([str(script), "stop", str(folder)], check=False, capture_output=True)


@dataclass
class Installation:
    """Sori set up on one database: the shared settings, and the envelopes wrk sends."""

    root: Path
    url: str
    small: Path
    medium: Path

    def env(self, host: str, store: str = "database") -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SORI_")}
        env.update(
            SORI_DATA_DIR=str(self.root / host),
            SORI_DATABASE_URL=self.url,
            SORI_BLOB_STORE=store,
            SORI_SECRET_KEY="bench-" + "k" * 40,
            SORI_EXPORT_KEY_FILE=str(self.root / "export-signing.key"),
            PYTHONDONTWRITEBYTECODE="1",
        )
        return env

    def server(self, host: str, workers: int, store: str = "database") -> Server:
        env, log = self.env(host, store), self.root / f"{host}.log"
        return Server("sori:create_app()", env, log, workers_wanted=workers)

    def envelope_rows(self) -> int:
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                return int(connection.execute(text("SELECT count(*) FROM envelopes")).scalar_one())
        finally:
            engine.dispose()


def install(root: Path, url: str) -> Installation:
    installation = Installation(root, url, root / "small.sori", root / "medium.sori")
    identity = init_with_recipient(installation.env("admin"))
    parts = [("answers.json", "application/json", answers_json(account_text()))]
    for name, extra in (
        ("small.sori", []),
        ("medium.sori", [("photo.jpg", "image/jpeg", os.urandom(600 * 1024))]),
    ):
        out = io.BytesIO()
        encrypt_parts(out, [identity.public_key], parts + extra)
        (root / name).write_bytes(out.getvalue())
    return installation


def run(
    name: str, installation: Installation, site: Site, envelope: Path, seconds: float, connections: int
) -> Run:
    """Warm every worker, load ``site`` with wrk for ``seconds``, print the line."""
    env = submit_env(site.port, envelope)
    warm = wrk(site, "/", 2, connections, 2, "submit.lua", env)  # type: ignore[arg-type]
    if not warm.statuses.get(201):
        raise RuntimeError(f"{name}: no submission was accepted ({warm.statuses}); see the hosts' logs")
    before = _settled_rows(installation)
    result = wrk(site, "/", seconds, connections, 2, "submit.lua", env)  # type: ignore[arg-type]
    for server in site.servers:
        server.stop()  # gracefully: every request taken in is answered before the rows are counted
    added = installation.envelope_rows() - before
    accepted = result.statuses.get(201, 0)
    in_flight = max(result.counts.get("sent", 0) - result.requests, 0)
    durable = "ok" if accepted <= added <= accepted + in_flight else "LOST OR EXTRA ROWS"
    others = {code: n for code, n in result.statuses.items() if code != 201}
    cpu = result.cpu_ms_per(result.requests)
    print(
        f"  {name:<44} {result.rate_of(accepted):6.0f} accepted/s  (p50 {result.p50_ms} ms, p99 "
        f"{result.p99_ms} ms; CPU/request {f'{cpu:.2f} ms' if cpu else '?'}; other answers "
        f"{others or 'none'}; {added} rows for {accepted} answers 201: {durable})"
    )
    return result


def _settled_rows(installation: Installation) -> int:
    """The envelope rows once their count stops changing: wrk stops the warm run without reading its last
    answers, and those submissions may still be committing when the measured run begins."""
    rows = installation.envelope_rows()
    while True:
        time.sleep(0.5)
        again = installation.envelope_rows()
        if again == rows:
            return rows
        rows = again


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    args = parser.parse_args()
    if not shutil.which("wrk") or NGINX is None:
        sys.exit("wrk and nginx are needed: apt-get install -y wrk nginx")
    with tempfile.TemporaryDirectory(prefix="sori-bench-multihost-") as folder:
        root = Path(folder)
        for line in machine_lines(root):
            print(line)
        seconds, connections = args.seconds, args.connections
        print(
            f"wrk: 2 threads, {connections} connections, {seconds:g} s per run; "
            "gunicorn: deploy/gunicorn.conf.py"
        )

        with throwaway("single", Path("/tmp/sori-pg-bench-multihost")) as url:
            sori = install(root / "single", url)
            print(
                f"\n1. small envelope ({sori.small.stat().st_size:,d} B, kept in its row), "
                "PostgreSQL with fsync on"
            )
            with sori.server("host-a", 2) as a:
                run("one host, 2 workers, direct", sori, Site(a.port, [a]), sori.small, seconds, connections)
            with sori.server("host-a", 2) as a, nginx_in_front(root / "nginx-one", [a.port]) as front:
                run(
                    "one host, 2 workers, through nginx",
                    sori,
                    Site(front, [a]),
                    sori.small,
                    seconds,
                    connections,
                )
            with sori.server("host-a", 1) as a, sori.server("host-b", 1) as b:
                with nginx_in_front(root / "nginx-two", [a.port, b.port]) as front:
                    site = Site(front, [a, b])
                    run(
                        "two hosts, 1 worker each, through nginx",
                        sori,
                        site,
                        sori.small,
                        seconds,
                        connections,
                    )

            print(f"\n2. envelope of {sori.medium.stat().st_size:,d} B (a blob), one host with 2 workers")
            for store in ("files", "database"):
                with sori.server(f"host-{store}", 2, store) as a:
                    run(
                        f"SORI_BLOB_STORE={store}", sori, Site(a.port, [a]), sori.medium, seconds, connections
                    )

        print("\n3. small envelope, one host with 2 workers, primary with a streaming replica (fsync on)")
        for mode in ("async", "sync"):
            with throwaway(mode, Path(f"/tmp/sori-pg-bench-multihost-{mode}")) as url:
                sori = install(root / mode, url)
                with sori.server("host-a", 2) as a:
                    label = (
                        "asynchronous replica" if mode == "async" else "synchronous replica (remote flush)"
                    )
                    run(label, sori, Site(a.port, [a]), sori.small, seconds, connections)
        print(f"\nafter the run: {load_note()}")


if __name__ == "__main__":
    main()
