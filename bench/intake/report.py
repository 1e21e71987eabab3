"""The issue's table as the benchmark fills it: every figure measured in this run beside its target, marked
met or not."""

from __future__ import annotations

from dataclasses import dataclass

from bench.intake.flood import WITHIN_S, Flood
from bench.intake.pages import KB, Compression, Fetched, Ready
from bench.intake.throughput import Pair, Throughput

#: The targets of issue 13.
JS_GZIPPED_MAX = 200 * KB
READY_MAX_S = 3.0
HOME_RATIO = 0.50
FORM_RATIO = 0.30
SUBMISSION_RATIO = 0.40
SUBMISSION_P99_MS = 50.0
CYCLE_RATIO = 0.0126


@dataclass
class Row:
    figure: str
    now: str
    target: str
    met: bool | None  # None: not measured in this run

    @property
    def verdict(self) -> str:
        return "-" if self.met is None else ("met" if self.met else "NOT MET")


def script_row(scripts: list[Fetched]) -> Row:
    raw = sum(f.raw for f in scripts)
    gzipped = sum(f.gzipped for f in scripts)
    wire = sum(f.wire for f in scripts)
    encodings = sorted({f.encoding or "none" for f in scripts})
    compressed = all(f.encoding for f in scripts)
    now = (
        f"{raw / KB:,.0f} KB raw / {gzipped / KB:,.0f} KB gzipped; sent as {wire / KB:,.0f} KB "
        f"(Content-Encoding: {', '.join(encodings)}), {len(scripts)} files"
    )
    return Row(
        "JavaScript when WebAssembly runs",
        now,
        "<= 200 KB gzipped, served compressed",
        gzipped <= JS_GZIPPED_MAX and compressed,
    )


def compression_row(result: Compression) -> Row:
    now = f"{result.brotli} of {result.files} files sent brotli, {result.gzip} gzip to a gzip-only browser"
    if result.plain:
        now += f"; uncompressed: {', '.join(result.plain[:3])}"
    return Row(
        "compression (sori serve / gunicorn; nginx: tests/deploy)",
        now,
        "every static asset served gzip (and brotli)",
        not result.plain,
    )


def ready_row(ready: Ready | None) -> Row:
    if ready is None:
        return Row(
            "browser encryption ready at 1 Mbit/s, 400 ms RTT", "not measured (--no-browser)", "<= 3 s", None
        )
    runs = ", ".join(f"{s:.2f}" for s in ready.seconds)
    now = f"{ready.median:.2f} s (runs {runs}); {ready.requests} requests, {ready.wire_kib:,.0f} KiB sent"
    return Row("browser encryption ready at 1 Mbit/s, 400 ms RTT", now, "<= 3 s", ready.median <= READY_MAX_S)


def _pair_now(pair: Pair, digits: int = 1) -> str:
    cpu = f"; by CPU {pair.cpu_ratio:.2%}" if pair.cpu_ratio else ""
    return f"{pair.rate:,.{digits}f} vs {pair.bare.rate:,.0f}/s = {pair.ratio:.2%}{cpu}"


def throughput_rows(result: Throughput) -> list[Row]:
    sub = result.submission
    p99 = sub.sori.p99_ms
    return [
        Row("GET / vs bare Flask GET", _pair_now(result.home), ">= 50 %", result.home.ratio >= HOME_RATIO),
        Row(
            "GET /submit?lang=ko vs bare", _pair_now(result.form), ">= 30 %", result.form.ratio >= FORM_RATIO
        ),
        Row(
            "small browser-path submission vs bare",
            f"{_pair_now(sub)} (p99 {p99 if p99 is not None else '?'} ms)",
            ">= 40 %, p99 <= 50 ms",
            sub.ratio >= SUBMISSION_RATIO and p99 is not None and p99 <= SUBMISSION_P99_MS,
        ),
        Row(
            "no-JS full cycle (8 clients) vs bare",
            f"{result.cycle.rate:,.1f} vs {result.cycle.bare.rate:,.0f} = {result.cycle.ratio:.4f}",
            ">= 0.0126",
            result.cycle.ratio >= CYCLE_RATIO,
        ),
    ]


def flood_rows(result: Flood | None) -> list[Row]:
    target = f"<= {WITHIN_S:g} s from Send"
    if result is None:
        return [Row("real source's receipt during a flood", "not measured (--flood-seconds 0)", target, None)]
    rows = []
    for source in result.sources:
        if source.seconds is None:
            now = f"no answer ({source.error[:60]})"
        else:
            now = f"{source.seconds:.2f} s" + ("" if source.receipt else f", no receipt ({source.status})")
        met = source.receipt and source.seconds is not None and source.seconds <= WITHIN_S
        rows.append(Row(f"real source ({source.path}) receipt during a flood", now, target, met))
    return rows


def print_table(rows: list[Row]) -> None:
    widths = [max(len(getattr(r, name)) for r in rows) for name in ("figure", "now", "target")]
    widths = [min(w, limit) for w, limit in zip(widths, (48, 120, 40), strict=True)]
    print(f"  {'figure':<{widths[0]}}  {'measured now':<{widths[1]}}  {'target':<{widths[2]}}  verdict")
    for row in rows:
        print(
            f"  {row.figure:<{widths[0]}}  {row.now:<{widths[1]}}  {row.target:<{widths[2]}}  {row.verdict}"
        )
