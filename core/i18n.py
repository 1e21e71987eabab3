"""Korean and English: choosing the language of each page, and compiling the message catalogs.

The language comes from a ``lang`` query parameter (``ko`` or ``en``), else from the browser's
``Accept-Language``, else Korean. No cookie remembers it (sources get no cookie beyond CSRF's): instead,
once ``lang`` is in a page's URL, every link that page builds with ``url_for`` carries it on.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, has_request_context, request, url_for
from flask_babel import Babel, get_locale

from core.config import REPO_ROOT

LOCALES = ("ko", "en")
DEFAULT_LOCALE = "ko"
TRANSLATIONS_DIR = REPO_ROOT / "translations"


def select_locale() -> str:
    """The language of the current request: ``lang`` parameter, else best ``Accept-Language`` match."""
    lang = request.args.get("lang")
    if lang in LOCALES:
        return lang
    return request.accept_languages.best_match(LOCALES, default=DEFAULT_LOCALE)


def compile_catalogs(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile each ``<lang>/LC_MESSAGES/*.po`` whose ``.mo`` is missing or older; returns those written.

    Each ``.mo`` is written to a temporary file and renamed, so workers starting together never read half.
    """
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime_ns >= po_path.stat().st_mtime_ns:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        fd, tmp = tempfile.mkstemp(dir=po_path.parent, prefix=".messages-", suffix=".mo")
        try:
            with os.fdopen(fd, "wb") as mo_file:
                write_mo(mo_file, catalog)
            os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the catalog from a service user
            os.replace(tmp, mo_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(mo_path)
    return written


def language_switch_url(lang: str) -> str:
    """This page in language ``lang``, or the home page when the request matched no route."""
    if request.endpoint:
        return url_for(request.endpoint, **(request.view_args or {}), lang=lang)
    return url_for("source.home", lang=lang)


def _carry_lang(endpoint: str, values: dict[str, Any]) -> None:
    if not has_request_context():
        return
    lang = request.args.get("lang")
    # Files are the same in every language: a language in their URL would only split caches.
    if lang in LOCALES and endpoint != "static" and not endpoint.startswith("assets."):
        values.setdefault("lang", lang)


def init_app(app: Flask) -> None:
    """Set up Flask-Babel with Sori's locale selection, compiling catalogs that are out of date."""
    compile_catalogs()
    Babel(
        app,
        locale_selector=select_locale,
        default_locale=DEFAULT_LOCALE,
        default_translation_directories=str(TRANSLATIONS_DIR),
    )
    app.url_defaults(_carry_lang)
    app.jinja_env.globals.update(get_locale=get_locale, language_switch_url=language_switch_url)
