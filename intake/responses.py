"""The source side's blueprint and how its pages answer: never cached, in the source's language, refusals
that say what to do next, a neutral page for a form posted twice, and JSON errors for the browser script.

The view modules (intake/source.py, intake/browser_api.py, intake/status.py) add their routes to
:data:`bp`; the application factory imports them and registers it.
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from sqlalchemy import Engine

from core import db, form_nonces, receipts, recipients, submissions
from core.assets import sodium_scripts
from core.i18n import LOCALES, select_locale
from intake import uploads

bp = Blueprint("source", __name__)

#: Where a submission stands, as its source is told: never more than these three words.
STATUS_LABELS: dict[str, Callable[[], str]] = {
    "received": lambda: _("Received, waiting to be read"),
    "in_review": lambda: _("Being reviewed"),
    "reviewed": lambda: _("Reviewed"),
}

REFUSALS: dict[str, Callable[[], str]] = {
    "csrf": lambda: _(
        "This form was open too long or was sent from another page, so for your safety it was not accepted. "
        "Open the form again and send it once more."
    ),
    "no_recipients": lambda: _("No reviewer can receive accounts at the moment. Please try again later."),
    "unknown_receipt": lambda: _("This receipt is not known. Check what you typed and try again."),
    "too_many_receipts": lambda: _("Too many wrong receipts were tried. Please wait a minute and try again."),
    "empty": lambda: _("The form was empty. Write something or choose a file, then send it."),
    "no_account": lambda: _(
        "Nothing was written under “What happened?”. Write what happened, then send it. "
        "The other questions can stay unanswered."
    ),
    "too_much_text": lambda: _("The text is too long to send at once. Send it in parts, using your receipt."),
    "bad_form": lambda: _("The form could not be read. Open the form again and send it once more."),
    "recipients_changed": lambda: _(
        "The reviewers changed while you were sending. Please send it once more."
    ),
    "too_large": lambda: _("The files are too large to send together. Remove some files and send again."),
    "bad_envelope": lambda: _("The encrypted account arrived damaged. Please send it once more."),
    "unknown_upload": lambda: _("This upload is no longer open. Please send it once more."),
    "uploads_full": lambda: _(
        "Many people are sending at the moment, so the upload could not begin. Please try again in a minute."
    ),
    "offset": lambda: _("Part of the upload was lost on the way; the page will resend it."),
    "expired": lambda: _("This page has expired. Open it again from the start page."),
}

#: The HTTP status of each refusal on the pages and the API.
STATUSES = {"csrf": 403, "unknown_receipt": 403, "too_many_receipts": 429, "no_recipients": 409}


@bp.app_context_processor
def _form_nonce() -> dict[str, Callable[[], str]]:
    # Each source form gets a nonce of its own when it is rendered (core/form_nonces.py).
    return {"form_nonce": form_nonces.new}


def no_store(response: Response) -> Response:
    """``response``, kept out of every cache: forms, receipts and status must not linger in a shared or
    seized browser's cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def page(template: str, status: int = 200, **context: Any) -> Response:
    """A source page, never cached."""
    return no_store(Response(render_template(template, **context), status=status))


def shared_page(
    template: str, vary: tuple[object, ...] = (), context: Callable[[], dict[str, Any]] = dict
) -> Response:
    """A source page that is the same for every visitor (but for its CSRF token and form nonces) in a
    given language: rendered once per process and reused for :data:`SHARED_PAGE_SECONDS`, the token and
    a fresh nonce per form put in on each request.

    ``vary`` names what else the page depends on (the reviewers' keys on the forms), and ``context`` makes
    the template's variables, only when the page is rendered. The key holds only the page, its language and
    ``vary``: never anything a visitor sent, so the cache stays small and holds nothing of anyone."""
    lang = request.args.get("lang")
    # The language as Flask-Babel would choose it (its selector), without building a Locale on each request.
    key = (template, select_locale(), lang if lang in LOCALES else None, request.endpoint, vary)
    now = time.monotonic()
    cached = _shared_pages.get(key)
    if cached is None or now - cached[0] > SHARED_PAGE_SECONDS:
        marks = {"csrf_token": lambda: _CSRF_MARK, "form_nonce": lambda: _NONCE_MARK}
        parts = _MARK.split(render_template(template, **marks, **context()))
        # Kept encoded and cut at the marks: each request only joins bytes.
        cached = _shared_pages[key] = (now, tuple(p.encode("utf-8") for p in parts[::2]), tuple(parts[1::2]))
    _, texts, found = cached
    body = [texts[0]]
    for mark, text in zip(found, texts[1:], strict=True):
        # Only a page with a form gets a token, and so the session cookie; one token per request, a fresh
        # nonce per form.
        body.append((generate_csrf() if mark == _CSRF_MARK else form_nonces.new()).encode("ascii"))
        body.append(text)
    return no_store(Response(b"".join(body), content_type="text/html; charset=utf-8"))


