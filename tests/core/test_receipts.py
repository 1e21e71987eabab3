"""Receipts: digits a person can write down, forgiving input, and a key that only argon2id reaches."""

import hashlib
import math
import re
from pathlib import Path

import nacl.pwhash.argon2id
import pytest

from core import receipts


def test_receipts_are_16_uniform_digits_in_four_groups():
    drawn = [receipts.new_receipt() for _ in range(2000)]
    assert all(len(r) == 16 and r.isdigit() for r in drawn)
    assert len(set(drawn)) == len(drawn)
    counts = [sum(r.count(str(d)) for r in drawn) for d in range(10)]
    assert max(counts) - min(counts) < 0.1 * (16 * 2000 / 10)  # no digit favoured
    assert receipts.grouped("1234567890123456") == "1234 5678 9012 3456"


@pytest.mark.parametrize(
    "typed",
    [
        "1234 5678 9012 3456",
        "1234-5678-9012-3456",
        " 1234567890123456\n",
        "１２３４ ５６７８ ９０１２ ３４５６",
    ],
)
def test_typed_receipts_are_forgiven_spaces_dashes_and_full_width_digits(typed):
    assert receipts.normalize(typed) == "1234567890123456"


@pytest.mark.parametrize(
    "typed", ["", "1234", "1234 5678 9012 345x", "12345678901234567", "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦"]
)
def test_anything_else_is_not_a_receipt(typed):
    assert receipts.normalize(typed) is None


def test_the_stored_value_is_a_hash_of_argon2id_of_the_digits():
    salt = bytes(range(16))
    key = receipts.derive_key("1234567890123456", salt)
    expected = nacl.pwhash.argon2id.kdf(32, b"1234567890123456", salt, opslimit=3, memlimit=32 * 1024 * 1024)
    assert key == expected
    assert receipts.stored_hash(key) == hashlib.sha256(expected).hexdigest()
    assert receipts.decode_key(receipts.encode_key(key)) == key


@pytest.mark.parametrize("text", [None, "", "A" * 42, "A" * 44, "!" * 43, "가" * 43])
def test_malformed_receipt_keys_are_ignored(text):
    assert receipts.decode_key(text) is None


def test_the_throttle_counts_failures_in_a_window():
    throttle = receipts.Throttle(limit=2, window=60)
    assert not throttle.blocked()
    throttle.failed()
    throttle.failed()
    assert throttle.blocked()
    throttle.window = 0
    assert not throttle.blocked()


def test_the_browser_derives_receipts_with_the_same_cost():
    script = (Path(__file__).resolve().parents[2] / "static" / "js" / "submit.js").read_text()
    opslimit = re.search(r"const RECEIPT_OPSLIMIT = (\d+);", script).group(1)
    memlimit = re.search(r"const RECEIPT_MEMLIMIT = ([\d *]+);", script).group(1)
    assert int(opslimit) == receipts.OPSLIMIT
    assert math.prod(int(factor) for factor in memlimit.split("*")) == receipts.MEMLIMIT
