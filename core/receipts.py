"""Receipts on the server: the 16 digits a source writes down, how they are drawn, typed and carried, and what
the database keeps of them (crypto/FORMAT.md section 6).

With JavaScript the source's browser derives the receipt's keys and sends only the *lookup key* (and the
source's public key): the server pays a SHA-256. Without it the server derives them in memory for that one
request, through a bounded queue (each derivation holds 32 MiB). The database keeps ``SHA-256(lookup key)``
(or, for receipts issued before the lookup key, ``SHA-256`` of the argon2id secret, upgraded when the source
comes back), so a stolen database still costs one argon2id per guess.

Wrong receipts are counted for the whole instance in the database (core/counters.py), never per address:
past :data:`WRONG_PER_MINUTE` a wrong receipt is answered "too many, wait a minute" instead of "not known".
A right receipt is always answered, however many wrong ones came before.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import unicodedata

from sqlalchemy.orm import Session

from core import counters, hashing
from crypto import receipts as receipt_format
from crypto.receipts import ReceiptKeys

DIGITS = receipt_format.DIGITS
SALT_BYTES = receipt_format.SALT_BYTES
KEY_BYTES = 32
#: Wrong receipts (on every path, every host) in a minute before they are answered "too many".
WRONG_PER_MINUTE = 60
WRONG_COUNTER = "wrong_receipt"


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


def admit() -> None:
    """Raise :class:`~core.hashing.Busy` at once when the receipt queue is full (core/hashing.py): asked
    before a form's body is read, so that a source refused loses nothing but the moment."""
    hashing.RECEIPTS.admit()


def derive(digits: str, salt: bytes) -> ReceiptKeys:
    """The receipt's keys, derived here as the browser derives them; at most two at a time per process, each
    holding 32 MiB, so that memory stays bounded under load (a fair queue, core/hashing.py). Never refused
    for a full queue: whoever gets here was admitted (:func:`admit`), perhaps after a long upload."""
    return hashing.RECEIPTS.run(lambda: receipt_format.derive(digits, salt))


def stored_hash(lookup_key: bytes) -> str:
    """What the database keeps of a receipt's lookup key."""
    return hashlib.sha256(lookup_key).hexdigest()


def encode_key(key: bytes) -> str:
    """A 32-byte key as base64url without padding, as forms and the upload protocol carry it."""
    return base64.urlsafe_b64encode(key).rstrip(b"=").decode("ascii")


def decode_key(text: str | None) -> bytes | None:
    """A 32-byte key from its base64url form; ``None`` for anything else."""
    if not text or len(text) != 43 or not text.isascii():
        return None
    try:
        key = base64.urlsafe_b64decode(text + "=")
    except (binascii.Error, ValueError):
        return None
    return key if len(key) == KEY_BYTES else None


def count_wrong(session: Session) -> bool:
    """Count one wrong receipt for the whole instance (the caller commits); ``True`` when too many came in
    the last minute, so the answer says to wait rather than "not known"."""
    counters.add(session, WRONG_COUNTER)
    return counters.last_minute(session, WRONG_COUNTER) > WRONG_PER_MINUTE