#: How long a shared page is reused: a changed template or static file shows within this time.
SHARED_PAGE_SECONDS = 60.0
# Markers no template can produce (a NUL is never in our HTML), replaced on every request.
_CSRF_MARK = "\x00csrf\x00"
_NONCE_MARK = "\x00nonce\x00"
_MARK = re.compile(f"({_CSRF_MARK}|{_NONCE_MARK})")
_shared_pages: dict[tuple[object, ...], tuple[float, tuple[bytes, ...], tuple[str, ...]]] = {}


def expired() -> Response:
    """What a replayed form shows: a neutral page in the page's language, and nothing else."""
    return page("source/expired.html", status=410)


def refused(code: str, status: int | None = None) -> Response:
    """The page saying why nothing was sent, and what to do."""
    return page("source/refused.html", status=status or STATUSES.get(code, 400), message=REFUSALS[code]())


def api_error(code: str, status: int | None = None, **extra: Any) -> Response:
    """The browser script's error answer: a stable ``error`` code and a translated ``message``."""
    response = jsonify(error=code, message=REFUSALS[code](), **extra)
    response.status_code = status or STATUSES.get(code, 400)
    return no_store(response)


def wrong_receipt_code() -> str:
    """Count a wrong receipt or follow-up key for the whole instance, commit, and name the answer: every
    path answers an unknown key alike (core/receipts.py)."""
    session = db.session()
    too_many = receipts.count_wrong(session)
    session.commit()
    return "too_many_receipts" if too_many else "unknown_receipt"


def drain() -> None:
    """Read what is left of a refused request, so the browser gets our page rather than a broken
    connection; nothing read is kept."""
    while request.stream.read(65536):
        pass


def form_keys() -> tuple[tuple[str, ...], str]:
    """What a form page depends on besides its language: the reviewers' keys and the receipt salt (cheap:
    the key texts as stored, and a salt read once)."""
    # A connection of its own, given back at once: cheaper than the ORM session's transaction (the page
    # touches the database for nothing else), and still read afresh on every request, so that a reviewer
    # added or revoked shows on the very next form.
    engine = db.database().engine
    with engine.connect() as connection:
        keys = recipients.active_texts(connection)
    salt = _salt_texts.get(engine)
    if salt is None:  # the salt never changes: read once per process and database
        salt = _salt_texts[engine] = receipts.encode_key(submissions.receipt_salt(db.session()))
    return keys, salt


_salt_texts: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def intake_context() -> dict[str, Any]:
    """What the forms' browser script needs: recipient keys, receipt salt, limits, libsodium's scripts."""
    session = db.session()
    max_bytes = current_app.config["MAX_CONTENT_LENGTH"]
    return {
        "recipients": list(recipients.active_texts(session)),
        "receipt_salt": receipts.encode_key(submissions.receipt_salt(session)),
        "max_bytes": max_bytes,
        "single_max_bytes": uploads.PIECE_BYTES,
        "max_size_label": _size_label(max_bytes),
        "sodium": sodium_scripts(),
    }


def _size_label(size: int) -> str:
    gib, mib = 1024**3, 1024**2
    if size >= gib:
        return _("%(num)s GB", num=format_decimal(round(size / gib, 1)))
    return _("%(num)s MB", num=format_decimal(round(size / mib, 1)))
