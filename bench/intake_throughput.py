"""Benchmark: where a source feels Sori's speed (issue 13), every figure beside its target in one run.

Prints, measured side by side on this machine:

- the issue's table: the JavaScript the form loads when WebAssembly runs (raw, gzipped, and as sent), whether
  every static file is sent compressed, how soon the form is ready to encrypt in Chromium over a Tor-like
  link, and the rates of ``GET /``, ``GET /submit?lang=ko``, a small browser-path submission and the
  no-JavaScript cycle (GET the form, POST 2 KB, the receipt page; 8 clients), each against a bare Flask
  ``GET /`` run just before it (bench/bare_app.py), with the workers' CPU time per answer;
- the receipt's argon2id on the server, and each source page's CPU cost in this process;
- a flood (no-JavaScript forms and junk envelopes, as fast as the server answers) with one real source on
  each path sending in the middle;
- with ``--upload-mib``, a large no-JavaScript upload against raw POST-to-disk and the workers' memory.

Both servers run under gunicorn with the shipped configuration (deploy/gunicorn.conf.py), only the address
and log file changed, on 127.0.0.1 and a temporary data folder; SQLite, or a fresh schema on the PostgreSQL
server ``--postgres`` names (scripts/pg-throwaway.sh starts one). Every load is bounded in time, and the
servers are always stopped. Usage: ``.venv/bin/python bench/intake_throughput.py [--seconds 10]``.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.intake import flood, inprocess, pages, report, throughput, upload  # noqa: E402
from bench.intake.servers import Server, Setup, load_note, machine_lines, make_setup  # noqa: E402
from tests.databases import postgres_schema  # noqa: E402


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (and no-JS clients)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to use instead of SQLite")
    parser.add_argument("--ready-rounds", type=int, default=3, help="throttled Chromium loads of the form")
    parser.add_argument("--no-browser", action="store_true", help="skip the throttled Chromium measurement")
    parser.add_argument("--flood-seconds", type=float, default=30, help="length of the flood (0: none)")
    parser.add_argument("--flood-connections", type=int, default=256, help="the no-JS flood's connections")
    parser.add_argument("--junk-connections", type=int, default=32, help="the junk flood's connections")
    parser.add_argument("--upload-mib", type=int, default=0, help="also a no-JS upload of this many MiB")
    return parser.parse_args()


@contextlib.contextmanager
def database(server: str | None) -> Iterator[str | None]:
    if server is None:
        yield None
        return
    with postgres_schema(server) as url:
        yield url


def in_process(setup: Setup) -> None:
    print("argon2id on the server (median of 7; 'two at once' is what the receipt gate lets run):")
    for cost in inprocess.argon2_costs():
        print(
            f"  {cost.name}: {cost.opslimit} passes over {cost.memlimit // 2**20} MiB: {cost.wall_ms:.1f} ms "
            f"({cost.cpu_ms:.1f} ms CPU) alone, {cost.two_at_once_ms:.1f} ms each two at once"
        )
    print("source pages in this process (CPU per request; the shared page reused, and rendered afresh):")
    costs, bare_us = inprocess.page_costs(setup)
    for cost in costs:
        print(
            f"  GET {cost.path:<18} {cost.reused_us:7.0f} us reused, {cost.rendered_us:7.0f} us rendered "
            f"({cost.size:,} B)"
        )
    print(f"  bare Flask GET /     {bare_us:7.0f} us")


def downloads(sori: Server, args: argparse.Namespace) -> list[report.Row]:
    ready = None if args.no_browser else pages.ready_over_tor_like_link(sori, args.ready_rounds)
    # A WebAssembly file a script fetches is part of what the form loads, though no tag names it.
    wasm = tuple(path for path in ready.fetched if path.split("?")[0].endswith(".wasm")) if ready else ()
    scripts = pages.form_scripts(sori, wasm)
    print("JavaScript the form loads when WebAssembly runs (gzip level 6; as sent to 'br, gzip'):")
    for file in scripts:
        print(
            f"  {file.path:<40} {file.raw:>10,} B raw {file.gzipped:>9,} B gzipped {file.wire:>9,} B sent "
            f"({file.encoding or 'uncompressed'})"
        )
    if ready is not None:
        print(f"  fetched until ready over the Tor-like link: {', '.join(ready.fetched)}")
    compression = pages.compression(sori)
    return [report.script_row(scripts), report.compression_row(compression), report.ready_row(ready)]


def rates(setup: Setup, sori: Server, bare: Server, args: argparse.Namespace) -> list[report.Row]:
    print("rates, each beside a bare Flask GET run just before it:")
    result = throughput.measure(setup, sori, bare, args.seconds, args.connections, args.wrk_threads)
    for pair in (result.home, result.form, result.submission, result.cycle):
        for line in pair.lines():
            print(line)
    print(f"  durability: {result.durability}")
    return report.throughput_rows(result)


def flooding(setup: Setup, sori: Server, args: argparse.Namespace) -> list[report.Row]:
    if not args.flood_seconds:
        return report.flood_rows(None)
    print(
        f"flood: {args.flood_connections} connections sending no-JS forms and {args.junk_connections} junk "
        f"for {args.flood_seconds:g} s, the real sources starting halfway:"
    )
    result = flood.flood(sori, setup, args.flood_seconds, args.flood_connections, args.junk_connections)
    for line in flood.lines(result):
        print(line)
    return report.flood_rows(result)


def main() -> None:
    args = arguments()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    with tempfile.TemporaryDirectory(prefix="sori-bench-") as folder, database(args.postgres) as url:
        root = Path(folder)
        for line in machine_lines(root):
            print(line)
        setup = make_setup(root, url)
        print(
            f"database: {'PostgreSQL' if url else 'SQLite'}; gunicorn: deploy/gunicorn.conf.py; wrk: "
            f"{args.wrk_threads} threads, {args.connections} connections, {args.seconds:g} s per run"
        )
        print()
        in_process(setup)
        print()
        with setup.sori("sori") as sori, setup.bare("bare") as bare:
            rows = downloads(sori, args)
            print()
            rows += rates(setup, sori, bare, args)
            print()
            rows += flooding(setup, sori, args)
        if args.upload_mib:
            print()
            print(f"a {args.upload_mib} MiB upload without JavaScript:")
            for line in upload.upload(setup, args.upload_mib).lines():
                print(line)
        print()
        print("issue 13's table, measured in this run:")
        report.print_table(rows)
        print()
        print(f"after the run: {load_note()}")


if __name__ == "__main__":
    main()
