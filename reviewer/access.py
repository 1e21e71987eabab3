"""Who may do what on the reviewer side: the logged-in user, roles, TOTP, vetted keys and re-authentication.

Every reviewer and admin view is wrapped in :func:`requires`. A session becomes a login only after both the
password and a TOTP code (``mfa``); it ends after :data:`IDLE_TIMEOUT` without a request; sensitive acts
(unlocking keys, exports, admin changes) also need a password or TOTP check within :data:`REAUTH_WINDOW`.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import abort, g, jsonify, redirect, request, session, url_for
from sqlalchemy import select

from core import db
from core.models import Recipient
from reviewer.models import ReviewerKey, User

IDLE_TIMEOUT = timedelta(minutes=30)
REAUTH_WINDOW = timedelta(minutes=5)

_USER = "reviewer_user_id"
_MFA = "reviewer_mfa"
_SEEN = "reviewer_seen"
_REAUTH = "reviewer_reauth_at"
_EPOCH = "reviewer_epoch"

ROLES = ("admin", "reviewer", "case_team")

View = TypeVar("View", bound=Callable[..., Any])


def log_in(user: User, *, mfa: bool) -> None:
    """Start a session for ``user``: after the password only (``mfa=False``: TOTP still to check or to
    enrol), or complete. A fresh session id guards against fixation."""
    session.clear()
    session[_USER] = user.id
    session[_EPOCH] = user.session_epoch
    session[_MFA] = mfa
    session[_SEEN] = time.time()
    if mfa:
        session[_REAUTH] = time.time()


def complete_mfa() -> None:
    """The TOTP code was right: the session is now a full login, freshly authenticated."""
    session[_MFA] = True
    session[_REAUTH] = time.time()


def mark_reauthenticated() -> None:
    """The password or a TOTP code was checked again just now."""
    session[_REAUTH] = time.time()


def log_out() -> None:
    """End this session."""
    session.clear()


def end_all_sessions(user: User) -> None:
    """End every session of ``user`` on every device, this one included (the caller commits)."""
    user.session_epoch = (user.session_epoch or 0) + 1


def pending_user() -> User | None:
    """The user of a session that passed the password but not yet TOTP (for the TOTP pages only)."""
    user_id = session.get(_USER)
    if user_id is None or _expired():
        return None
    user = db.session().get(User, user_id)
    return user if user is not None and _usable(user) else None


def current_user() -> User | None:
    """The fully logged-in user (password and TOTP), or ``None``; ends an idle session."""
    if not session.get(_MFA):
        return None
    if _expired():
        log_out()
        return None
    user = db.session().get(User, session.get(_USER))
    if user is None or not _usable(user):
        log_out()
        return None
    session[_SEEN] = time.time()
    return user


def has_role(user: User, role: str) -> bool:
    """Whether ``user`` holds ``role`` (one of :data:`ROLES`)."""
    return bool(getattr(user, f"is_{role}"))


def vetted_key(user: User) -> ReviewerKey | None:
    """The user's reviewer key that is vetted and not revoked, if any."""
    query = (
        select(ReviewerKey)
        .join(Recipient, Recipient.id == ReviewerKey.recipient_id)
        .where(ReviewerKey.user_id == user.id, Recipient.revoked_at.is_(None))
        .order_by(ReviewerKey.vetted_at.desc())
    )
    return db.session().scalars(query).first()


def is_fresh() -> bool:
    """Whether the password or TOTP was checked within :data:`REAUTH_WINDOW`."""
    checked = session.get(_REAUTH)
    return checked is not None and time.time() - checked <= REAUTH_WINDOW.total_seconds()


def requires(*roles: str, key: bool = False, fresh: bool = False) -> Callable[[View], View]:
    """Wrap a view so that only a full login with one of ``roles`` (any role if none is named) gets in;
    ``key``: only with a vetted, unrevoked reviewer key; ``fresh``: only just after re-authentication.

    Pages send people to log in (or re-authenticate); ``/api/`` routes answer 401 or 403 in JSON."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return _refuse(401, "login", "reviewer_auth.login")
            if roles and not any(has_role(user, role) for role in roles):
                return _refuse(403, "forbidden")
            if key and vetted_key(user) is None:
                return _refuse(403, "no_vetted_key")
            if fresh and not is_fresh():
                return _refuse(401, "reauth", "reviewer_auth.reauth")
            g.user = user
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def _usable(user: User) -> bool:
    """Whether a session of ``user`` may go on: not disabled, not locked, not ended everywhere."""
    return user.disabled_at is None and user.locked_at is None and session.get(_EPOCH) == user.session_epoch


def _expired() -> bool:
    seen = session.get(_SEEN)
    return seen is None or time.time() - seen > IDLE_TIMEOUT.total_seconds()


def _refuse(status: int, code: str, endpoint: str | None = None) -> Any:
    if "/api/" in request.path:
        response = jsonify(error=code)
        response.status_code = status
        return response
    if endpoint is not None:
        # Coming back must be a GET: after a refused POST, a form's page is where to return.
        back = request.full_path if request.method == "GET" else request.form.get("return_to") or None
        return redirect(url_for(endpoint, next=back) if back else url_for(endpoint))
    abort(status)
