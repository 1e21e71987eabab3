"""The browser's crypto, served from Sori's own origin with Subresource Integrity.

Sources must make no third-party request, so libsodium.js comes from the npm packages installed next to
the application (``SORI_NODE_MODULES``), through a fixed allow-list: ``/vendor/<name>``. Pages load the
cut-down build that the setup command derives from those packages (scripts/build-sodium.mjs). The
envelope code is served from ``crypto/js/`` at ``/static/crypto/<name>``. Templates load scripts with the
``script`` macro of ``templates/_scripts.html``, which adds the ``integrity`` value from the Jinja global
:func:`sri` and a version query that changes with the file, so long-lived caches never serve an old file
whose hash no longer matches.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import sys
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, has_request_context, request, url_for
from werkzeug.security import safe_join

from core import precompressed
from core.config import REPO_ROOT

#: ``/vendor/<name>`` → path inside node_modules: libsodium.js with its wrappers, as scripts/setup.sh builds
#: it (the packages' own files are not served: pages do not load them).
VENDOR_FILES = {"libsodium.js": ".sori/libsodium.js"}
CRYPTO_JS_DIR = REPO_ROOT / "crypto" / "js"
STATIC_DIR = REPO_ROOT / "static"
#: ``/static/crypto/<name>`` → file in crypto/js/.
CRYPTO_FILES = frozenset({"sori-envelope.js"})

#: A version query in the URL changes with the content, so vendor files may be cached for a year.
VENDOR_MAX_AGE = 365 * 24 * 3600

bp = Blueprint("assets", __name__)


class AssetsMissing(RuntimeError):
    """libsodium.js is not installed and built where ``SORI_NODE_MODULES`` points."""


def missing_vendor_files(node_modules: Path) -> list[Path]:
    """The allow-listed files that are not in ``node_modules``."""
    return [node_modules / p for p in VENDOR_FILES.values() if not (node_modules / p).is_file()]


def check_installed(app: Flask) -> None:
    """Raise :class:`AssetsMissing`, saying how to fix it, unless every vendor file is installed."""
    missing = missing_vendor_files(app.config["SORI_NODE_MODULES"])
    if missing:
        raise AssetsMissing(
            f"the browser crypto is not installed ({missing[0]} is missing): run the setup command "
            "(scripts/setup.sh), which installs libsodium.js with `npm ci` and builds the file pages load "
            "from it, or point SORI_NODE_MODULES at a node_modules folder set up that way"
        )


@bp.route("/vendor/<name>")
def vendor(name: str) -> Response:
    if name not in VENDOR_FILES:
        abort(404)
    response = precompressed.send(
        current_app.config["SORI_NODE_MODULES"] / VENDOR_FILES[name],
        mimetype="text/javascript",
        max_age=VENDOR_MAX_AGE,
    )
    response.cache_control.public = True
    return response


@bp.route("/static/crypto/<name>")
def crypto_js(name: str) -> Response:
    if name not in CRYPTO_FILES or not (CRYPTO_JS_DIR / name).is_file():
        abort(404)
    return precompressed.send(CRYPTO_JS_DIR / name, mimetype="text/javascript")


@bp.route("/favicon.ico")
def favicon() -> Response:
    """The small icon browsers ask for on every site, so that they do not get (and log) a 404."""
    return precompressed.send(STATIC_DIR / "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400)


def static_file(filename: str) -> Response:
    """The application's static files (the ``static`` endpoint), compressed when a copy is ready."""
    joined = safe_join(str(STATIC_DIR), filename)
    if joined is None or not Path(joined).is_file():
        abort(404)
    path = Path(joined)
    return precompressed.send(path, mimetype=mimetypes.guess_type(path.name)[0] or "application/octet-stream")


def file_for_url(url: str) -> Path:
    """The file served at ``url`` (a path such as ``/vendor/libsodium.js``, a query ignored) or at vendor
    name ``url``; raises ``LookupError`` for anything else."""
    path = url.split("?", 1)[0]
    script_root = request.script_root if has_request_context() else ""
    if script_root and path.startswith(script_root + "/"):
        path = path[len(script_root) :]
    if path in VENDOR_FILES:
        return Path(current_app.config["SORI_NODE_MODULES"]) / VENDOR_FILES[path]
    name = path.rsplit("/", 1)[-1]
    if path == f"/vendor/{name}" and name in VENDOR_FILES:
        return Path(current_app.config["SORI_NODE_MODULES"]) / VENDOR_FILES[name]
    if path == f"/static/crypto/{name}" and name in CRYPTO_FILES:
        return CRYPTO_JS_DIR / name
    static_url = (current_app.static_url_path or "") + "/"
    if current_app.static_folder and path.startswith(static_url):
        joined = safe_join(current_app.static_folder, path[len(static_url) :])
        if joined is not None:
            return Path(joined)
    raise LookupError(f"Sori serves no file at {url!r}")


def sri(url: str) -> str:
    """The Subresource Integrity value (``sha384-...``) of the file served at ``url``."""
    return _digest(file_for_url(url))[0]


def versioned(url: str) -> str:
    """``url`` with a query naming the file's content, so a changed file gets a new URL."""
    return f"{url}?v={_digest(file_for_url(url))[1]}"


def sodium_scripts() -> list[dict[str, str]]:
    """The scripts a page loads to seal or open envelopes in the browser (a source's form, a reviewer's
    reading and key pages), in the order sodium-loader.js loads them: libsodium.js as setup builds it, then
    sori-envelope.js; each with its versioned URL and integrity."""
    scripts = [
        url_for("assets.vendor", name="libsodium.js"),
        url_for("assets.crypto_js", name="sori-envelope.js"),
    ]
    return [{"src": versioned(src), "integrity": sri(src)} for src in scripts]


# Keyed by path, size and modification time: computed once per file version, not once per page.
_digests: dict[tuple[Path, int, int], tuple[str, str]] = {}


def _digest(path: Path) -> tuple[str, str]:
    stat = path.stat()
    key = (path, stat.st_size, stat.st_mtime_ns)
    if key not in _digests:
        digest = hashlib.sha384(path.read_bytes()).digest()
        _digests[key] = ("sha384-" + base64.b64encode(digest).decode("ascii"), digest[:8].hex())
    return _digests[key]


def served_files(node_modules: Path) -> list[Path]:
    """Every file Sori sends to browsers: static/, crypto/js/, and the allow-listed vendor files."""
    files = [p for p in STATIC_DIR.rglob("*") if p.is_file() and p.suffix in precompressed.COMPRESSIBLE]
    files += sorted(CRYPTO_JS_DIR.glob("*.js"))
    files += [node_modules / relative for relative in VENDOR_FILES.values()]
    return files


def init_app(app: Flask) -> None:
    """Register the routes and Jinja globals, and refuse every request until libsodium.js is built."""
    app.register_blueprint(bp)
    app.view_functions["static"] = static_file
    app.jinja_env.globals.update(sri=sri, versioned=versioned)

    @app.before_request
    def _require_assets() -> None:
        # Checked on the first requests rather than at import, so that commands needing no browser
        # (migrations, recipients) still work on a machine without node_modules.
        if not app.extensions.get("sori.assets_checked"):
            check_installed(app)
            app.extensions["sori.assets_checked"] = True


def main() -> None:
    """``python -m core.assets [NODE_MODULES]``: the compressed copies the setup command makes."""
    node_modules = Path(sys.argv[1] if len(sys.argv) > 1 else REPO_ROOT / "node_modules").resolve()
    written = precompressed.build(served_files(node_modules))
    print(f"sori setup: {len(written)} compressed copies of static files written")


if __name__ == "__main__":
    main()
