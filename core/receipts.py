"""Receipts: the 16 digits a source writes down to come back, stored only as a hash of an argon2id key.

``receipt_key = argon2id(digits, instance salt)`` is what proves a receipt; the database keeps
``SHA-256(receipt_key)``. With JavaScript the browser derives the key, so the server pays microseconds;
without it the server derives it (docs/source-intake.md). A stolen database still costs one argon2id per
guess. Failed attempts are throttled for the whole instance, because sources have no address we may keep.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import threading
import time
import unicodedata

import nacl.pwhash.argon2id

from core import hashing

DIGITS = 16
SALT_BYTES = 16
KEY_BYTES = 32
#: argon2id cost, the same in libsodium.js (submit.js): 3 passes over 32 MiB, under half a second on a
#: cheap phone, and half the memory of 2 passes over 64 MiB for about the same time per guess.
OPSLIMIT = 3
MEMLIMIT = 32 * 1024 * 1024


def new_receipt() -> str:
    """16 uniformly random decimal digits (53 bits)."""
    return "".join(secrets.choice("0123456789") for _ in range(DIGITS))


def grouped(digits: str) -> str:
    """The receipt as people write it down: four groups of four digits."""
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def normalize(text: str) -> str | None:
    """The 16 digits of a typed receipt, forgiving white space, dashes and full-width digits; ``None`` if it
    cannot be a receipt."""
    # NFKC turns full-width digits from a Korean input method into ASCII ones.
    text = unicodedata.normalize("NFKC", text)
    digits = "".join(c for c in text if not c.isspace() and c != "-")
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def derive_key(digits: str, salt: bytes) -> bytes:
    """The receipt key, as the browser derives it with libsodium.js; at most two at a time per process, each
    holding MEMLIMIT, so that memory stays bounded under load (core/hashing.py)."""
    return hashing.RECEIPTS.run(
        lambda: nacl.pwhash.argon2id.kdf(
            KEY_BYTES, digits.encode("ascii"), salt, opslimit=OPSLIMIT, memlimit=MEMLIMIT
        )
    )


def stored_hash(receipt_key: bytes) -> str:
    """What the database keeps of a receipt key."""
    return hashlib.sha256(receipt_key).hexdigest()


def encode_key(receipt_key: bytes) -> str:
    """A receipt key as base64url without padding, as forms and the upload protocol carry it."""
    return base64.urlsafe_b64encode(receipt_key).rstrip(b"=").decode("ascii")


def decode_key(text: str | None) -> bytes | None:
    """A receipt key from its base64url form; ``None`` for anything else."""
    if not text or len(text) != 43 or not text.isascii():
        return None
    try:
        key = base64.urlsafe_b64decode(text + "=")
    except (binascii.Error, ValueError):
        return None
    return key if len(key) == KEY_BYTES else None


class Throttle:
    """At most ``limit`` failed receipt attempts per ``window`` seconds in this process.

    Kept in memory, per worker: it slows online guessing of 53-bit receipts to a crawl without keeping
    anything about who tried. A legitimate source who is throttled is told to try again a little later."""

    def __init__(self, limit: int = 30, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: list[float] = []
        self._lock = threading.Lock()

    def blocked(self) -> bool:
        """Whether attempts are refused now."""
        with self._lock:
            self._forget_old()
            return len(self._failures) >= self.limit

    def failed(self) -> None:
        """Count one failed attempt."""
        with self._lock:
            self._forget_old()
            self._failures.append(time.monotonic())

    def _forget_old(self) -> None:
        cutoff = time.monotonic() - self.window
        self._failures = [t for t in self._failures if t > cutoff]
