"""Configuration from the environment, with safe defaults, and the layout of the data folder.

Everything Sori keeps lives under one data folder (``SORI_DATA_DIR``, default ``./sori-data``)::

    <data>/sori.db        the SQLite database, unless SORI_DATABASE_URL names another
    <data>/secret_key     the Flask secret key, made once, mode 0600
    <data>/blobs/         envelopes (ciphertext only), see blobstore.py
    <data>/blobs/tmp/     envelopes being written

Variables read, each mapped to a Flask configuration key of the same or the Flask name:

- ``SORI_DATA_DIR`` → ``SORI_DATA_DIR`` (an absolute :class:`~pathlib.Path`)
- ``SORI_DATABASE_URL`` → ``SORI_DATABASE_URL``: SQLAlchemy URL, e.g. ``postgresql+psycopg://user@host/db``
- ``SORI_SECRET_KEY`` → ``SECRET_KEY``: overrides the key file (e.g. when several hosts share sessions)
- ``SORI_MAX_UPLOAD_BYTES`` → ``MAX_CONTENT_LENGTH``: largest request body, default 1 GiB
- ``SORI_NODE_MODULES`` → ``SORI_NODE_MODULES``: where libsodium.js is installed, default the repository's
- ``SORI_SECURE_COOKIES`` (``1``/``0``) → ``SESSION_COOKIE_SECURE``: the ``Secure`` cookie flag; when unset,
  on exactly when ``SORI_BASE_URL`` is an ``https://`` address (onion services and local runs are plain
  HTTP; deploy/README.md says what Tor Browser does)
- ``SORI_QUICK_EXIT_URL`` → ``SORI_QUICK_EXIT_URL``: the harmless page the quick-exit link leads to
- ``SORI_BASE_URL`` → ``SORI_BASE_URL``: the address people reach this Sori at (an onion or https URL),
  used in links sent out of band such as reviewer invitations; default ``http://127.0.0.1:5000``
- ``SORI_UPLOAD_MIN_RATE`` → ``SORI_UPLOAD_MIN_RATE``: the slowest average a request body may arrive at after
  ``SORI_UPLOAD_GRACE`` seconds, in bytes per second (core/request_bodies.py); defaults 2048 and 60
- ``SORI_UPLOADS_AT_ONCE`` → ``SORI_UPLOADS_AT_ONCE``: uploads streaming at once per worker process before
  sources are told to try again in a minute; default 500
- ``SORI_OPEN_UPLOADS`` → ``SORI_OPEN_UPLOADS``: unfinished uploads in pieces kept at once for the whole
  installation (intake/uploads.py); default 200
- ``SORI_BLOB_STORE`` → ``SORI_BLOB_STORE``: where envelopes too large for their row are kept
  (core/blobstore.py): ``files`` (the default, ``<data>/blobs/`` on this host) or ``database`` (shared by
  several app hosts)
- ``SORI_EXPORT_KEY_FILE`` → ``SORI_EXPORT_KEY_FILE``: the organization's export signing key
  (core/export_key.py), default ``<data>/export-signing.key``; several app hosts each get a copy of one key
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_DATA_DIR = "sori-data"
DEFAULT_MAX_UPLOAD_BYTES = 1024**3
DEFAULT_QUICK_EXIT_URL = "https://www.wikipedia.org/"
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
DEFAULT_UPLOAD_MIN_RATE = 2048
DEFAULT_UPLOAD_GRACE = 60
DEFAULT_UPLOADS_AT_ONCE = 500
DEFAULT_OPEN_UPLOADS = 200
BLOB_STORES = ("files", "database")
SECRET_KEY_FILE = "secret_key"
DATABASE_FILE = "sori.db"
BLOBS_DIR = "blobs"
BLOBS_TMP_DIR = "tmp"


class ConfigError(Exception):
    """A configuration value is unusable; the message names the variable and what is wrong."""


def from_env(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Flask configuration read from ``SORI_*`` variables.

    ``SORI_DATABASE_URL`` and ``SECRET_KEY`` are ``None`` when unset: :func:`complete` derives them from the
    data folder, which a test configuration may still change. Raises :class:`ConfigError`.
    """
    base_url = (environ.get("SORI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    return {
        "SORI_DATA_DIR": Path(environ.get("SORI_DATA_DIR") or DEFAULT_DATA_DIR).resolve(),
        "SORI_DATABASE_URL": normalize_database_url(environ["SORI_DATABASE_URL"])
        if environ.get("SORI_DATABASE_URL")
        else None,
        "SECRET_KEY": environ.get("SORI_SECRET_KEY") or None,
        "MAX_CONTENT_LENGTH": _positive_int(environ, "SORI_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES),
        "SORI_NODE_MODULES": Path(environ.get("SORI_NODE_MODULES") or REPO_ROOT / "node_modules").resolve(),
        "SESSION_COOKIE_SECURE": _secure_cookies(environ.get("SORI_SECURE_COOKIES", ""), base_url),
        "SORI_QUICK_EXIT_URL": environ.get("SORI_QUICK_EXIT_URL") or DEFAULT_QUICK_EXIT_URL,
        "SORI_BASE_URL": base_url,
        "SORI_UPLOAD_MIN_RATE": _positive_int(environ, "SORI_UPLOAD_MIN_RATE", DEFAULT_UPLOAD_MIN_RATE),
        "SORI_UPLOAD_GRACE": _positive_int(environ, "SORI_UPLOAD_GRACE", DEFAULT_UPLOAD_GRACE),
        "SORI_UPLOADS_AT_ONCE": _positive_int(environ, "SORI_UPLOADS_AT_ONCE", DEFAULT_UPLOADS_AT_ONCE),
        "SORI_OPEN_UPLOADS": _positive_int(environ, "SORI_OPEN_UPLOADS", DEFAULT_OPEN_UPLOADS),
        "SORI_BLOB_STORE": _blob_store(environ.get("SORI_BLOB_STORE", "")),
        "SORI_EXPORT_KEY_FILE": Path(environ["SORI_EXPORT_KEY_FILE"]).resolve()
        if environ.get("SORI_EXPORT_KEY_FILE")
        else None,
    }


def _blob_store(setting: str) -> str:
    choice = setting.strip().lower() or BLOB_STORES[0]
    if choice not in BLOB_STORES:
        raise ConfigError(f"SORI_BLOB_STORE must be one of {', '.join(BLOB_STORES)}, not {setting!r}")
    return choice


def _secure_cookies(setting: str, base_url: str) -> bool:
    """``SORI_SECURE_COOKIES`` if given, else whether Sori is reached over HTTPS."""
    if setting.strip():
        return setting.strip().lower() in ("1", "true", "yes")
    return base_url.lower().startswith("https://")


def complete(config: MutableMapping[str, Any]) -> None:
    """Make the data folder and fill what derives from it: the default database and the secret key."""
    data_dir = Path(config["SORI_DATA_DIR"]).resolve()
    config["SORI_DATA_DIR"] = data_dir
    make_data_dirs(data_dir)
    if not config.get("SORI_DATABASE_URL"):
        config["SORI_DATABASE_URL"] = default_database_url(data_dir)
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = load_secret_key(data_dir)


def normalize_database_url(url: str) -> str:
    """Send plain ``postgresql://`` URLs to psycopg 3, the driver Sori ships (not SQLAlchemy's psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def default_database_url(data_dir: Path) -> str:
    """The SQLite database inside the data folder."""
    return f"sqlite:///{data_dir / DATABASE_FILE}"


def make_data_dirs(data_dir: Path) -> None:
    """Create the data folder and its blob folders, readable by the service's user only (0700)."""
    for path in (data_dir, data_dir / BLOBS_DIR, data_dir / BLOBS_DIR / BLOBS_TMP_DIR):
        path.mkdir(mode=0o700, parents=True, exist_ok=True)


def load_secret_key(data_dir: Path) -> str:
    """The secret key kept in ``<data>/secret_key`` (mode 0600), made on first use.

    Several workers may start at once: each writes a candidate to a private temporary file and links it into
    place, which fails for all but the first, so every worker ends up reading the same key.
    """
    path = data_dir / SECRET_KEY_FILE
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".secret_key-")  # mkstemp creates it 0600
        try:
            with os.fdopen(fd, "w", encoding="ascii") as file:
                file.write(secrets.token_urlsafe(48))
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileExistsError):  # another worker was first: use its key
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise ConfigError(f"the secret key file {path} is empty; delete it to have a new key made")
    return key


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {text!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, not {value}")
    return value
