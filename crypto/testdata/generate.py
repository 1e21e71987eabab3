"""Makes the known-answer vectors of FORMAT.md section 5: good envelopes, and one broken file per rule.

Run from the repository root: ``python crypto/testdata/generate.py``. Sealed boxes use fresh ephemeral
keys, so a new run gives different bytes; the committed files are the reference both implementations
must pass. Broken envelopes that the real writer refuses to make are built here with raw libsodium calls.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import unicodedata
from collections.abc import Callable
from pathlib import Path

import nacl.bindings as sodium

from crypto import receipts
from crypto.envelope import (
    ABYTES,
    CHUNK,
    MAGIC,
    STANZA_BYTES,
    TAG_FINAL,
    TAG_MESSAGE,
    TAG_PUSH,
    encrypt_parts,
    header_length,
)
from crypto.keys import Identity, PublicKey

HERE = Path(__file__).resolve().parent
TAG_REKEY = sodium.crypto_secretstream_xchacha20poly1305_TAG_REKEY

# Fixed, published test keys: never use them for anything real.
ALICE = Identity.from_secret_key(bytes.fromhex("a1" * 32))
BOB = Identity.from_secret_key(bytes.fromhex("b0" * 32))

ANSWERS = json.dumps(
    {"what_happened": "2019년 겨울 회령 보위부 구류장에서 조사를 받았습니다.", "consent": ["documentation"]},
    ensure_ascii=False,
).encode("utf-8")
PHOTO = bytes(range(256)) * 600  # 153600 bytes: two full chunks and a short one


def _pattern(size: int, seed: int) -> bytes:
    return bytes((i * 31 + seed) % 251 for i in range(size))


def _good(parts: list[tuple[str, str, bytes]], recipients: list[PublicKey]) -> tuple[bytes, bytes]:
    out = io.BytesIO()
    writer = encrypt_parts(out, recipients, parts)
    return out.getvalue(), writer.file_key


def _chunks(envelope: bytes, recipients: int) -> tuple[bytes, list[bytes]]:
    """Split an envelope into its header and its framed chunks (length prefix included)."""
    offset = header_length(recipients)
    header, chunks = envelope[:offset], []
    while offset < len(envelope):
        length = int.from_bytes(envelope[offset : offset + 4], "big")
        chunks.append(envelope[offset : offset + 4 + length])
        offset += 4 + length
    return header, chunks


def _raw(records: list[tuple[bytes, int]], recipient: PublicKey = ALICE.public_key) -> bytes:
    """An envelope whose decrypted chunks are exactly ``records`` (plaintext, tag), whatever the grammar."""
    file_key = sodium.crypto_secretstream_xchacha20poly1305_keygen()
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    stream_header = sodium.crypto_secretstream_xchacha20poly1305_init_push(state, file_key)
    header = (
        MAGIC
        + bytes([1, 1])
        + recipient.key_id
        + sodium.crypto_box_seal(file_key, recipient.raw)
        + stream_header
    )
    body = []
    for i, (plaintext, tag) in enumerate(records):
        ciphertext = sodium.crypto_secretstream_xchacha20poly1305_push(
            state, plaintext, header if i == 0 else None, tag
        )
        body.append(len(ciphertext).to_bytes(4, "big") + ciphertext)
    return header + b"".join(body)


def _meta(name: str, media_type: str = "application/octet-stream") -> bytes:
    return json.dumps({"name": name, "type": media_type}).encode()


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def _part_entry(name: str, media_type: str, content: bytes) -> dict:
    return {
        "name": name,
        "type": media_type,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def build() -> dict:
    """Write every vector file and return the index that goes into vectors.json."""
    envelopes: list[dict] = []

    def add(name: str, data: bytes, expect: str | list[dict], identity: str = "alice", **extra: str) -> None:
        (HERE / name).write_bytes(data)
        entry: dict = {"file": name, "expect": expect}
        if "file_key" in extra:
            entry["file_key"] = extra["file_key"]
        else:
            entry["identity"] = identity
        envelopes.append(entry)

    simple_parts = [("answers.json", "application/json", ANSWERS)]
    simple, simple_key = _good(simple_parts, [ALICE.public_key])
    add("good_simple.sori", simple, [_part_entry(*p) for p in simple_parts])

    multi_parts = [
        ("answers.json", "application/json", ANSWERS),
        ("사진 1.jpg", "image/jpeg", PHOTO),
        ("empty.txt", "text/plain", b""),
        ("exact.bin", "application/octet-stream", _pattern(CHUNK, 7)),
        ("one.bin", "application/octet-stream", b"\x00"),
        ("over.bin", "application/octet-stream", _pattern(CHUNK + 1, 3)),
    ]
    multi, _ = _good(multi_parts, [ALICE.public_key])
    add("good_multipart.sori", multi, [_part_entry(*p) for p in multi_parts])

    empty_parts = [("nothing", "application/octet-stream", b"")]
    add(
        "good_empty_part.sori",
        _good(empty_parts, [ALICE.public_key])[0],
        [_part_entry(*p) for p in empty_parts],
    )

    two, two_key = _good(simple_parts, [ALICE.public_key, BOB.public_key])
    add("good_two_recipients.sori", two, [_part_entry(*p) for p in simple_parts], identity="bob")
    add("good_file_key.sori", simple, [_part_entry(*p) for p in simple_parts], file_key=simple_key.hex())

    # Header and stanzas.
    add("fail_not_an_envelope.sori", b"-----BEGIN PGP MESSAGE-----\n", "not_an_envelope")
    add("fail_short_magic.sori", MAGIC[:5], "not_an_envelope")
    add("fail_truncated_magic_only.sori", MAGIC, "truncated")
    add("fail_unsupported_version.sori", simple[:8] + b"\x02" + simple[9:], "unsupported_version")
    add("fail_no_recipients.sori", simple[:9] + b"\x00" + simple[10:], "malformed")
    add("fail_truncated_header.sori", simple[: 10 + STANZA_BYTES // 2], "truncated")
    add("fail_wrong_identity.sori", simple, "no_matching_key", identity="bob")
    add("fail_key_id_altered.sori", _flip(simple, 10), "no_matching_key")
    add("fail_sealed_key_altered.sori", _flip(simple, 10 + 8 + 40), "tampered")
    add("fail_stream_header_altered.sori", _flip(simple, header_length(1) - 3), "tampered")
    # Alice's own stanza is intact; Bob's is altered, and the header is authenticated with the body.
    add("fail_other_stanza_altered.sori", _flip(two, 10 + STANZA_BYTES + 20), "tampered")
    add("fail_wrong_file_key.sori", simple, "tampered", file_key=two_key.hex())

    # Chunks.
    header, chunks = _chunks(multi, 1)
    add("fail_body_bit_flipped.sori", _flip(multi, header_length(1) + 4 + 100), "tampered")
    add(
        "fail_chunk_reordered.sori",
        header + chunks[0] + chunks[1] + chunks[3] + chunks[2] + b"".join(chunks[4:]),
        "tampered",
    )
    add("fail_chunk_dropped.sori", header + chunks[0] + chunks[1] + b"".join(chunks[3:]), "tampered")
    add(
        "fail_chunk_repeated.sori",
        header + chunks[0] + chunks[1] + chunks[2] + b"".join(chunks[2:]),
        "tampered",
    )
    add("fail_first_chunk_dropped.sori", header + b"".join(chunks[1:]), "tampered")
    add("fail_truncated_no_final.sori", header + b"".join(chunks[:-1]), "truncated")
    add("fail_truncated_inside_chunk.sori", multi[:-10], "truncated")
    add("fail_truncated_inside_length.sori", header + b"".join(chunks[:-1]) + chunks[-1][:2], "truncated")
    add("fail_body_missing.sori", header, "truncated")
    add("fail_trailing_data.sori", multi + b"\x00", "trailing_data")
    add("fail_trailing_envelope.sori", simple + simple, "trailing_data")
    big_length = (0xFFFFFFFF).to_bytes(4, "big")
    add("fail_chunk_length_huge.sori", header + big_length + chunks[0][4:], "size_limit")
    add("fail_chunk_length_short.sori", header + (ABYTES - 1).to_bytes(4, "big") + b"\x00" * 16, "size_limit")

    # Grammar, built from raw chunks.
    body = _pattern(CHUNK, 1)
    add("fail_meta_not_json.sori", _raw([(b"{name: x}", TAG_MESSAGE), (b"x", TAG_FINAL)]), "malformed")
    add("fail_meta_not_object.sori", _raw([(b'["x"]', TAG_MESSAGE), (b"x", TAG_FINAL)]), "malformed")
    add(
        "fail_meta_not_utf8.sori",
        _raw([(b'{"name": "\xff", "type": "x"}', TAG_MESSAGE), (b"x", TAG_FINAL)]),
        "malformed",
    )
    add(
        "fail_meta_no_name.sori",
        _raw([(b'{"type": "text/plain"}', TAG_MESSAGE), (b"x", TAG_FINAL)]),
        "malformed",
    )
    add(
        "fail_meta_empty_type.sori",
        _raw([(b'{"name": "a", "type": ""}', TAG_MESSAGE), (b"x", TAG_FINAL)]),
        "malformed",
    )
    long_name = json.dumps({"name": "a" * 256, "type": "x"}).encode()
    add("fail_meta_name_too_long.sori", _raw([(long_name, TAG_MESSAGE), (b"x", TAG_FINAL)]), "malformed")
    huge_meta = json.dumps({"name": "a", "type": "x", "pad": "p" * 5000}).encode()
    add("fail_meta_too_long.sori", _raw([(huge_meta, TAG_MESSAGE), (b"x", TAG_FINAL)]), "size_limit")
    add("fail_meta_final_tag.sori", _raw([(_meta("a"), TAG_FINAL)]), "malformed")
    add(
        "fail_short_message_chunk.sori",
        _raw([(_meta("a"), TAG_MESSAGE), (b"short", TAG_MESSAGE), (b"x", TAG_FINAL)]),
        "malformed",
    )
    add(
        "fail_empty_last_after_data.sori",
        _raw([(_meta("a"), TAG_MESSAGE), (body, TAG_MESSAGE), (b"", TAG_FINAL)]),
        "malformed",
    )
    add(
        "fail_rekey_tag.sori",
        _raw([(_meta("a"), TAG_MESSAGE), (b"x", TAG_REKEY), (b"x", TAG_FINAL)]),
        "malformed",
    )
    add("fail_ends_after_push.sori", _raw([(_meta("a"), TAG_MESSAGE), (b"x", TAG_PUSH)]), "truncated")
    add(
        "good_raw_two_parts.sori",
        _raw(
            [
                (_meta("a"), TAG_MESSAGE),
                (b"x", TAG_PUSH),
                (_meta("b", "text/plain"), TAG_MESSAGE),
                (body, TAG_FINAL),
            ]
        ),
        [_part_entry("a", "application/octet-stream", b"x"), _part_entry("b", "text/plain", body)],
    )

    public_keys = [
        _key_entry(ALICE.public_key.text, ALICE.public_key),
        _key_entry(BOB.public_key.text, BOB.public_key),
        _key_entry("  " + BOB.public_key.text + "\n", BOB.public_key),
        {"text": "sori-pk2-" + ALICE.public_key.text[9:], "expect": "bad_key"},
        {"text": "SORI-PK1-" + ALICE.public_key.text[9:], "expect": "bad_key"},
        {"text": ALICE.public_key.text[:-1], "expect": "bad_key"},
        {"text": ALICE.public_key.text + "A", "expect": "bad_key"},
        {
            "text": ALICE.public_key.text[:20]
            + _other_char(ALICE.public_key.text[20])
            + ALICE.public_key.text[21:],
            "expect": "bad_key",
        },
        {"text": ALICE.public_key.text[:-2] + "+/", "expect": "bad_key"},
        {"text": "", "expect": "bad_key"},
        # The all-zero point: parses as base64 with a good check, but has small order.
        {"text": _text_without_checks(bytes(32)), "expect": "bad_key"},
        # Only ASCII space, tab, CR and LF are forgiven around a key.
        {"text": "\v" + ALICE.public_key.text, "expect": "bad_key"},
        {"text": "\u3000" + ALICE.public_key.text, "expect": "bad_key"},
    ]

    return {
        "identities": {"alice": ALICE.secret_key.hex(), "bob": BOB.secret_key.hex()},
        "envelopes": envelopes,
        "public_keys": public_keys,
        "identity_files": _identity_files(),
        "receipts": receipt_vectors(),
    }


def receipt_vectors() -> list[dict]:
    """FORMAT.md section 6: receipts and the keys drawn from them (deterministic: argon2id and BLAKE2b)."""
    salt = bytes.fromhex("5a" * 16)

    def good(digits: str) -> dict:
        keys = receipts.derive(digits, salt)
        return {
            "digits": digits,
            "salt": salt.hex(),
            "expect": {
                "secret": keys.secret.hex(),
                "lookup_key": keys.lookup_key.hex(),
                "source_secret_key": keys.identity.secret_key.hex(),
                "source_public_key": keys.identity.public_key.text,
                "legacy_hash": keys.legacy_hash,
            },
        }

    def bad(digits: str, salt_hex: str = salt.hex()) -> dict:
        return {"digits": digits, "salt": salt_hex, "expect": "bad_receipt"}

    return [
        good("1234567890123456"),
        good("0000000000000000"),
        good("9081726354453627"),
        bad("123456789012345"),  # 15 digits
        bad("12345678901234567"),  # 17 digits
        bad("1234 5678 9012 3456"),  # spaces are for people; the format takes the digits alone
        bad("１２３４５６７８９０１２３４５６"),  # full-width digits: normalising them is the page's job
        bad("123456789012345a"),
        bad("1234567890123456", "5a" * 15),  # a 15-byte salt
    ]


def _text_without_checks(raw: bytes) -> str:
    """The printable form of 32 bytes with a correct typo check, whether or not they are a usable key."""
    check = hashlib.blake2b(raw, digest_size=32).digest()[:4]
    return "sori-pk1-" + base64.urlsafe_b64encode(raw + check).rstrip(b"=").decode()


def _other_char(c: str) -> str:
    return "B" if c != "B" else "C"


def _key_entry(text: str, key: PublicKey) -> dict:
    return {
        "text": text,
        "expect": {"raw": key.raw.hex(), "key_id": key.key_id.hex(), "fingerprint": key.fingerprint},
    }


def _identity_files() -> list[dict]:
    """Identity files with cheap key derivation (1 pass, 64 KiB) so that vectors run fast everywhere."""
    passphrase = "소리 증언 passphrase"  # precomposed (NFC) Hangul
    cheap = {"opslimit": 1, "memlimit": 65536}
    good = ALICE.wrap(passphrase, **cheap)
    entries: list[dict] = []

    def add(name: str, text: str, expect: str | dict, phrase: str = passphrase) -> None:
        (HERE / name).write_text(text, encoding="utf-8")
        entries.append({"file": name, "passphrase": phrase, "expect": expect})

    ok = {"public_key": ALICE.public_key.text}
    add("good_identity.json", good, ok)
    add("good_identity_nfd_passphrase.json", good, ok, phrase=unicodedata.normalize("NFD", passphrase))
    add("fail_identity_wrong_passphrase.json", good, "wrong_passphrase", phrase="소리 증언 passphrasE")

    def edited(change: Callable[[dict], None]) -> str:
        document = json.loads(good)
        change(document)
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    add("fail_identity_not_json.json", "sori identity\n", "bad_identity")
    add("fail_identity_version.json", edited(lambda d: d.update(sori_identity=2)), "bad_identity")
    add("fail_identity_version_true.json", edited(lambda d: d.update(sori_identity=True)), "bad_identity")
    add("fail_identity_alg.json", edited(lambda d: d["kdf"].update(alg="scrypt")), "bad_identity")
    add("fail_identity_ops_not_int.json", edited(lambda d: d["kdf"].update(opslimit="1")), "bad_identity")
    add(
        "fail_identity_salt_short.json",
        edited(lambda d: d["kdf"].update(salt=d["kdf"]["salt"][:-2])),
        "bad_identity",
    )
    add(
        "fail_identity_bad_public_key.json",
        edited(lambda d: d.update(public_key="sori-pk1-xyz")),
        "bad_identity",
    )
    add("fail_identity_memlimit_huge.json", edited(lambda d: d["kdf"].update(memlimit=1 << 40)), "size_limit")
    add("fail_identity_opslimit_huge.json", edited(lambda d: d["kdf"].update(opslimit=1000)), "size_limit")
    add(
        "fail_identity_public_key_swapped.json",
        edited(lambda d: d.update(public_key=BOB.public_key.text)),
        "wrong_passphrase",
    )
    # Bob's secret key wrapped under Alice's public key as additional data: it opens, but does not match.
    mismatched = Identity(BOB.secret_key, ALICE.public_key).wrap(passphrase, **cheap)
    add("fail_identity_key_mismatch.json", mismatched, "bad_identity")
    return entries


def main() -> None:
    for old in HERE.glob("*.sori"):
        old.unlink()
    for old in HERE.glob("*identity*.json"):
        old.unlink()
    index = build()
    (HERE / "vectors.json").write_text(
        json.dumps(index, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(
        f"{len(index['envelopes'])} envelopes, {len(index['public_keys'])} public keys, "
        f"{len(index['identity_files'])} identity files, {len(index['receipts'])} receipts"
    )


if __name__ == "__main__":
    main()
