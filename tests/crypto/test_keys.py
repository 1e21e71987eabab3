"""Identities, printable public keys, fingerprints and identity files in the Python implementation."""

import json
import unicodedata

import pytest

from crypto.errors import BadIdentity, BadPublicKey, SizeLimitExceeded, WrongPassphrase
from crypto.keys import Identity, PublicKey, read_identity_public_key

CHEAP = {"opslimit": 1, "memlimit": 65536}


def test_public_key_text_round_trips_and_has_a_spoken_fingerprint():
    key = Identity.generate().public_key
    assert PublicKey.parse(key.text) == key
    assert len(key.text) == 57 and key.text.startswith("sori-pk1-")
    groups = key.fingerprint.split(" ")
    assert len(groups) == 6 and all(len(g) == 5 and g.isdigit() for g in groups)


@pytest.mark.parametrize("position", range(9, 57))
def test_any_changed_character_of_a_public_key_is_refused(position):
    text = Identity.from_secret_key(bytes(32)).public_key.text
    replacement = "A" if text[position] != "A" else "B"
    with pytest.raises(BadPublicKey):
        PublicKey.parse(text[:position] + replacement + text[position + 1 :])


def test_identity_file_round_trip_and_public_key_without_passphrase():
    identity = Identity.generate()
    wrapped = identity.wrap("비밀 문장", **CHEAP)
    assert read_identity_public_key(wrapped) == identity.public_key
    assert Identity.unwrap(wrapped, "비밀 문장") == identity
    assert identity.secret_key.hex() not in wrapped


def test_korean_passphrase_opens_whatever_the_unicode_normal_form():
    identity = Identity.generate()
    wrapped = identity.wrap(unicodedata.normalize("NFD", "소리"), **CHEAP)
    assert Identity.unwrap(wrapped, unicodedata.normalize("NFC", "소리")) == identity


def test_wrong_passphrase_is_refused():
    wrapped = Identity.generate().wrap("right", **CHEAP)
    with pytest.raises(WrongPassphrase):
        Identity.unwrap(wrapped, "wrong")


def test_default_wrapping_uses_64_mib_argon2id():
    kdf = json.loads(Identity.generate().wrap("x"))["kdf"]
    assert (kdf["alg"], kdf["opslimit"], kdf["memlimit"]) == ("argon2id13", 3, 64 * 1024 * 1024)


def test_hostile_identity_files_are_refused_before_any_work():
    wrapped = json.loads(Identity.generate().wrap("x", **CHEAP))
    wrapped["kdf"]["memlimit"] = 1 << 40
    with pytest.raises(SizeLimitExceeded):
        Identity.unwrap(json.dumps(wrapped), "x")
    with pytest.raises(BadIdentity):
        Identity.unwrap(b"\xff\xfe", "x")
    with pytest.raises(BadIdentity):
        Identity.unwrap("[]", "x")
