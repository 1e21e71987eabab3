"""Benchmark: Sori under abuse (issue 18), each figure beside a control run on the same server.

1. Slow uploads. Pages (/health, GET /submit, a reviewer's inbox) are requested for ``--seconds`` with no
   attack (control), then with ``--slow`` slow-loris uploads in flight (POST /submit bodies announcing
   10 MiB and sending a byte every 5 s). Printed per page: requests, median, p99, slowest, share within 2 s
   (target: >= 99 %); the time a real 10 MiB no-JavaScript submission takes, control and attack; the
   server's memory; and how long after their start the slow bodies were cut (the minimum average rate
   after the grace, ``--grace`` seconds). With ``--before`` the same attack also runs against the worker
   settings deploy/ shipped before (gthread, 2 x 32 threads), for comparison.
2. Login flood. One failed login alone (control), then 128 failed logins 64 at once (half unknown
   accounts, half a real account with a wrong password) with the production argon2id cost: duration, the
   answers' statuses (target: no 5xx), the server's memory growth (target: <= 300 MiB), /health's latency
   during the flood, and how long a reviewer's right password waits meanwhile.

Everything runs against gunicorn with deploy/gunicorn.conf.py on 127.0.0.1, on a temporary data folder and
SQLite; every load is bounded in count and time, and the servers are always stopped. Targets are printed
as met or not, whichever it is. Usage: ``python bench/abuse.py [--seconds 20] [--slow 500] [--before]``.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.abuse.helpers import (  # noqa: E402
    AbuseInstance,
    Browser,
    add_reviewer,
    group_rss_mib,
    log_in,
    slow_loris,
    timed,
    within,
)
from tests.reliability.harness import MIB, Gunicorn, NoAnswer, Source  # noqa: E402
from tests.reviewer.helpers import PASSWORD  # noqa: E402

PAGES = ("/health", "/submit", "/reviewer/inbox")
#: The worker settings deploy/gunicorn.conf.py had before issue 18.
BEFORE = "-k gthread -w 2 --threads 32 --timeout 600 --keep-alive 5"


@dataclass
class PageFigures:
    path: str
    latencies: list[float]
    failures: int

    def line(self) -> str:
        values = sorted(self.latencies)
        if not values:
            return f"  {self.path:<16} no answer at all"
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        share = within(values, 2)
        return (
            f"  {self.path:<16} {len(values):>5} requests  "
            f"median {statistics.median(values) * 1000:>7.0f} ms  p99 {p99 * 1000:>7.0f} ms  "
            f"slowest {values[-1]:>6.2f} s  within 2 s {share:>6.1%}  "
            f"failed {self.failures}  {'met' if share >= 0.99 and not self.failures else 'NOT MET'}"
        )


def traffic(instance: AbuseInstance, reviewer: Browser, seconds: float) -> tuple[list[PageFigures], float]:
    """Request every page in a loop for ``seconds`` while a real 10 MiB no-JS submission goes in."""
    started = time.monotonic()
    figures = {path: PageFigures(path, [], 0) for path in PAGES}

    def loop(path: str, browser: Browser) -> None:
        while time.monotonic() - started < seconds:
            status, took = timed(browser, path)
            figures[path].latencies.append(took)
            figures[path].failures += status != 200
            time.sleep(0.1)

    browsers = {"/health": Browser(instance.port), "/submit": Browser(instance.port), PAGES[2]: reviewer}
    threads = [threading.Thread(target=loop, args=(path, browsers[path])) for path in PAGES]
    for thread in threads:
        thread.start()
    time.sleep(min(5, seconds / 4))
    source = Source(instance.port, timeout=60)
    submit_seconds = float("nan")  # no receipt
    with contextlib.suppress(NoAnswer):
        source.open_form()
        submit_started = time.monotonic()
        if source.nojs(10 * MIB).receipt:
            submit_seconds = time.monotonic() - submit_started
    for thread in threads:
        thread.join(seconds + 120)
    return list(figures.values()), submit_seconds


def slow_uploads(args: argparse.Namespace, folder: Path, settings: str | None, label: str) -> None:
    folder.mkdir()
    grace = {"SORI_UPLOAD_GRACE": str(args.grace)}
    instance = AbuseInstance(folder, f"sqlite:///{folder / 'sori.db'}", extra_env=grace).setup()
    reviewer = add_reviewer(instance)
    server = instance.shipped() if settings is None else instance.gunicorn(settings)
    try:
        browser = log_in(instance, reviewer)
        control, control_submit = traffic(instance, browser, args.seconds)
        rss_control = group_rss_mib(_pid(server))
        with slow_loris(instance.port, args.slow) as attack:
            opened = time.monotonic()
            attacked, attack_submit = traffic(instance, browser, args.seconds)
            rss_attack = group_rss_mib(_pid(server))
            waiting = attack.waiting
            deadline = opened + args.grace + 60
            while attack.waiting and time.monotonic() < deadline:
                time.sleep(1)
            cut_after = time.monotonic() - opened
            cut_408 = sum(1 for answer in attack.received if answer.startswith(b"HTTP/1.1 408"))
            never = attack.waiting
    finally:
        server.stop()
    print(f"\n== Slow uploads: {label}")
    print(f"control (no attack), {args.seconds:g} s:")
    for figures in control:
        print(figures.line())
    print(f"  a real 10 MiB no-JS submission: {control_submit:.2f} s; server RSS {rss_control:.0f} MiB")
    print(f"with {args.slow} slow uploads in flight, {args.seconds:g} s:")
    for figures in attacked:
        print(figures.line())
    submitted = f"{attack_submit:.2f} s, receipt shown" if attack_submit == attack_submit else "NO RECEIPT"
    print(f"  a real 10 MiB no-JS submission: {submitted}; server RSS {rss_attack:.0f} MiB")
    print(
        f"  slow uploads still in flight after the traffic: {waiting} of {args.slow}; {cut_408} cut with 408 "
        f"within {cut_after:.0f} s of their start (grace {args.grace} s); {never} never answered"
    )


def login_flood(folder: Path) -> None:
    folder.mkdir()
    instance = AbuseInstance(folder, f"sqlite:///{folder / 'sori.db'}").setup()
    reviewer = add_reviewer(instance, submissions=0)
    server = instance.shipped()
    try:
        browsers = [Browser(instance.port, timeout=300) for _ in range(129)]
        for browser in browsers:
            browser.form("/reviewer/login")
        for browser in browsers[:4]:  # every worker has hashed once
            browser.post_form("/reviewer/login", {"login": "warm-up", "password": "not it"})
            browser.form("/reviewer/login")
        control = _login_time(browsers[0], "nobody", "a guess")
        baseline = group_rss_mib(_pid(server))
        peak, health = baseline, []
        stop = threading.Event()

        def watch() -> None:
            nonlocal peak
            probe = Browser(instance.port)
            while not stop.is_set():
                peak = max(peak, group_rss_mib(_pid(server)))
                health.append(timed(probe, "/health")[1])
                time.sleep(0.1)

        watcher = threading.Thread(target=watch)
        watcher.start()
        real: list[float] = []

        def attempt(i: int) -> int:
            login = reviewer.login if i % 2 else f"nobody-{i}"
            return browsers[i].post_form("/reviewer/login", {"login": login, "password": f"guess {i}"})[0]

        started = time.monotonic()
        with ThreadPoolExecutor(64) as pool:
            results = pool.map(attempt, range(128))
            time.sleep(1)
            real.append(_login_time(browsers[128], reviewer.login, PASSWORD))
            statuses = Counter(results)
        seconds = time.monotonic() - started
        stop.set()
        watcher.join()
    finally:
        server.stop()
    fives = sum(n for status, n in statuses.items() if status >= 500)
    growth = peak - baseline
    print("\n== Login flood (argon2id 64 MiB, 3 passes, as shipped)")
    print(f"control: one failed login alone {control * 1000:.0f} ms; server RSS {baseline:.0f} MiB")
    print(
        f"flood: 128 failed logins, 64 at once, in {seconds:.1f} s; answers {dict(statuses)} "
        f"({'met' if not fives else 'NOT MET'}: no 5xx)"
    )
    print(
        f"  server RSS peak {peak:.0f} MiB, growth {growth:.0f} MiB "
        f"({'met' if growth <= 300 else 'NOT MET'}: <= 300 MiB)"
    )
    health_sorted = sorted(health)
    print(
        f"  /health during the flood: {len(health)} requests, "
        f"median {statistics.median(health) * 1000:.0f} ms, slowest {health_sorted[-1]:.2f} s"
    )
    print(f"  a reviewer's right password during the flood waited {real[0]:.1f} s for its answer")


def _login_time(browser: Browser, login: str, password: str) -> float:
    started = time.monotonic()
    browser.post_form("/reviewer/login", {"login": login, "password": password})
    return time.monotonic() - started


def _pid(server: Gunicorn) -> int:
    assert server.process is not None
    return server.process.pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="traffic per run (default 20)")
    parser.add_argument("--slow", type=int, default=500, help="slow uploads at once (default 500)")
    parser.add_argument("--grace", type=int, default=60, help="SORI_UPLOAD_GRACE for the run (default 60)")
    parser.add_argument("--before", action="store_true", help="also attack the worker settings of before")
    parser.add_argument("--skip-logins", action="store_true", help="only the slow uploads")
    args = parser.parse_args()
    print("Sori under abuse: gunicorn with deploy/gunicorn.conf.py on 127.0.0.1, SQLite, 2 workers")
    with tempfile.TemporaryDirectory(prefix="sori-bench-abuse-") as tmp:
        slow_uploads(args, Path(tmp) / "shipped", None, "deploy/gunicorn.conf.py (gevent)")
        if args.before:
            slow_uploads(args, Path(tmp) / "before", BEFORE, f"before issue 18 ({BEFORE})")
        if not args.skip_logins:
            login_flood(Path(tmp) / "logins")


if __name__ == "__main__":
    main()
