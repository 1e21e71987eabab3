"""The Python implementation passes every known-answer vector of crypto/testdata (FORMAT.md section 5)."""

import hashlib
import io
import json
from pathlib import Path

import pytest

from crypto import receipts
from crypto.envelope import EnvelopeReader
from crypto.errors import CryptoError
from crypto.keys import Identity, PublicKey

TESTDATA = Path(__file__).resolve().parents[2] / "crypto" / "testdata"
VECTORS = json.loads((TESTDATA / "vectors.json").read_text(encoding="utf-8"))
IDENTITIES = {name: Identity.from_secret_key(bytes.fromhex(sk)) for name, sk in VECTORS["identities"].items()}


def _open(vector: dict) -> list[dict]:
    data = io.BytesIO((TESTDATA / vector["file"]).read_bytes())
    if "file_key" in vector:
        reader = EnvelopeReader(data, file_key=bytes.fromhex(vector["file_key"]))
    else:
        reader = EnvelopeReader(data, identity=IDENTITIES[vector["identity"]])
    parts = []
    for part in reader:
        digest, size = hashlib.sha256(), 0
        for chunk in part:
            digest.update(chunk)
            size += len(chunk)
        parts.append({"name": part.name, "type": part.type, "size": size, "sha256": digest.hexdigest()})
    return parts


@pytest.mark.parametrize("vector", VECTORS["envelopes"], ids=lambda v: v["file"])
def test_envelope_vector(vector):
    if isinstance(vector["expect"], list):
        assert _open(vector) == vector["expect"]
    else:
        with pytest.raises(CryptoError) as caught:
            _open(vector)
        assert caught.value.code == vector["expect"]


def test_every_rule_has_good_and_failing_vectors():
    codes = {v["expect"] for v in VECTORS["envelopes"] if isinstance(v["expect"], str)}
    assert codes == {
        "not_an_envelope",
        "unsupported_version",
        "malformed",
        "size_limit",
        "truncated",
        "trailing_data",
        "tampered",
        "no_matching_key",
    }
    assert any(v["file"].startswith("good_") for v in VECTORS["envelopes"])


@pytest.mark.parametrize("vector", VECTORS["public_keys"], ids=lambda v: repr(v["text"][:24]))
def test_public_key_vector(vector):
    if vector["expect"] == "bad_key":
        with pytest.raises(CryptoError) as caught:
            PublicKey.parse(vector["text"])
        assert caught.value.code == "bad_key"
    else:
        key = PublicKey.parse(vector["text"])
        assert key.raw.hex() == vector["expect"]["raw"]
        assert key.key_id.hex() == vector["expect"]["key_id"]
        assert key.fingerprint == vector["expect"]["fingerprint"]
        assert key.text == vector["text"].strip()


@pytest.mark.parametrize("vector", VECTORS["identity_files"], ids=lambda v: v["file"])
def test_identity_file_vector(vector):
    text = (TESTDATA / vector["file"]).read_text(encoding="utf-8")
    if isinstance(vector["expect"], dict):
        identity = Identity.unwrap(text, vector["passphrase"])
        assert identity.public_key.text == vector["expect"]["public_key"]
    else:
        with pytest.raises(CryptoError) as caught:
            Identity.unwrap(text, vector["passphrase"])
        assert caught.value.code == vector["expect"]


@pytest.mark.parametrize("vector", VECTORS["receipts"], ids=lambda v: repr(v["digits"]) + " " + v["salt"][:4])
def test_receipt_vector(vector):
    salt = bytes.fromhex(vector["salt"])
    if isinstance(vector["expect"], str):
        with pytest.raises(CryptoError) as caught:
            receipts.derive(vector["digits"], salt)
        assert caught.value.code == vector["expect"]
        return
    keys = receipts.derive(vector["digits"], salt)
    assert keys.secret.hex() == vector["expect"]["secret"]
    assert keys.lookup_key.hex() == vector["expect"]["lookup_key"]
    assert keys.identity.secret_key.hex() == vector["expect"]["source_secret_key"]
    assert keys.identity.public_key.text == vector["expect"]["source_public_key"]
    assert keys.legacy_hash == vector["expect"]["legacy_hash"]
    # Nothing the server sees or stores reveals the source's key.
    assert keys.identity.secret_key not in (keys.lookup_key, keys.secret)
