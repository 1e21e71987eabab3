"""What several app hosts on one database must share, and the warnings ``sori check`` gives a host that does
not share it.

Everything that guards security is already kept in the database, shared by every host and worker, and
keyed by nothing that identifies a client: wrong receipts per minute for the whole instance
(core/counters.py), login failures on each account's row (reviewer/accounts.py), spent form nonces, audit
tallies, and with ``SORI_BLOB_STORE=database`` every blob and every upload in pieces. The argon2id
admission gates (core/hashing.py) stay in each process on purpose: they bound a host's memory, which is
the host's own; the guess budgets they could be thought to guard are the two above, shared already, so more
hosts add memory and never guesses.

Two things are keys, which the database must not hold, so they are shared explicitly, the same on every host
(deploy/README.md, "Several app hosts"):

- ``SORI_SECRET_KEY`` signs sessions and CSRF tokens; left unset, each host makes its own in its data
  folder, and a source whose requests reach two hosts fails the CSRF check;
- the export signing key (``SORI_EXPORT_KEY_FILE``, a copy on each host); otherwise each host's
  ``sori init`` makes another, and dossiers exported on different hosts carry different signatures.

``sori check`` warns on PostgreSQL (a database several hosts can share) when a host runs without them,
and when its envelopes are kept on its own disk (``SORI_BLOB_STORE=files``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.config import SECRET_KEY_FILE


def warnings(session: Session, config: Mapping[str, Any]) -> list[str]:
    """One sentence per thing this host does not share as several hosts must."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    several = "if several app hosts share this database"
    found = []
    if _key_from_data_folder(config):
        found.append(
            "SORI_SECRET_KEY is not set: this host signs sessions with the key made in its data folder; "
            f"{several}, set SORI_SECRET_KEY, the same on each"
        )
    if not config.get("SORI_EXPORT_KEY_FILE"):
        found.append(
            "SORI_EXPORT_KEY_FILE is not set: the export signing key is the one in this host's data folder; "
            f"{several}, give each a copy of the one key and set SORI_EXPORT_KEY_FILE to it"
        )
    if config.get("SORI_BLOB_STORE") == "files":
        found.append(
            f"SORI_BLOB_STORE is files: envelopes are kept on this host's disk; {several}, set "
            "SORI_BLOB_STORE=database on each, then run `sori blobs move --to database` once"
        )
    return found


def _key_from_data_folder(config: Mapping[str, Any]) -> bool:
    path = Path(config["SORI_DATA_DIR"]) / SECRET_KEY_FILE
    try:
        return path.read_text(encoding="ascii").strip() == config["SECRET_KEY"]
    except FileNotFoundError:
        return False
