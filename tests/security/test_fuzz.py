"""Fuzzing (hypothesis) of what reads untrusted bytes: the envelope reader and framing checker, the server
path's form sealer, the receipt normaliser and decoder, and the public-key parser.

Each may refuse, but only with its documented exception, never another one and never a hang (every input is
bounded; the suite's timeout catches a loop).
"""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import answers, receipts
from crypto.envelope import EnvelopeReader, encrypt_parts
from crypto.errors import BadPublicKey, CryptoError
from crypto.framing import FramingChecker
from crypto.keys import Identity, PublicKey
from intake.form_sealing import Controls, FormRefused, seal_form
from tests.security.hostile import multipart

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
IDENTITY = Identity.generate()


def _valid(parts: list[tuple[str, str, bytes]]) -> bytes:
    out = io.BytesIO()
    encrypt_parts(out, [IDENTITY.public_key, Identity.generate().public_key], parts)
    return out.getvalue()


VALID = [
    _valid([("answers.json", "application/json", b'{"a": 1}')]),
    _valid([("answers.json", "application/json", b"x" * 70_000), ("p.jpg", "image/jpeg", b"\xff" * 65536)]),
]


def _read_all(data: bytes) -> None:
    """Read an envelope to its end, as a reviewer's tools do; only CryptoError may come out."""
    try:
        reader = EnvelopeReader(io.BytesIO(data), identity=IDENTITY, max_plaintext=1_000_000)
        for part in reader:
            for _ in part:
                pass
    except CryptoError:
        pass


def _check_framing(data: bytes, split: int) -> None:
    checker = FramingChecker()
    try:
        for start in range(0, len(data), split):
            checker.feed(data[start : start + split])
        checker.finish()
    except CryptoError:
        pass


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid envelope with bytes flipped, cut, inserted, duplicated or spliced."""
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete", "duplicate", "set"]))
        at = draw(st.integers(0, len(data) - 1)) if data else 0
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 200))]
        elif kind == "set" and data:
            data[at] = draw(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF]))
    return bytes(data)


@FUZZ
@given(st.binary(max_size=4096))
def test_envelope_reader_on_arbitrary_bytes(data: bytes) -> None:
    _read_all(data)
    _read_all(b"SORI-ENV\x01" + data)


@FUZZ
@given(mutated())
def test_envelope_reader_on_mutated_envelopes(data: bytes) -> None:
    _read_all(data)


@FUZZ
@given(st.one_of(st.binary(max_size=4096), mutated()), st.integers(1, 70_000))
def test_framing_checker_on_anything_in_any_pieces(data: bytes, split: int) -> None:
    _check_framing(data, split)
    _check_framing(b"SORI-ENV\x01" + data, split)


# --- the server path's form sealer --------------------------------------------------------------------------

BOUNDARY = b"fuzzbnd"
NAMES = sorted(answers.TEXT_FIELDS) + ["csrf_token", "follow_up_key", "who-1-name", "attachments", "", "x\0"]


def _accept(controls: Controls) -> None:
    assert isinstance(controls.csrf_token, str)


def _seal(body: bytes, boundary: bytes = BOUNDARY) -> None:
    try:
        seal_form(
            io.BytesIO(body), boundary, [IDENTITY.public_key], io.BytesIO(), lang="ko", authorise=_accept
        )
    except FormRefused:
        pass


header_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60)


@st.composite
def part(draw: st.DrawFn) -> tuple[bytes, bytes]:
    name = draw(st.sampled_from(NAMES) | header_text)
    disposition = b'Content-Disposition: form-data; name="' + name.encode("utf-8", "surrogatepass") + b'"'
    if draw(st.booleans()):
        filename = draw(header_text | st.sampled_from(["../../etc/passwd", "", "\u202e", "a\\b"]))
        disposition += b'; filename="' + filename.encode("utf-8") + b'"'
    headers = [disposition] if draw(st.integers(0, 9)) else []
    if draw(st.booleans()):
        headers.append(b"Content-Type: " + draw(header_text).encode("utf-8"))
    if draw(st.integers(0, 5)) == 0:
        headers.append(draw(st.binary(max_size=80)))
    content = draw(st.binary(max_size=300) | header_text.map(lambda t: t.encode("utf-8")))
    return b"\r\n".join(headers), content


@st.composite
def form_body(draw: st.DrawFn) -> bytes:
    parts = draw(st.lists(part(), max_size=8))
    if draw(st.booleans()):
        parts.insert(0, (b'Content-Disposition: form-data; name="csrf_token"', b"token"))
    body = multipart(BOUNDARY, parts, end=draw(st.booleans()))
    if draw(st.integers(0, 3)) == 0 and body:
        cut = draw(st.integers(0, len(body)))
        body = body[:cut] + draw(st.binary(max_size=40)) + body[cut:]
    return body


@FUZZ
@given(form_body())
def test_the_form_sealer_refuses_only_with_form_refused(body: bytes) -> None:
    _seal(body)


@FUZZ
@given(st.binary(max_size=2048), st.binary(min_size=1, max_size=70))
def test_the_form_sealer_on_arbitrary_bytes_and_boundaries(body: bytes, boundary: bytes) -> None:
    _seal(body, boundary)
    _seal(b"--" + boundary + b"\r\n" + body, boundary)


# --- receipts and public keys -------------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=200))
def test_the_receipt_normaliser_answers_16_ascii_digits_or_none(text: str) -> None:
    digits = receipts.normalize(text)
    assert digits is None or (len(digits) == 16 and digits.isascii() and digits.isdigit())
    key = receipts.decode_key(text)
    assert key is None or len(key) == 32


@FUZZ
@given(st.text(max_size=120) | st.from_regex(r"sori-pk1-[A-Za-z0-9_\-]{44,50}", fullmatch=True))
def test_the_public_key_parser_refuses_only_with_bad_public_key(text: str) -> None:
    try:
        key = PublicKey.parse(text)
    except BadPublicKey:
        return
    assert PublicKey.parse(key.text) == key


@FUZZ
@given(st.integers(0, 42), st.sampled_from(list("-_aA09=+/ \u00e9\0")))
def test_a_changed_character_of_a_public_key_is_caught(position: int, replacement: str) -> None:
    text = IDENTITY.public_key.text
    prefix = len("sori-pk1-")
    changed = text[: prefix + position] + replacement + text[prefix + position + 1 :]
    if changed == text:
        return
    with pytest.raises(BadPublicKey):
        PublicKey.parse(changed)
