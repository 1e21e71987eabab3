"""Receipts: digits a person can write down, forgiving input, and a key that only argon2id reaches."""

import hashlib

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


def test_the_stored_value_is_a_hash_of_the_lookup_key_drawn_from_argon2id_of_the_digits():
    salt = bytes(range(16))
    keys = receipts.derive("1234567890123456", salt)
    secret = nacl.pwhash.argon2id.kdf(32, b"1234567890123456", salt, opslimit=3, memlimit=32 * 1024 * 1024)
    assert keys.secret == secret
    assert receipts.stored_hash(keys.lookup_key) == hashlib.sha256(keys.lookup_key).hexdigest()
    # What the server sees (the lookup key) and keeps (its hash) is not the source's secret key.
    assert keys.lookup_key != keys.identity.secret_key
    assert receipts.decode_key(receipts.encode_key(keys.lookup_key)) == keys.lookup_key


@pytest.mark.parametrize("text", [None, "", "A" * 42, "A" * 44, "!" * 43, "가" * 43])
def test_malformed_receipt_keys_are_ignored(text):
    assert receipts.decode_key(text) is None


def test_wrong_receipts_are_counted_for_the_whole_instance(app):
    from core import db

    with app.app_context():
        session = db.session()
        answers = [receipts.count_wrong(session) for _ in range(receipts.WRONG_PER_MINUTE + 2)]
        session.commit()
    assert answers[: receipts.WRONG_PER_MINUTE] == [False] * receipts.WRONG_PER_MINUTE
    assert answers[-2:] == [True, True]
