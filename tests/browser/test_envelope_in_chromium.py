"""The browser implementation (crypto/js/sori-envelope.js) in Chromium: it passes the shared vectors, and
what it writes the Python implementation opens, and the reverse, byte for byte."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import unicodedata
from pathlib import Path

import pytest

from crypto.envelope import EnvelopeReader, encrypt_parts
from crypto.keys import Identity, PublicKey
from tests.browser.conftest import ENVELOPE_SCRIPT, SODIUM_SCRIPTS

pytestmark = pytest.mark.browser

TESTDATA = Path(__file__).resolve().parents[2] / "crypto" / "testdata"
VECTORS = json.loads((TESTDATA / "vectors.json").read_text(encoding="utf-8"))
HELPERS = Path(__file__).resolve().parent / "page_helpers.js"

ANSWERS = json.dumps(
    {
        "what_happened": "2019년 겨울 회령 보위부 구류장에서 조사를 받았습니다.",
        "consent": ["documentation"],
    },
    ensure_ascii=False,
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.fixture(scope="module")
def page(sori_page):
    sori_page.add_script_tag(path=str(HELPERS))
    return sori_page


def _describe(parts: list[dict]) -> list[dict]:
    described = []
    for part in parts:
        data = base64.b64decode(part["data"])
        digest = hashlib.sha256(data).hexdigest()
        described.append({"name": part["name"], "type": part["type"], "size": len(data), "sha256": digest})
    return described


@pytest.mark.parametrize("vector", VECTORS["envelopes"], ids=lambda v: v["file"])
def test_envelope_vector(page, vector):
    if "file_key" in vector:
        key = {"fileKeyHex": vector["file_key"]}
    else:
        key = {"secretKeyHex": VECTORS["identities"][vector["identity"]]}
    envelope = b64((TESTDATA / vector["file"]).read_bytes())
    result = page.evaluate("([envelope, key]) => soriTest.decrypt(envelope, key)", [envelope, key])
    if isinstance(vector["expect"], str):
        assert result == {"code": vector["expect"]}
    else:
        assert "ok" in result, result
        assert _describe(result["ok"]) == vector["expect"]


@pytest.mark.parametrize("vector", VECTORS["public_keys"], ids=lambda v: repr(v["text"]))
def test_public_key_vector(page, vector):
    result = page.evaluate(
        """text => soriTest.outcome(() => {
            const key = sori.parsePublicKey(text);
            return {raw: sodium.to_hex(key.raw), key_id: key.keyIdHex, fingerprint: key.fingerprint};
        })""",
        vector["text"],
    )
    if isinstance(vector["expect"], str):
        assert result == {"code": vector["expect"]}
    else:
        assert result == {"ok": vector["expect"]}


@pytest.mark.parametrize("vector", VECTORS["identity_files"], ids=lambda v: v["file"])
def test_identity_file_vector(page, vector):
    result = page.evaluate(
        """([text, passphrase]) => soriTest.outcome(() => {
            const identity = sori.unwrapIdentity(text, passphrase);
            return {public_key: sori.publicKeyFromRaw(identity.publicKey).text};
        })""",
        [(TESTDATA / vector["file"]).read_text(encoding="utf-8"), vector["passphrase"]],
    )
    if isinstance(vector["expect"], str):
        assert result == {"code": vector["expect"]}
    else:
        assert result == {"ok": vector["expect"]}


@pytest.mark.parametrize("vector", VECTORS["receipts"], ids=lambda v: repr(v["digits"]) + " " + v["salt"][:4])
def test_receipt_vector(page, vector):
    result = page.evaluate(
        """([digits, salt]) => soriTest.outcome(() => {
            const keys = sori.deriveReceipt(digits, sodium.from_hex(salt));
            return {
                secret: sodium.to_hex(keys.secret),
                lookup_key: sodium.to_hex(keys.lookupKey),
                source_secret_key: sodium.to_hex(keys.identity.secretKey),
                source_public_key: sori.publicKeyFromRaw(keys.identity.publicKey).text,
            };
        })""",
        [vector["digits"], vector["salt"]],
    )
    if isinstance(vector["expect"], str):
        assert result == {"code": vector["expect"]}
    else:
        assert result == {"ok": {k: v for k, v in vector["expect"].items() if k != "legacy_hash"}}


def test_chromium_envelope_opens_in_python(page):
    reviewers = [Identity.generate(), Identity.generate()]
    photo = os.urandom(300_000)
    result = page.evaluate(
        """async ([recipients, photo, answers]) => {
            const pieces = [];
            const parts = [
                {name: 'answers.json', type: 'application/json', data: answers},
                {name: '사진 1.jpg', type: 'image/jpeg', data: new File([soriTest.fromBase64(photo)], 'a')},
                {name: 'empty.txt', type: 'text/plain', data: new Blob([])},
            ];
            const sink = async (bytes) => { pieces.push(bytes); };
            const {fileKey} = await sori.encryptParts(recipients, parts, sink);
            const envelope = new Uint8Array(await new Blob(pieces).arrayBuffer());
            return {
                envelope: soriTest.toBase64(envelope),
                fileKey: sodium.to_hex(fileKey),
                largestPiece: Math.max(...pieces.map((p) => p.length)),
            };
        }""",
        [[r.public_key.text for r in reviewers], b64(photo), ANSWERS],
    )
    envelope = base64.b64decode(result["envelope"])
    assert result["largestPiece"] <= 4 + 65536 + 17  # the writer streams: one chunk at a time
    expected = [
        ("answers.json", "application/json", ANSWERS.encode("utf-8")),
        ("사진 1.jpg", "image/jpeg", photo),
        ("empty.txt", "text/plain", b""),
    ]
    for reviewer in reviewers:
        reader = EnvelopeReader(io.BytesIO(envelope), identity=reviewer)
        assert reader.file_key.hex() == result["fileKey"]
        assert [(part.name, part.type, part.read_all()) for part in reader] == expected


def test_python_envelope_opens_in_chromium(page):
    reviewer = Identity.generate()
    photo = os.urandom(250_000)
    out = io.BytesIO()
    encrypt_parts(
        out,
        [PublicKey.parse(reviewer.public_key.text)],
        [
            ("answers.json", "application/json", ANSWERS.encode("utf-8")),
            ("사진 2.png", "image/png", photo),
            ("exact.bin", "application/octet-stream", photo[:65536]),
        ],
    )
    result = page.evaluate(
        "([envelope, key]) => soriTest.decrypt(envelope, key)",
        [b64(out.getvalue()), {"secretKeyHex": reviewer.secret_key.hex()}],
    )
    assert "ok" in result, result
    parts = [(p["name"], p["type"], base64.b64decode(p["data"])) for p in result["ok"]]
    assert parts == [
        ("answers.json", "application/json", ANSWERS.encode("utf-8")),
        ("사진 2.png", "image/png", photo),
        ("exact.bin", "application/octet-stream", photo[:65536]),
    ]


def test_identity_files_cross_between_python_and_chromium(page):
    passphrase = "소리 증언 지킴이"
    nfd = unicodedata.normalize("NFD", passphrase)
    python_identity = Identity.generate()
    python_file = python_identity.wrap(passphrase, opslimit=1, memlimit=8192)
    result = page.evaluate(
        """([file, nfd]) => {
            const opened = sori.unwrapIdentity(file, nfd);
            const fresh = sori.generateIdentity();
            return {
                opened: sodium.to_hex(opened.secretKey),
                wrapped: sori.wrapIdentity(fresh, nfd, {opslimit: 1, memlimit: 8192}),
                fresh: sodium.to_hex(fresh.secretKey),
            };
        }""",
        [python_file, nfd],
    )
    assert result["opened"] == python_identity.secret_key.hex()
    assert Identity.unwrap(result["wrapped"], passphrase).secret_key.hex() == result["fresh"]


def test_works_in_a_web_worker(page):
    """The source's page encrypts in a Worker, loading the library with importScripts()."""
    scripts = [path.read_text(encoding="utf-8") for path in [*SODIUM_SCRIPTS, ENVELOPE_SCRIPT]]
    reviewer = Identity.generate()
    result = page.evaluate(
        """([scripts, recipient, secretKeyHex]) => new Promise((resolve, reject) => {
            const asUrl = (text) => URL.createObjectURL(new Blob([text], {type: 'text/javascript'}));
            const urls = scripts.map(asUrl);
            const body = `
                importScripts(${urls.map((u) => JSON.stringify(u)).join(', ')});
                onmessage = async () => {
                    await sodium.ready;
                    const sori = SoriEnvelope.create(sodium);
                    const data = new Uint8Array(200000).map((_, i) => i % 251);
                    const pieces = [];
                    await sori.encryptParts([${JSON.stringify(recipient)}], [
                        {name: '녹음.m4a', type: 'audio/mp4', data: new Blob([data])},
                    ], async (bytes) => { pieces.push(bytes); });
                    const secretKey = sodium.from_hex(${JSON.stringify(secretKeyHex)});
                    const identity = sori.identityFromSecretKey(secretKey);
                    const [part] = await sori.decryptParts(new Blob(pieces), {identity});
                    const envelope = new Uint8Array(await new Blob(pieces).arrayBuffer());
                    postMessage({same: sodium.to_hex(part.data) === sodium.to_hex(data), envelope});
                };`;
            const worker = new Worker(asUrl(body));
            worker.onerror = (event) => reject(new Error(event.message));
            worker.onmessage = (event) => {
                worker.terminate();
                resolve({same: event.data.same, envelope: soriTest.toBase64(event.data.envelope)});
            };
            worker.postMessage('go');
        })""",
        [scripts, reviewer.public_key.text, reviewer.secret_key.hex()],
    )
    assert result["same"]
    reader = EnvelopeReader(io.BytesIO(base64.b64decode(result["envelope"])), identity=reviewer)
    [(name, data)] = [(part.name, part.read_all()) for part in reader]
    assert name == "녹음.m4a"
    assert data == bytes(i % 251 for i in range(200000))
