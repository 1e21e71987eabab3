"""Round trips at every size boundary and detection of every kind of tampering (Python implementation)."""

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto.envelope import (
    CHUNK,
    EnvelopeReader,
    EnvelopeWriter,
    decrypt_all,
    encrypt_parts,
    header_length,
    read_header,
)
from crypto.errors import CryptoError, NoMatchingKey, SizeLimitExceeded, TruncatedEnvelope
from crypto.framing import FramingChecker, check_framing
from crypto.keys import Identity

ALICE = Identity.from_secret_key(bytes(range(32)))
BOB = Identity.from_secret_key(bytes(range(1, 33)))
BOUNDARY_SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 5]
FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)


def _seal(parts, recipients=(ALICE.public_key,)):
    out = io.BytesIO()
    encrypt_parts(out, list(recipients), parts)
    return out.getvalue()


def _payload(size: int) -> bytes:
    return bytes((i * 7 + size) % 256 for i in range(size))


@pytest.mark.parametrize("size", BOUNDARY_SIZES)
def test_round_trip_at_chunk_boundaries(size):
    data = _payload(size)
    envelope = _seal([("file.bin", "application/octet-stream", data)])
    [(info, plaintext)] = decrypt_all(io.BytesIO(envelope), ALICE)
    assert (info.name, info.type, plaintext) == ("file.bin", "application/octet-stream", data)


@FAST
@given(
    parts=st.lists(
        st.tuples(
            st.text(min_size=1, max_size=40),
            st.sampled_from(["text/plain", "image/jpeg"]),
            st.integers(min_value=0, max_value=3 * CHUNK + 3),
        ),
        min_size=1,
        max_size=4,
    ),
    write_size=st.integers(min_value=1, max_value=2 * CHUNK + 7),
)
def test_round_trip_any_parts_any_write_sizes(parts, write_size):
    out = io.BytesIO()
    writer = EnvelopeWriter(out, [ALICE.public_key, BOB.public_key])
    expected = []
    for name, media_type, size in parts:
        data = _payload(size)
        writer.begin_part(name, media_type)
        for offset in range(0, size, write_size):
            writer.write(data[offset : offset + write_size])
        expected.append((name, media_type, data))
    writer.close()
    assert writer.bytes_written == len(out.getvalue())
    for identity in (ALICE, BOB):
        got = [(i.name, i.type, d) for i, d in decrypt_all(io.BytesIO(out.getvalue()), identity)]
        assert got == expected


@FAST
@given(data=st.data())
def test_any_flipped_bit_is_detected(data):
    envelope = _seal([("a", "text/plain", _payload(CHUNK + 100)), ("b", "text/plain", b"xyz")])
    position = data.draw(st.integers(min_value=0, max_value=len(envelope) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=7))
    damaged = bytearray(envelope)
    damaged[position] ^= 1 << bit
    with pytest.raises(CryptoError):
        decrypt_all(io.BytesIO(bytes(damaged)), ALICE)


@FAST
@given(data=st.data())
def test_any_truncation_is_detected(data):
    envelope = _seal([("a", "text/plain", _payload(2 * CHUNK + 1))])
    cut = data.draw(st.integers(min_value=0, max_value=len(envelope) - 1))
    with pytest.raises(CryptoError):
        decrypt_all(io.BytesIO(envelope[:cut]), ALICE)


@FAST
@given(extra=st.binary(min_size=1, max_size=100))
def test_trailing_bytes_are_detected(extra):
    envelope = _seal([("a", "text/plain", b"hello")])
    with pytest.raises(CryptoError) as caught:
        decrypt_all(io.BytesIO(envelope + extra), ALICE)
    assert caught.value.code == "trailing_data"


def test_skipped_parts_are_still_authenticated():
    envelope = bytearray(_seal([("a", "text/plain", _payload(CHUNK * 2)), ("b", "text/plain", b"end")]))
    envelope[header_length(1) + 200] ^= 1
    reader = EnvelopeReader(io.BytesIO(bytes(envelope)), identity=ALICE)
    with pytest.raises(CryptoError) as caught:
        for _part in reader:  # reads no part's data itself
            pass
    assert caught.value.code == "tampered"


