"""The scripts a reviewer page loads to open or seal envelopes in the reviewer's browser: libsodium.js (as
scripts/setup.sh builds it, with argon2id) and crypto/js/sori-envelope.js, from our own origin, each with its
Subresource Integrity."""

from __future__ import annotations

from flask import url_for

from core.assets import sri, versioned


def sodium_scripts() -> list[dict[str, str]]:
    """Each script's versioned URL and integrity, in the order sodium-loader.js loads them."""
    scripts = [
        url_for("assets.vendor", name="libsodium.js"),
        url_for("assets.crypto_js", name="sori-envelope.js"),
    ]
    return [{"src": versioned(src), "integrity": sri(src)} for src in scripts]
