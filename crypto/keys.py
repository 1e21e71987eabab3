"""Reviewer keys: X25519 identities, printable public keys, fingerprints, passphrase-wrapped identity files.

The notation is FORMAT.md sections 1 and 3; the JavaScript implementation reads and writes the same texts.
"""

from __future__ import annotations

import base64
import binascii
import json
import unicodedata
from dataclasses import dataclass, field

import nacl.bindings
import nacl.exceptions
import nacl.hash
import nacl.pwhash.argon2id
import nacl.utils
from nacl.encoding import RawEncoder

from crypto.errors import BadIdentity, BadPublicKey, SizeLimitExceeded, WrongPassphrase

KEY_BYTES = 32
KEY_ID_BYTES = 8
PUBLIC_KEY_PREFIX = "sori-pk1-"
IDENTITY_FORMAT_VERSION = 1

#: Writers' key-derivation cost: 3 passes over 64 MiB, about 0.2 s on a laptop and in libsodium.js.
DEFAULT_OPSLIMIT = 3
DEFAULT_MEMLIMIT = 64 * 1024 * 1024
#: Readers refuse anything outside these, so a hostile identity file cannot exhaust time or memory.
OPSLIMIT_RANGE = (1, 16)
MEMLIMIT_RANGE = (8192, 1024 * 1024 * 1024)

_SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES
#: Any scalar serves to probe a public key for small order; this one is fixed so the check is cheap.
_LOW_ORDER_PROBE = b"\x01" * KEY_BYTES
#: FORMAT.md 1.3 forgives exactly these at either end of a printable public key.
_EDGE_SPACE = " \t\r\n"
_NONCE_BYTES = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
_WRAPPED_BYTES = KEY_BYTES + nacl.bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str, length: int) -> bytes:
    """Strict base64url without padding; ``ValueError`` on any deviation, so callers pick their error."""
    if not isinstance(text, str) or len(text) != (length * 4 + 2) // 3:
        raise ValueError("wrong length")
    if not all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
        raise ValueError("not base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc
    # Re-encoding catches non-canonical trailing bits, so one key has exactly one text.
    if len(raw) != length or _b64encode(raw) != text:
        raise ValueError("not canonical")
    return raw


def _blake2b_256(data: bytes) -> bytes:
    return nacl.hash.blake2b(data, digest_size=32, encoder=RawEncoder)


@dataclass(frozen=True)
class PublicKey:
    """A recipient's X25519 public key, with its key id (for envelope stanzas) and spoken fingerprint."""

    raw: bytes
    key_id: bytes = field(init=False, repr=False, compare=False)
    fingerprint: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.raw, bytes) or len(self.raw) != KEY_BYTES:
            raise BadPublicKey("a public key is 32 bytes")
        try:
            # libsodium refuses a point of small order (the result would be all zeros): so does FORMAT.md 1.3.
            nacl.bindings.crypto_scalarmult(_LOW_ORDER_PROBE, self.raw)
        except nacl.exceptions.CryptoError as exc:
            raise BadPublicKey("this is not a usable public key (a point of small order)") from exc
        digest = _blake2b_256(self.raw)
        object.__setattr__(self, "key_id", digest[:KEY_ID_BYTES])
        groups = (int.from_bytes(digest[5 * i : 5 * i + 5], "big") % 100000 for i in range(6))
        object.__setattr__(self, "fingerprint", " ".join(f"{g:05d}" for g in groups))

    @property
    def text(self) -> str:
        """The printable form ``sori-pk1-…`` with its typo check."""
        return PUBLIC_KEY_PREFIX + _b64encode(self.raw + self.key_id[:4])

    def __str__(self) -> str:
        return self.text

    @classmethod
    def parse(cls, text: str) -> PublicKey:
        """Read a printable public key; raises :class:`BadPublicKey` on any deviation from FORMAT.md 1.3."""
        if not isinstance(text, str):
            raise BadPublicKey("a public key is text")
        text = text.strip(_EDGE_SPACE)
        if not text.startswith(PUBLIC_KEY_PREFIX):
            raise BadPublicKey(f"a public key starts with {PUBLIC_KEY_PREFIX}")
        try:
            decoded = _b64decode(text[len(PUBLIC_KEY_PREFIX) :], KEY_BYTES + 4)
        except ValueError as exc:
            raise BadPublicKey("the public key is damaged or incomplete") from exc
        key = cls(decoded[:KEY_BYTES])
        if key.key_id[:4] != decoded[KEY_BYTES:]:
            raise BadPublicKey("the public key fails its check: a character was changed")
        return key


