"""Benchmark: envelope encryption and decryption against raw PyNaCl secretstream, and memory while streaming.

Prints, in one run: throughput of the envelope writer and reader over a 256 MiB stream beside raw
``crypto_secretstream_xchacha20poly1305`` push/pull over the same data in the same 64 KiB chunks (target:
envelope >= 85 % of raw), and the peak RSS growth while sealing and opening a 1 GiB stream through files
(target <= 64 MiB). Usage: ``python bench/envelope_throughput.py [--mib 256] [--stream-mib 1024]``.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import nacl.bindings as sodium

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crypto.envelope import CHUNK, EnvelopeReader, EnvelopeWriter  # noqa: E402
from crypto.keys import Identity  # noqa: E402

MIB = 1024 * 1024
BLOCK = os.urandom(MIB)


class PatternSource(io.RawIOBase):
    """``size`` bytes of a random 1 MiB block repeated, produced on demand so nothing large is held."""

    def __init__(self, size: int) -> None:
        self._left = size
        self._offset = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = min(n if n >= 0 else CHUNK, self._left, MIB - self._offset)
        piece = BLOCK[self._offset : self._offset + n]
        self._offset = (self._offset + n) % MIB
        self._left -= n
        return piece


class CountingSink:
    """Discards what is written, counting it."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


def _pieces(size: int) -> Iterator[bytes]:
    source = PatternSource(size)
    while piece := source.read(CHUNK):
        yield piece


def raw_encrypt(size: int, key: bytes) -> float:
    """Raw push of every chunk, discarding the output as the envelope run does."""
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_push(state, key)
    sink = CountingSink()
    start = time.perf_counter()
    for piece in _pieces(size):
        sink.write(sodium.crypto_secretstream_xchacha20poly1305_push(state, piece))
    return time.perf_counter() - start


def raw_decrypt(ciphertexts: list[bytes], key: bytes, header: bytes) -> float:
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, key)
    start = time.perf_counter()
    for ciphertext in ciphertexts:
        sodium.crypto_secretstream_xchacha20poly1305_pull(state, ciphertext)
    return time.perf_counter() - start


def envelope_encrypt(size: int, identity: Identity, out: io.BytesIO | CountingSink) -> float:
    start = time.perf_counter()
    writer = EnvelopeWriter(out, [identity.public_key])
    writer.begin_part("bench.bin", "application/octet-stream")
    writer.write_from(PatternSource(size))
    writer.close()
    return time.perf_counter() - start


def envelope_decrypt(envelope: io.BytesIO, identity: Identity) -> float:
    start = time.perf_counter()
    total = sum(len(chunk) for part in EnvelopeReader(envelope, identity=identity) for chunk in part)
    assert total > 0
    return time.perf_counter() - start


def throughput(mib: int, rounds: int) -> None:
    size = mib * MIB
    identity = Identity.generate()
    key = sodium.crypto_secretstream_xchacha20poly1305_keygen()
    best = {"raw encrypt": 1e9, "raw decrypt": 1e9, "envelope encrypt": 1e9, "envelope decrypt": 1e9}
    for _ in range(rounds):
        best["raw encrypt"] = min(best["raw encrypt"], raw_encrypt(size, key))
        state = sodium.crypto_secretstream_xchacha20poly1305_state()
        header = sodium.crypto_secretstream_xchacha20poly1305_init_push(state, key)
        ciphertexts = [sodium.crypto_secretstream_xchacha20poly1305_push(state, p) for p in _pieces(size)]
        best["raw decrypt"] = min(best["raw decrypt"], raw_decrypt(ciphertexts, key, header))
        del ciphertexts
        best["envelope encrypt"] = min(
            best["envelope encrypt"], envelope_encrypt(size, identity, CountingSink())
        )
        envelope = io.BytesIO()
        envelope_encrypt(size, identity, envelope)
        envelope.seek(0)
        best["envelope decrypt"] = min(best["envelope decrypt"], envelope_decrypt(envelope, identity))
        del envelope
    print(f"stream of {mib} MiB, best of {rounds} rounds, 64 KiB chunks, in memory")
    for name, seconds in best.items():
        print(f"  {name:17s} {mib / seconds:8.0f} MiB/s")
    for op in ("encrypt", "decrypt"):
        ratio = best[f"raw {op}"] / best[f"envelope {op}"]
        verdict = "ok" if ratio >= 0.85 else "BELOW TARGET"
        print(f"  envelope {op} at {ratio:.0%} of raw secretstream (target >= 85 %): {verdict}")


def rss_child(mib: int, folder: str) -> None:
    """In a fresh process: seal then open ``mib`` MiB through files; prints the peak RSS growth in KiB."""
    identity = Identity.generate()
    path = Path(folder) / "stream.sori"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with path.open("wb") as out:
        envelope_encrypt(mib * MIB, identity, out)  # type: ignore[arg-type]
    with path.open("rb") as envelope:
        envelope_decrypt(envelope, identity)  # type: ignore[arg-type]
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(before, after)


def peak_rss(mib: int) -> None:
    with tempfile.TemporaryDirectory(prefix="sori-bench-") as folder:
        result = subprocess.run(
            [sys.executable, __file__, "--rss-child", str(mib), folder],
            check=True,
            capture_output=True,
            text=True,
        )
    before_kib, after_kib = (int(n) for n in result.stdout.split())
    growth_mib = (after_kib - before_kib) / 1024
    verdict = "ok" if growth_mib <= 64 else "ABOVE TARGET"
    print(f"peak RSS of the process: {before_kib / 1024:.1f} MiB before, {after_kib / 1024:.1f} MiB after")
    print(
        f"peak RSS growth sealing and opening a {mib} MiB stream through files: {growth_mib:.1f} MiB "
        f"(target <= 64 MiB): {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256, help="size of the throughput stream in MiB")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best of each is reported")
    parser.add_argument("--stream-mib", type=int, default=1024, help="size of the memory-test stream in MiB")
    parser.add_argument("--rss-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(int(args.rss_child[0]), args.rss_child[1])
        return
    throughput(args.mib, args.rounds)
    peak_rss(args.stream_mib)


if __name__ == "__main__":
    main()
