"""Reviewer accounts: invitations, passwords, TOTP, login, throttling and re-authentication.

The pages (blueprint ``reviewer_auth`` under ``/reviewer``) over the service in reviewer/accounts.py;
the admin's users page and ``sori users`` are in reviewer/users.py. A login is two steps: the password
starts a session that can reach only the TOTP pages (the code, or enrolment for someone who has not
confirmed a code yet); a right code makes it a full login (reviewer/access.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from core import db, hashing
from reviewer import access, accounts, enrolment
from reviewer.models import User

bp = Blueprint("reviewer_auth", __name__, url_prefix="/reviewer")

#: What a refused login says, whatever the reason: nobody learns whether an account exists or is locked.
LOGIN_REFUSED = _l(
    "The login, password or code is not right, or the account is paused after too many failed attempts. "
    "Wait a few minutes and try again; if it keeps failing, ask an administrator."
)
#: What a login says when too many are being checked at once (core/hashing.py): nothing was counted.
LOGIN_BUSY = _l("Many logins are being checked at the moment. Please try again in a minute.")

ACCOUNT_ERRORS: dict[str, Callable[[], str]] = {
    "password_short": lambda: _(
        "The password must have at least %(num)d characters.", num=accounts.PASSWORD_MIN_LENGTH
    ),
    "password_long": lambda: _("The password is too long."),
    "password_mismatch": lambda: _("The two passwords are not the same."),
    "invalid_invitation": lambda: _(
        "This invitation link is not valid: it was already used, it expired, or it was withdrawn. "
        "Ask an administrator for a new one."
    ),
    "totp_wrong": lambda: _("This code is not right. Type the 6 digits your app shows now."),
}

ROLE_LABELS: dict[str, Callable[[], str]] = {
    "admin": lambda: _("administrator"),
    "reviewer": lambda: _("reviewer"),
    "case_team": lambda: _("case team"),
}


def no_store_page(template: str, status: int = 200, **context: Any) -> Response:
    """A page of the account pages: secrets, QR codes and invitation links never stay in a cache."""
    response = Response(render_template(template, **context), status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _busy_page(template: str, **context: Any) -> Response:
    response = no_store_page(template, status=503, error=LOGIN_BUSY, **context)
    response.headers["Retry-After"] = "60"
    return response


def safe_next(target: str | None) -> str:
    """Where to go after logging in: ``target`` if it is a path on this site, else the landing page.

    Never an absolute URL, a scheme-relative ``//host`` or a backslash trick (no open redirect)."""
    fallback = url_for("reviewer_auth.home")
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target.rstrip("?") or fallback


# --- login ----------------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response:
    """The first step: login and password."""
    next_path = request.values.get("next", "")
    if request.method == "GET":
        return no_store_page("reviewer/login.html", next=next_path, error=None)
    session = db.session()
    try:
        user = accounts.check_password(
            session, request.form.get("login", ""), request.form.get("password", "")
        )
    except accounts.LoginRefused:
        return no_store_page("reviewer/login.html", status=401, next=next_path, error=LOGIN_REFUSED)
    except hashing.Busy:
        return _busy_page("reviewer/login.html", next=next_path)
    access.log_in(user, mfa=False)
    session.commit()  # a rehashed password
    if user.totp_confirmed_at is None:
        return redirect(url_for("reviewer_auth.enrol_totp", next=next_path or None))  # type: ignore[return-value]
    return redirect(url_for("reviewer_auth.login_code", next=next_path or None))  # type: ignore[return-value]


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> Response:
    """The second step: a TOTP code from the person's app."""
    user = access.pending_user()
    next_path = request.values.get("next", "")
    if user is None:
        return redirect(url_for("reviewer_auth.login", next=next_path or None))  # type: ignore[return-value]
    if user.totp_confirmed_at is None:
        return redirect(url_for("reviewer_auth.enrol_totp", next=next_path or None))  # type: ignore[return-value]
    if request.method == "GET":
        return no_store_page("reviewer/login_code.html", next=next_path, error=None)
    try:
        accounts.check_code(db.session(), user, request.form.get("code", ""))
    except accounts.LoginRefused as refused:
        if refused.code in ("locked", "disabled"):
            access.log_out()
            return no_store_page("reviewer/login.html", status=401, next=next_path, error=LOGIN_REFUSED)
        return no_store_page("reviewer/login_code.html", status=401, next=next_path, error=LOGIN_REFUSED)
    access.complete_mfa()
    return redirect(safe_next(next_path))  # type: ignore[return-value]


@bp.post("/logout")
def logout() -> Response:
    """End the session (a POST, so that another site cannot log someone out with a link)."""
    user = access.current_user()
    if user is not None:
        from core.audit import record

        session = db.session()
        record(session, user, "logout", f"user:{user.login}")
        # Every session ends, so that a copy of the cookie taken from this browser dies with it.
        access.end_all_sessions(user)
        session.commit()
    access.log_out()
    flash(_("You are logged out."))
    return redirect(url_for("reviewer_auth.login"))  # type: ignore[return-value]


# --- invitations and enrolment --------------------------------------------------------------------------


