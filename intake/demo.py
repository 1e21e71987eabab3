"""Demo content for a first look at Sori: reviewer identities with their passphrases in plain sight.

Everything made here is marked as demo and lives under ``<data>/demo/``; it is for trying Sori on a laptop,
never for real testimony.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from crypto.keys import Identity, read_identity_public_key
from intake import db, recipients

DEMO_REVIEWERS = ("demo-reviewer-a", "demo-reviewer-b")
_WORDS = ("bada", "san", "kang", "namu", "haneul", "byeol", "baram", "kkot", "dal", "hae", "bom", "gaeul")


@dataclass(frozen=True)
class DemoReviewer:
    """A demo reviewer's identity file, its passphrase and its fingerprint."""

    name: str
    identity_path: Path
    passphrase: str
    fingerprint: str


def create_demo_reviewers(demo_dir: Path) -> list[DemoReviewer]:
    """Make (once) the demo identities and register them as recipients; running it again changes nothing."""
    demo_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    session = db.session()
    made = []
    for name in DEMO_REVIEWERS:
        identity_path = demo_dir / f"{name}.identity"
        passphrase_path = demo_dir / f"{name}.passphrase.txt"
        if not identity_path.exists():
            passphrase = "-".join(secrets.choice(_WORDS) for _ in range(4)) + f"-{secrets.randbelow(100)}"
            identity = Identity.generate()
            _write_private(passphrase_path, passphrase + "\n")
            _write_private(identity_path, identity.wrap(passphrase))
        passphrase = passphrase_path.read_text(encoding="utf-8").strip()
        key = read_identity_public_key(identity_path.read_text(encoding="utf-8"))
        try:
            recipients.add(session, name, key.text)
        except (recipients.DuplicateName, recipients.DuplicateKey):
            pass  # registered by an earlier run
        made.append(DemoReviewer(name, identity_path, passphrase, key.fingerprint))
    session.commit()
    return made


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
