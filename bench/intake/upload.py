"""A large upload on the no-JavaScript path (``POST /submit``, multipart, streamed) against raw
POST-to-disk in the bare app, with the Sori workers' peak memory growth while it streams (memory must stay
flat whatever the size: DESIGN.md section 7)."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.intake.servers import KOREAN, MIB, Server, Setup, proc_status_kib
from core import form_nonces, receipts
from tests.reliability.harness import Source

BLOCK = os.urandom(MIB)
#: The largest growth of a worker's memory the upload may cause.
TARGET_MIB = 64


@dataclass
class Multipart:
    """A multipart form of text fields then one file of ``file_size`` bytes, produced on demand."""

    fields: list[tuple[str, str]]
    file_size: int
    boundary: str = field(default_factory=lambda: "----sori-bench-" + secrets.token_hex(12))

    def head(self) -> bytes:
        out = [
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in self.fields
        ]
        out.append(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="attachments"; '
            f'filename="bench.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        return "".join(out).encode("utf-8")

    def tail(self) -> bytes:
        return f"\r\n--{self.boundary}--\r\n".encode("ascii")

    @property
    def length(self) -> int:
        return len(self.head()) + self.file_size + len(self.tail())

    def pieces(self) -> Iterator[bytes]:
        yield self.head()
        left = self.file_size
        while left:
            piece = BLOCK[: min(left, MIB)]
            left -= len(piece)
            yield piece
        yield self.tail()


def text_fields(token: str) -> list[tuple[str, str]]:
    return [
        ("csrf_token", token),
        ("form_nonce", form_nonces.new()),
        ("submitter", "witness"),
        ("what_happened", KOREAN),
        ("when_kind", "unknown"),
        ("consent_documentation", "yes"),
    ]


def post_streaming(server: Server, path: str, form: Multipart, cookie: str) -> tuple[int, str, float, float]:
    """POST the form, streaming it; returns status, answer, seconds, and when the last byte was sent."""
    conn = server.connection(timeout=300)
    try:
        start = time.perf_counter()
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", f"multipart/form-data; boundary={form.boundary}")
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

    def _sample(self) -> None:
        for pid in self.pids:
            with contextlib.suppress(OSError, KeyError):
                self.samples.append((time.monotonic(), pid, proc_status_kib(pid, "VmRSS")))

    def run(self) -> None:
        self._sample()
        while not self._stop_event.wait(0.05):
            self._sample()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self._sample()

    def growth(self, before: dict[int, int], until: float = float("inf")) -> int:
        """The largest rise of any process's RSS over ``before``, in samples taken up to ``until``."""
        return max((kib - before[pid] for t, pid, kib in self.samples if t <= until), default=0)


@dataclass
class Upload:
    sori_seconds: float
    bare_seconds: float
    length: int
    growth_mib: float  # the workers' largest VmRSS rise, sampled every 50 ms
    streaming_mib: float  # the same, while the body was still being sent

    def lines(self) -> list[str]:
        ratio = self.bare_seconds / self.sori_seconds
        mib = self.length / MIB
        sori, bare = mib / self.sori_seconds, mib / self.bare_seconds
        return [
            f"  Sori no-JS POST /submit: {sori:,.0f} MiB/s ({self.sori_seconds:.2f} s for {mib:.0f} MiB, "
            f"the receipt's argon2id included); raw POST-to-disk {bare:,.0f} MiB/s: {ratio:.0%} (target "
            f">= 50 %): {'met' if ratio >= 0.5 else 'NOT MET'}",
            f"  workers' memory growth: {self.growth_mib:.1f} MiB at most ({self.streaming_mib:.1f} MiB "
            f"while the body streamed; the rest is the receipt's argon2id, {receipts.MEMLIMIT // MIB} MiB) "
            f"(target <= {TARGET_MIB} MiB): {'met' if self.growth_mib <= TARGET_MIB else 'NOT MET'}",
        ]


def upload(setup: Setup, mib: int) -> Upload:
    """One upload of ``mib`` MiB on a fresh Sori server (nothing earlier weighs on its memory), and the same
    body posted raw to the bare app."""
    with setup.sori("sori-upload") as server:
        source = Source(server.port)
        source.open_form()
        for _ in server.workers():  # warm every worker on this path: imports, its first argon2id
            status, body, _, _ = post_streaming(
                server, "/submit?lang=ko", Multipart(text_fields(source.token), MIB), source.cookie
            )
            if status != 200 or "receipt-value" not in body:
                raise RuntimeError(f"a small no-JS submission was answered {status} without a receipt")
        workers = server.workers()
        before = {pid: proc_status_kib(pid, "VmRSS") for pid in workers}
        sampler = RssSampler(workers)
        sampler.start()
        form = Multipart(text_fields(source.token), mib * MIB)
        try:
            status, body, seconds, sent = post_streaming(server, "/submit?lang=ko", form, source.cookie)
        finally:
            sampler.stop()
        if status != 200 or not re.search(r'id="receipt-value"[^>]*>\d{4} \d{4} \d{4} \d{4}<', body):
            raise RuntimeError(f"the {mib} MiB no-JS upload was answered {status} without a receipt")
    with setup.bare("bare-upload") as server:
        form = Multipart(text_fields("x"), mib * MIB)
        status, body, bare_seconds, _ = post_streaming(server, "/upload", form, "")
        if status != 200 or int(body) != form.length:
            raise RuntimeError(f"the raw upload was answered {status}: {body[:200]}")
    for leftover in Path(setup.root / "bare-uploads").iterdir():
        leftover.unlink()
    return Upload(
        seconds, bare_seconds, form.length, sampler.growth(before) / 1024, sampler.growth(before, sent) / 1024
    )