def _invitation_page(user: User | None, token: str, status: int = 200, error: str | None = None) -> Response:
    if user is None:
        message = ACCOUNT_ERRORS["invalid_invitation"]()
        return no_store_page("reviewer/invitation_invalid.html", status=404, message=message)
    return no_store_page(
        "reviewer/invitation.html",
        status=status,
        invited=user,
        token=token,
        error=error,
        min_length=accounts.PASSWORD_MIN_LENGTH,
    )


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Response:
    """An invited person chooses their login password; TOTP enrolment follows at once."""
    session = db.session()
    user = enrolment.invited_user(session, token)
    if user is None or request.method == "GET":
        return _invitation_page(user, token)
    password = request.form.get("password", "")
    if password != request.form.get("password_again", ""):
        return _invitation_page(user, token, 400, ACCOUNT_ERRORS["password_mismatch"]())
    try:
        user = enrolment.accept_invitation(session, token, password)
    except accounts.AccountError as refused:
        session.rollback()
        error = ACCOUNT_ERRORS[refused.code]()
        return _invitation_page(enrolment.invited_user(session, token), token, 400, error)
    access.log_in(user, mfa=False)
    return redirect(url_for("reviewer_auth.enrol_totp"))  # type: ignore[return-value]


@bp.route("/totp/enrol", methods=["GET", "POST"])
def enrol_totp() -> Response:
    """TOTP enrolment: a QR code and the secret as text; a right code confirms it and logs in."""
    user = access.pending_user()
    next_path = request.values.get("next", "")
    if user is None:
        return redirect(url_for("reviewer_auth.login"))  # type: ignore[return-value]
    if user.totp_confirmed_at is not None:
        if access.current_user() is not None:
            return redirect(url_for("reviewer_auth.home"))  # type: ignore[return-value]
        return redirect(url_for("reviewer_auth.login_code", next=next_path or None))  # type: ignore[return-value]
    session = db.session()
    if user.totp_secret is None:  # the password was set another way; give a secret now
        import pyotp

        user.totp_secret = pyotp.random_base32()
        session.commit()
    error = None
    status = 200
    if request.method == "POST":
        if enrolment.confirm_totp(session, user, request.form.get("code", "")):
            accounts.enrolled_login(session, user)
            access.complete_mfa()
            return redirect(safe_next(next_path))  # type: ignore[return-value]
        error, status = ACCOUNT_ERRORS["totp_wrong"](), 400
    return no_store_page(
        "reviewer/enrol_totp.html",
        status=status,
        qr_svg=Markup(enrolment.totp_qr_svg(user)),  # noqa: S704  (segno's own markup, no user input)
        secret=enrolment.grouped_secret(user.totp_secret or ""),
        next=next_path,
        error=error,
    )


# --- the landing page and re-authentication -------------------------------------------------------------


def _endpoint_url(endpoint: str) -> str | None:
    """The URL of another part's page, or ``None`` if that part is not installed."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint)
    except Exception:  # noqa: BLE001  (a page that needs arguments: no link)
        return None


def nav_links(user: User | None) -> list[tuple[str, str]]:
    """The reviewer side's pages ``user`` may open, as (URL, label), for the nav bar and landing page."""
    if user is None:
        return []
    links = [(_endpoint_url("reviewer_auth.home"), _("Start"))]
    if user.is_reviewer:
        links.append((_endpoint_url("reviewer_inbox.inbox"), _("Inbox")))
    if user.is_reviewer:
        links.append((_endpoint_url("reviewer_keys.my_keys"), _("My keys")))
    if user.is_reviewer or user.is_case_team:
        links.append((_endpoint_url("records.home"), _("Records")))
        links.append((_endpoint_url("records.search"), _("Search records")))
        links.append((_endpoint_url("exports.home"), _("Dossiers")))
    if user.is_admin:
        links.append((_endpoint_url("reviewer_users.admin_users"), _("Accounts")))
        links.append((_endpoint_url("reviewer_keys.vetting"), _("Vet reviewer keys")))
        links.append((_endpoint_url("reviewer_audit.trail"), _("Audit trail")))
        links.append((_endpoint_url("exports.settings"), _("Dossier settings")))
        links.append((_endpoint_url("reviewer_conversation.templates_page"), _("Reply templates")))
    return [(href, label) for href, label in links if href]


@bp.app_context_processor
def _nav_context() -> dict[str, Any]:
    # A function, so that pages without the nav bar (every source page) pay nothing.
    return {"reviewer_nav_links": lambda: nav_links(g.get("user"))}


@bp.get("/")
@access.requires()
def home() -> Response:
    """Where a login lands: links to what the user's roles allow."""
    user: User = g.user
    return no_store_page(
        "reviewer/home.html",
        links=nav_links(user)[1:],
        roles=[ROLE_LABELS[role]() for role in accounts.roles_of(user)],
    )


@bp.route("/reauth", methods=["GET", "POST"])
@access.requires()
def reauth() -> Response:
    """Check the password or a TOTP code again before a sensitive act, then go back to ``next``."""
    user: User = g.user
    next_path = request.values.get("next", "")
    if request.method == "GET":
        return no_store_page("reviewer/reauth.html", next=next_path, error=None)
    try:
        accounts.reauthenticate(
            db.session(), user, password=request.form.get("password", ""), code=request.form.get("code", "")
        )
    except accounts.LoginRefused as refused:
        if refused.code in ("locked", "disabled"):
            access.log_out()
            return no_store_page("reviewer/login.html", status=401, next="", error=LOGIN_REFUSED)
        return no_store_page("reviewer/reauth.html", status=401, next=next_path, error=LOGIN_REFUSED)
    except hashing.Busy:
        return _busy_page("reviewer/reauth.html", next=next_path)
    access.mark_reauthenticated()
    return redirect(safe_next(next_path))  # type: ignore[return-value]
