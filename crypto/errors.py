"""The one error family of the crypto library: every failure a caller can meet, each with a stable code.

Callers catch :class:`CryptoError` or one precise case; no raw PyNaCl exception leaves this package.
The codes are the ones of FORMAT.md section 4, shared with the JavaScript implementation and the vectors.
"""


class CryptoError(Exception):
    """Root of every error raised by :mod:`crypto`; ``code`` names the case (FORMAT.md section 4)."""

    code = "crypto_error"


class EnvelopeError(CryptoError):
    """The envelope cannot be read to its end as a valid, authentic envelope."""


class NotAnEnvelope(EnvelopeError):
    """The bytes do not start with the envelope magic: this is not a Sori envelope at all."""

    code = "not_an_envelope"


class UnsupportedVersion(EnvelopeError):
    """The envelope was written in a format version this reader does not know."""

    code = "unsupported_version"

    def __init__(self, version: int) -> None:
        super().__init__(f"unsupported envelope version {version}")
        self.version = version


class MalformedEnvelope(EnvelopeError):
    """The envelope breaks the format's grammar (no recipient, a bad tag, a short chunk, bad metadata)."""

    code = "malformed"


class SizeLimitExceeded(CryptoError):
    """A length or parameter is outside its bounds (in an envelope, an identity file or a caller's limit)."""

    code = "size_limit"


class TruncatedEnvelope(EnvelopeError):
    """The data ends before the envelope does (no FINAL chunk was seen)."""

    code = "truncated"


class TrailingData(EnvelopeError):
    """Bytes follow the envelope's FINAL chunk."""

    code = "trailing_data"


class TamperedEnvelope(EnvelopeError):
    """Authentication failed: data altered, reordered, dropped or repeated, or a wrong file key."""

    code = "tampered"


class NoMatchingKey(EnvelopeError):
    """The envelope is not addressed to the identity used to open it."""

    code = "no_matching_key"


class BadPublicKey(CryptoError):
    """A printable public key that does not parse or fails its typo check."""

    code = "bad_key"


class BadIdentity(CryptoError):
    """An identity file that does not parse, or whose secret key does not match its public key."""

    code = "bad_identity"


class WrongPassphrase(CryptoError):
    """The passphrase does not unwrap the identity file."""

    code = "wrong_passphrase"


ERRORS_BY_CODE: dict[str, type[CryptoError]] = {
    cls.code: cls
    for cls in (
        NotAnEnvelope,
        UnsupportedVersion,
        MalformedEnvelope,
        SizeLimitExceeded,
        TruncatedEnvelope,
        TrailingData,
        TamperedEnvelope,
        NoMatchingKey,
        BadPublicKey,
        BadIdentity,
        WrongPassphrase,
    )
}


class BadReceipt(CryptoError):
    """A receipt that is not exactly 16 ASCII digits, or a receipt salt that is not 16 bytes."""

    code = "bad_receipt"