def test_reader_limit_stops_oversized_plaintext():
    envelope = _seal([("a", "text/plain", _payload(3 * CHUNK))])
    with pytest.raises(SizeLimitExceeded):
        decrypt_all(io.BytesIO(envelope), ALICE, max_plaintext=2 * CHUNK)


def test_header_names_recipients_without_any_key():
    envelope = _seal(
        [("a", "text/plain", b"x")], recipients=(ALICE.public_key, BOB.public_key, ALICE.public_key)
    )
    header = read_header(io.BytesIO(envelope))
    assert header.key_ids == (ALICE.public_key.key_id, BOB.public_key.key_id)


def test_file_key_opens_without_identity():
    out = io.BytesIO()
    writer = encrypt_parts(out, [ALICE.public_key], [("a", "text/plain", b"shared")])
    reader = EnvelopeReader(io.BytesIO(out.getvalue()), file_key=writer.file_key)
    assert [p.read_all() for p in reader] == [b"shared"]


def test_wrong_identity_is_told_apart_from_damage():
    envelope = _seal([("a", "text/plain", b"x")])
    with pytest.raises(NoMatchingKey):
        decrypt_all(io.BytesIO(envelope), BOB)


def test_short_reads_from_slow_streams_are_handled():
    class Trickle(io.RawIOBase):
        def __init__(self, data):
            self._data = io.BytesIO(data)

        def read(self, size=-1):
            return self._data.read(min(size, 7) if size > 0 else 7)

    envelope = _seal([("a", "text/plain", _payload(CHUNK + 9))])
    assert decrypt_all(Trickle(envelope), ALICE)[0][1] == _payload(CHUNK + 9)


def test_framing_check_copies_valid_envelopes_and_refuses_cut_ones():
    envelope = _seal([("a", "text/plain", _payload(CHUNK + 1))])
    copy = io.BytesIO()
    header, size = check_framing(io.BytesIO(envelope), copy)
    assert size == len(envelope) and copy.getvalue() == envelope
    assert header.key_ids == (ALICE.public_key.key_id,)
    with pytest.raises(TruncatedEnvelope):
        check_framing(io.BytesIO(envelope[:-3]))
    with pytest.raises(TruncatedEnvelope):
        check_framing(io.BytesIO(envelope[: header_length(1)]))


def test_writer_refuses_misuse():
    with pytest.raises(ValueError):
        EnvelopeWriter(io.BytesIO(), [])
    writer = EnvelopeWriter(io.BytesIO(), [ALICE.public_key])
    with pytest.raises(ValueError):
        writer.write(b"before any part")
    with pytest.raises(ValueError):
        writer.begin_part("", "text/plain")
    with pytest.raises(ValueError):
        writer.close()  # no part yet
    writer.begin_part("a", "text/plain")
    writer.close()
    with pytest.raises(ValueError):
        writer.write(b"after close")


@FAST
@given(data=st.data())
def test_framing_checker_accepts_any_split_of_a_valid_envelope(data):
    envelope = _seal([("a", "text/plain", _payload(CHUNK + 5)), ("b", "text/plain", b"")])
    checker = FramingChecker()
    offset = 0
    while offset < len(envelope):
        step = data.draw(st.integers(min_value=1, max_value=70_000))
        checker.feed(envelope[offset : offset + step])
        offset += step
    assert checker.finish().key_ids == (ALICE.public_key.key_id,)
    assert checker.size == len(envelope)


@pytest.mark.parametrize(
    ("damage", "code"),
    [
        (lambda e: b"GIF89a" + e[6:], "not_an_envelope"),
        (lambda e: e[:8] + b"\x07" + e[9:], "unsupported_version"),
        (lambda e: e[:9] + b"\x00" + e[10:], "malformed"),
        (lambda e: e[: header_length(1)] + b"\xff\xff\xff\xff" + e[header_length(1) + 4 :], "size_limit"),
        (lambda e: e[:-1], "truncated"),
        (lambda e: e[: header_length(1) + 2], "truncated"),
        (lambda e: e[:5], "not_an_envelope"),
    ],
)
def test_framing_checker_refuses_what_can_be_seen_without_a_key(damage, code):
    checker = FramingChecker()
    with pytest.raises(CryptoError) as caught:
        checker.feed(damage(_seal([("a", "text/plain", b"hello")])))
        checker.finish()
    assert caught.value.code == code