@dataclass(frozen=True)
class Identity:
    """An X25519 key pair that can open envelopes sealed to its public key."""

    secret_key: bytes = field(repr=False)
    public_key: PublicKey

    @classmethod
    def generate(cls) -> Identity:
        """A new identity from the operating system's CSPRNG."""
        return cls.from_secret_key(nacl.utils.random(KEY_BYTES))

    @classmethod
    def from_secret_key(cls, secret_key: bytes) -> Identity:
        """The identity whose secret key is ``secret_key`` (32 bytes)."""
        if len(secret_key) != KEY_BYTES:
            raise BadIdentity("a secret key is 32 bytes")
        return cls(secret_key, PublicKey(nacl.bindings.crypto_scalarmult_base(secret_key)))

    def wrap(
        self, passphrase: str, *, opslimit: int = DEFAULT_OPSLIMIT, memlimit: int = DEFAULT_MEMLIMIT
    ) -> str:
        """The identity file (FORMAT.md section 3): the secret key wrapped under argon2id(``passphrase``)."""
        _check_kdf_bounds(opslimit, memlimit)
        salt = nacl.utils.random(_SALT_BYTES)
        nonce = nacl.utils.random(_NONCE_BYTES)
        wrap_key = _derive_wrap_key(passphrase, salt, opslimit, memlimit)
        ciphertext = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
            self.secret_key, self.public_key.raw, nonce, wrap_key
        )
        document = {
            "sori_identity": IDENTITY_FORMAT_VERSION,
            "public_key": self.public_key.text,
            "kdf": {
                "alg": "argon2id13",
                "opslimit": opslimit,
                "memlimit": memlimit,
                "salt": _b64encode(salt),
            },
            "nonce": _b64encode(nonce),
            "ciphertext": _b64encode(ciphertext),
        }
        return json.dumps(document, indent=2) + "\n"

    @classmethod
    def unwrap(cls, identity_file: str | bytes, passphrase: str) -> Identity:
        """Open an identity file; raises :class:`BadIdentity`, :class:`SizeLimitExceeded` or
        :class:`WrongPassphrase`."""
        public_key, kdf, nonce, ciphertext = _parse_identity_file(identity_file)
        salt, opslimit, memlimit = kdf
        wrap_key = _derive_wrap_key(passphrase, salt, opslimit, memlimit)
        try:
            secret_key = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
                ciphertext, public_key.raw, nonce, wrap_key
            )
        except nacl.exceptions.CryptoError as exc:
            raise WrongPassphrase("the passphrase does not open this identity") from exc
        identity = cls.from_secret_key(secret_key)
        if identity.public_key.raw != public_key.raw:
            raise BadIdentity("the identity's secret key does not match its public key")
        return identity


def read_identity_public_key(identity_file: str | bytes) -> PublicKey:
    """The public key an identity file declares, without its passphrase."""
    return _parse_identity_file(identity_file)[0]


def _check_kdf_bounds(opslimit: int, memlimit: int) -> None:
    if not OPSLIMIT_RANGE[0] <= opslimit <= OPSLIMIT_RANGE[1]:
        raise SizeLimitExceeded(f"argon2id opslimit {opslimit} is outside {OPSLIMIT_RANGE}")
    if not MEMLIMIT_RANGE[0] <= memlimit <= MEMLIMIT_RANGE[1]:
        raise SizeLimitExceeded(f"argon2id memlimit {memlimit} is outside {MEMLIMIT_RANGE}")


def _derive_wrap_key(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    if not isinstance(passphrase, str):
        raise TypeError("the passphrase is text")
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return nacl.pwhash.argon2id.kdf(KEY_BYTES, secret, salt, opslimit=opslimit, memlimit=memlimit)


def _parse_identity_file(
    identity_file: str | bytes,
) -> tuple[PublicKey, tuple[bytes, int, int], bytes, bytes]:
    try:
        document = json.loads(identity_file)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadIdentity("this is not a Sori identity file") from exc
    version = document.get("sori_identity") if isinstance(document, dict) else None
    if type(version) is not int or version != IDENTITY_FORMAT_VERSION:  # JSON true is not 1
        raise BadIdentity("this is not a Sori identity file of version 1")
    kdf = document.get("kdf")
    if not isinstance(kdf, dict) or kdf.get("alg") != "argon2id13":
        raise BadIdentity("the identity file names an unknown key derivation")
    opslimit, memlimit = kdf.get("opslimit"), kdf.get("memlimit")
    if type(opslimit) is not int or type(memlimit) is not int:
        raise BadIdentity("the identity file's key-derivation parameters are not whole numbers")
    try:
        public_key = PublicKey.parse(document.get("public_key"))
    except BadPublicKey as exc:
        raise BadIdentity(f"the identity file's public key is invalid: {exc}") from exc
    try:
        salt = _b64decode(kdf.get("salt"), _SALT_BYTES)
        nonce = _b64decode(document.get("nonce"), _NONCE_BYTES)
        ciphertext = _b64decode(document.get("ciphertext"), _WRAPPED_BYTES)
    except ValueError as exc:
        raise BadIdentity("the identity file is damaged") from exc
    # Bounds last, as FORMAT.md orders the checks: a file that parses but asks for too much work.
    _check_kdf_bounds(opslimit, memlimit)
    return public_key, (salt, opslimit, memlimit), nonce, ciphertext
