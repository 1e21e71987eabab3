"""The offline `sori keygen`, `encrypt` and `decrypt` commands, as an air-gapped reviewer uses them."""

import io
import json
import stat

import pytest
from click.testing import CliRunner

from crypto.envelope import encrypt_parts
from crypto.keys import Identity, read_identity_public_key
from sori.cli import cli

PASSPHRASE = "오프라인 검토자의 비밀 문장"


@pytest.fixture
def runner():
    return CliRunner(env={"SORI_PASSPHRASE": PASSPHRASE})


@pytest.fixture
def identity_file(tmp_path, runner):
    path = tmp_path / "reviewer.identity"
    result = runner.invoke(cli, ["keygen", "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path


def _identity(path) -> Identity:
    return Identity.unwrap(path.read_text(), PASSPHRASE)


def test_keygen_writes_a_private_wrapped_identity_and_prints_its_public_key(tmp_path, runner):
    path = tmp_path / "new.identity"
    result = runner.invoke(cli, ["keygen", "-o", str(path)])
    assert result.exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    public_key = read_identity_public_key(path.read_text())
    assert result.stdout.strip() == public_key.text
    assert public_key.fingerprint in result.stderr
    assert _identity(path).public_key == public_key
    assert runner.invoke(cli, ["keygen", "-o", str(path)]).exit_code == 1  # never overwrites a key


def test_keygen_reads_the_passphrase_from_a_file(tmp_path):
    phrase_file = tmp_path / "phrase"
    phrase_file.write_text("from a file\n")
    path = tmp_path / "k.identity"
    result = CliRunner().invoke(cli, ["keygen", "-o", str(path), "--passphrase-file", str(phrase_file)])
    assert result.exit_code == 0
    Identity.unwrap(path.read_text(), "from a file")


def test_encrypt_then_decrypt_a_file_round_trips(tmp_path, runner, identity_file):
    plain = tmp_path / "증언.txt"
    plain.write_bytes("2019년 회령 구류장\n".encode() * 10000)
    sealed = tmp_path / "testimony.sori"
    assert (
        runner.invoke(cli, ["encrypt", "-r", str(identity_file), "-o", str(sealed), str(plain)]).exit_code
        == 0
    )
    assert plain.read_bytes()[:20] not in sealed.read_bytes()
    out = tmp_path / "opened.txt"
    result = runner.invoke(cli, ["decrypt", "-i", str(identity_file), "-o", str(out), str(sealed)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == plain.read_bytes()
    assert "증언.txt" in result.stderr


def test_encrypt_and_decrypt_through_standard_streams(runner, identity_file):
    public_key = read_identity_public_key(identity_file.read_text()).text
    sealed = runner.invoke(cli, ["encrypt", "-r", public_key], input=b"piped testimony").stdout_bytes
    opened = runner.invoke(cli, ["decrypt", "-i", str(identity_file)], input=sealed)
    assert opened.exit_code == 0 and opened.stdout_bytes == b"piped testimony"


def test_a_damaged_envelope_fails_with_one_line_and_leaves_no_plaintext(tmp_path, runner, identity_file):
    identity = _identity(identity_file)
    envelope = io.BytesIO()
    encrypt_parts(envelope, [identity.public_key], [("big.bin", "application/octet-stream", b"s" * 300_000)])
    damaged = tmp_path / "damaged.sori"
    damaged.write_bytes(envelope.getvalue()[:-100])
    out = tmp_path / "out.bin"
    result = runner.invoke(cli, ["decrypt", "-i", str(identity_file), "-o", str(out), str(damaged)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "truncated" in result.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.sori", "reviewer.identity"]


def test_an_envelope_for_someone_else_is_refused(tmp_path, runner, identity_file):
    envelope = io.BytesIO()
    encrypt_parts(envelope, [Identity.generate().public_key], [("a", "text/plain", b"not yours")])
    path = tmp_path / "other.sori"
    path.write_bytes(envelope.getvalue())
    result = runner.invoke(cli, ["decrypt", "-i", str(identity_file), str(path)])
    assert result.exit_code == 1 and "no_matching_key" in result.stderr
    assert b"not yours" not in result.stdout_bytes


def test_a_wrong_passphrase_is_refused(tmp_path, identity_file):
    result = CliRunner(env={"SORI_PASSPHRASE": "wrong"}).invoke(
        cli, ["decrypt", "-i", str(identity_file), str(identity_file)]
    )
    assert result.exit_code == 1 and "wrong_passphrase" in result.stderr


def test_a_multi_part_envelope_opens_into_a_folder_with_safe_names(tmp_path, runner, identity_file):
    identity = _identity(identity_file)
    answers = json.dumps({"what_happened": "보위부"}, ensure_ascii=False).encode()
    envelope = io.BytesIO()
    encrypt_parts(
        envelope,
        [identity.public_key],
        [
            ("answers.json", "application/json", answers),
            ("../../../etc/passwd", "text/plain", b"traversal"),
            ("photo.jpg", "image/jpeg", b"\xff\xd8one"),
            ("photo.jpg", "image/jpeg", b"\xff\xd8two"),
            (".hidden", "text/plain", b"dot"),
        ],
    )
    path = tmp_path / "submission.sori"
    path.write_bytes(envelope.getvalue())
    out = tmp_path / "opened"
    result = runner.invoke(cli, ["decrypt", "-i", str(identity_file), "-o", str(out), str(path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "answers.json",
        "hidden",
        "passwd",
        "photo (2).jpg",
        "photo.jpg",
    ]
    assert (out / "answers.json").read_bytes() == answers
    assert (out / "photo (2).jpg").read_bytes() == b"\xff\xd8two"
    assert not (tmp_path / "etc").exists()
    stdout_attempt = runner.invoke(cli, ["decrypt", "-i", str(identity_file), str(path)])
    assert stdout_attempt.exit_code == 1 and "-o FOLDER" in stdout_attempt.stderr


def test_decrypt_never_overwrites(tmp_path, runner, identity_file):
    existing = tmp_path / "keep.txt"
    existing.write_text("evidence")
    envelope = io.BytesIO()
    encrypt_parts(envelope, [_identity(identity_file).public_key], [("a", "text/plain", b"new")])
    path = tmp_path / "e.sori"
    path.write_bytes(envelope.getvalue())
    result = runner.invoke(cli, ["decrypt", "-i", str(identity_file), "-o", str(existing), str(path)])
    assert result.exit_code == 1 and existing.read_text() == "evidence"


def test_a_mistyped_recipient_key_is_refused(runner):
    result = runner.invoke(cli, ["encrypt", "-r", "sori-pk1-typo"], input=b"x")
    assert result.exit_code == 1 and "not a Sori public key" in result.stderr
