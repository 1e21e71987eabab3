"""Receipts as the format defines them (FORMAT.md section 6): the 16 digits a source writes down, stretched
with argon2id into a secret from which two keys are drawn apart: a *lookup key* that the server sees and
stores only a hash of, and the source's own X25519 *identity*, which opens what reviewers write back and
which nothing sent to the server reveals.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import nacl.encoding
import nacl.hash
import nacl.pwhash.argon2id

from crypto.errors import BadReceipt
from crypto.keys import Identity

DIGITS = 16
SALT_BYTES = 16
SECRET_BYTES = 32
#: argon2id cost of a receipt: 3 passes over 32 MiB, under half a second on a cheap phone, above OWASP's
#: minimum (19 MiB, 2 passes). The same in every implementation: it is part of the format.
OPSLIMIT = 3
MEMLIMIT = 32 * 1024 * 1024
#: The labels that keep the two keys apart (BLAKE2b keyed with the receipt secret).
LOOKUP_LABEL = b"sori-receipt-lookup-v1"
SOURCE_LABEL = b"sori-source-key-v1"


@dataclass(frozen=True)
class ReceiptKeys:
    """What a receipt gives: the argon2id ``secret``, the ``lookup_key`` sent to the server, and the
    source's ``identity``."""

    secret: bytes
    lookup_key: bytes
    identity: Identity

    @property
    def legacy_hash(self) -> str:
        """What Sori stored for receipts issued before the lookup key existed: SHA-256 of the secret."""
        return hashlib.sha256(self.secret).hexdigest()


def derive(digits: str, salt: bytes) -> ReceiptKeys:
    """The keys of receipt ``digits`` (exactly 16 ASCII digits) under the instance's 16-byte ``salt``.

    Raises :class:`~crypto.errors.BadReceipt` for anything else."""
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        raise BadReceipt("a receipt is exactly 16 ASCII digits")
    if len(salt) != SALT_BYTES:
        raise BadReceipt("a receipt salt is 16 bytes")
    secret = nacl.pwhash.argon2id.kdf(
        SECRET_BYTES, digits.encode("ascii"), salt, opslimit=OPSLIMIT, memlimit=MEMLIMIT
    )
    return from_secret(secret)


def from_secret(secret: bytes) -> ReceiptKeys:
    """The keys drawn from a receipt's argon2id ``secret`` (32 bytes)."""
    if len(secret) != SECRET_BYTES:
        raise BadReceipt("a receipt secret is 32 bytes")
    lookup_key = _keyed(secret, LOOKUP_LABEL)
    identity = Identity.from_secret_key(_keyed(secret, SOURCE_LABEL))
    return ReceiptKeys(secret=secret, lookup_key=lookup_key, identity=identity)


def _keyed(secret: bytes, label: bytes) -> bytes:
    return nacl.hash.blake2b(label, digest_size=32, key=secret, encoder=nacl.encoding.RawEncoder)
