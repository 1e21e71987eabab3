"""Request rates of Sori's source pages and submissions beside a bare Flask GET, run in pairs (the bare run
just before each Sori run) so that the machine's load weighs on both alike; with each, the workers' CPU time
per answer, which a busy machine disturbs less than the rate."""

from __future__ import annotations

from dataclasses import dataclass

from bench.intake.load import Run, submit_env, wrk
from bench.intake.servers import Server, Setup


@dataclass
class Pair:
    """One Sori figure and the bare GET measured just before it."""

    name: str
    sori: Run
    bare: Run
    done: int  # what counts as done in the Sori run: answers, accepted submissions, or whole cycles
    refused: dict[int, int]  # the Sori run's other answers by status

    @property
    def rate(self) -> float:
        return self.sori.rate_of(self.done)

    @property
    def ratio(self) -> float:
        return self.rate / self.bare.rate if self.bare.rate else 0.0

    @property
    def cpu_ratio(self) -> float | None:
        """Bare CPU per request over Sori's CPU per thing done: the ratio the CPUs alone would allow."""
        sori, bare = self.sori.cpu_ms_per(self.done), self.bare.cpu_ms_per(self.bare.requests)
        return bare / sori if sori and bare else None

    def lines(self) -> list[str]:
        sori_cpu = self.sori.cpu_ms_per(self.done)
        bare_cpu = self.bare.cpu_ms_per(self.bare.requests)
        cpu_ratio = self.cpu_ratio
        return [
            f"  {self.name}: {self.rate:,.1f}/s (p50 {_ms(self.sori.p50_ms)}, p99 {_ms(self.sori.p99_ms)}); "
            f"bare GET just before {self.bare.rate:,.0f}/s (p99 {_ms(self.bare.p99_ms)}): {self.ratio:.2%}",
            f"    workers' CPU: {_ms(sori_cpu, 3)} per answer vs {_ms(bare_cpu, 3)} bare"
            + (f" (by CPU alone {cpu_ratio:.2%})" if cpu_ratio else "")
            + (f"; other answers {self.refused}" if self.refused else "")
            + (f"; socket errors {self.sori.socket_errors}" if self.sori.socket_errors != "none" else ""),
        ]


def _ms(value: float | None, digits: int = 1) -> str:
    return "?" if value is None else f"{value:.{digits}f} ms"


@dataclass
class Throughput:
    home: Pair
    form: Pair
    submission: Pair
    cycle: Pair
    durability: str


def measure(
    setup: Setup, sori: Server, bare: Server, seconds: float, connections: int, threads: int
) -> Throughput:
    """Every rate of the issue's table, each beside a bare GET run just before it."""
    submitting = submit_env(sori.port, setup.envelope)
    text_file = setup.root / "account.txt"
    cycle_env = {"BENCH_MODE": "cycle", "BENCH_TEXT_FILE": str(text_file)}

    def bare_get() -> Run:
        return wrk(bare, "/", seconds, connections, threads)

    # Warm both servers on every path: imports, templates, the first argon2id of each worker.
    wrk(bare, "/", 2, connections, threads)
    for path in ("/", "/submit?lang=ko"):
        wrk(sori, path, 2, connections, threads)
    wrk(sori, "/", 2, connections, threads, "submit.lua", submitting)
    wrk(sori, "/", 2, connections, connections, "nojs.lua", cycle_env)

    pairs = []
    for name, path in (("GET /", "/"), ("GET /submit?lang=ko", "/submit?lang=ko")):
        bare_run = bare_get()
        run = wrk(sori, path, seconds, connections, threads)
        pairs.append(Pair(name, run, bare_run, run.requests - run.non2xx, {"non-2xx": run.non2xx}))

    bare_run = bare_get()
    rows_before, _ = setup.count_rows()
    run = wrk(sori, "/", seconds, connections, threads, "submit.lua", submitting)
    accepted = run.statuses.get(201, 0)
    refused = {code: n for code, n in run.statuses.items() if code != 201}
    submission = Pair("POST /api/submissions (small, browser path)", run, bare_run, accepted, refused)
    rows_after, _ = setup.count_rows()
    in_flight = run.counts.get("sent", 0) - run.requests
    new_rows = rows_after - rows_before
    # wrk stops without reading the last answers: those submissions may be committed with their 201 unread.
    ok = accepted <= new_rows <= accepted + max(in_flight, 0)
    durability = (
        f"{new_rows} new envelope rows for {accepted} answers 201 and {in_flight} requests unanswered when "
        f"wrk stopped: {'ok' if ok else 'LOST OR EXTRA ROWS'}"
    )

    bare_run = bare_get()
    run = wrk(sori, "/", seconds, connections, connections, "nojs.lua", cycle_env)
    receipts = run.counts.get("receipts", 0)
    refused = {code: n for code, n in run.statuses.items() if code != 200}
    cycle = Pair(
        f"no-JS cycle (GET form, POST 2 KB, receipt page; {connections} clients)",
        run,
        bare_run,
        receipts,
        refused,
    )
    return Throughput(pairs[0], pairs[1], submission, cycle, durability)
