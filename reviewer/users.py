"""Account administration: the admin's users page (invite, unlock, disable; blueprint ``reviewer_users``)
and the ``sori users`` commands, over the service in reviewer/accounts.py."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Blueprint, Response, abort, flash, g, redirect, request, url_for
from flask.cli import with_appcontext
from flask_babel import gettext as _

from core import db
from reviewer import access, accounts, enrolment
from reviewer.auth import ROLE_LABELS, no_store_page
from reviewer.models import User

bp = Blueprint("reviewer_users", __name__, url_prefix="/reviewer")

ADMIN_ERRORS: dict[str, Callable[[], str]] = {
    "bad_login": lambda: _("A login has no spaces and at most 200 characters."),
    "bad_name": lambda: _("Give a name of at most 200 characters."),
    "no_role": lambda: _("Choose at least one role."),
    "exists": lambda: _("An account with this login already exists."),
    "self": lambda: _("You cannot disable your own account."),
}

STATE_LABELS: dict[str, Callable[[], str]] = {
    "active": lambda: _("active"),
    "disabled": lambda: _("disabled"),
    "locked": lambda: _("locked"),
    "throttled": lambda: _("paused after failed logins"),
    "invited": lambda: _("invited"),
    "invitation_expired": lambda: _("invitation expired"),
    "totp_pending": lambda: _("two-step code not set up"),
}


def _admin_page(status: int = 200, error: str | None = None, invitation_link: str | None = None) -> Response:
    rows = [
        {
            "user": user,
            "roles": [ROLE_LABELS[role]() for role in accounts.roles_of(user)],
            "state": accounts.state_of(user),
            "state_label": STATE_LABELS[accounts.state_of(user)](),
            "totp": user.totp_confirmed_at is not None,
        }
        for user in accounts.users(db.session())
    ]
    return no_store_page(
        "reviewer/admin_users.html",
        status=status,
        rows=rows,
        error=error,
        invitation_link=invitation_link,
        fresh=access.is_fresh(),
    )


@bp.get("/admin/users")
@access.requires("admin")
def admin_users() -> Response:
    """Every account with its roles, TOTP and lock state; invite, unlock, disable."""
    return _admin_page()


@bp.post("/admin/users")
@access.requires("admin", fresh=True)
def admin_invite() -> Response:
    """Invite a person; the link is shown once, on this page."""
    session = db.session()
    try:
        invitation = enrolment.invite(
            session,
            g.user,
            request.form.get("login", ""),
            request.form.get("display_name", ""),
            admin="admin" in request.form,
            reviewer="reviewer" in request.form,
            case_team="case_team" in request.form,
        )
    except accounts.AccountError as refused:
        session.rollback()
        return _admin_page(status=400, error=ADMIN_ERRORS[refused.code]())
    return _admin_page(status=201, invitation_link=enrolment.invitation_link(invitation.token))


def _target(user_id: int) -> User:
    user = db.session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.post("/admin/users/<int:user_id>/unlock")
@access.requires("admin", fresh=True)
def admin_unlock(user_id: int) -> Response:
    """Lift a lockout (or a delay) after failed logins."""
    user = _target(user_id)
    accounts.unlock(db.session(), g.user, user)
    flash(_("%(login)s is unlocked.", login=user.login))
    return redirect(url_for("reviewer_users.admin_users"))  # type: ignore[return-value]


@bp.post("/admin/users/<int:user_id>/disable")
@access.requires("admin", fresh=True)
def admin_disable(user_id: int) -> Response:
    """Disable an account for good."""
    user = _target(user_id)
    session = db.session()
    try:
        accounts.disable(session, g.user, user)
    except accounts.AccountError as refused:
        session.rollback()
        return _admin_page(status=400, error=ADMIN_ERRORS[refused.code]())
    flash(_("%(login)s is disabled.", login=user.login))
    return redirect(url_for("reviewer_users.admin_users"))  # type: ignore[return-value]


# --- sori users -----------------------------------------------------------------------------------------


class _Refused(click.ClickException):
    """A refusal explained in one line, exit status 1."""


def _cli_user(login: str) -> User:
    user = accounts.find_user(db.session(), login)
    if user is None:
        raise _Refused(f"no account with the login {login!r}")
    return user


@click.group("users", help="Reviewer, admin and case-team accounts.")
def users_cli() -> None:
    """The ``sori users`` commands."""


@users_cli.command("invite")
@click.argument("login")
@click.option("--name", "display_name", required=True, help="The person's name, as others will see it.")
@click.option("--admin", is_flag=True, help="Operates Sori and vets reviewers (reads nothing by this role).")
@click.option("--reviewer", is_flag=True, help="Reads and triages testimony.")
@click.option("--case-team", "case_team", is_flag=True, help="Builds dossiers and exports.")
@with_appcontext
def invite_command(login: str, display_name: str, admin: bool, reviewer: bool, case_team: bool) -> None:
    """Invite a person (the first admin of a new installation too) and print their invitation link."""
    try:
        invitation = enrolment.invite(
            db.session(), None, login, display_name, admin=admin, reviewer=reviewer, case_team=case_team
        )
    except accounts.AccountError as refused:
        messages = {
            "bad_login": "a login has no spaces and at most 200 characters",
            "bad_name": "give a name of at most 200 characters",
            "no_role": "give at least one role: --admin, --reviewer or --case-team",
            "exists": f"the account {login!r} is already in use",
        }
        raise _Refused(messages.get(refused.code, refused.code)) from refused
    expires = invitation.user.invite_expires_at
    click.echo(f"Invitation for {invitation.user.login} ({', '.join(accounts.roles_of(invitation.user))}),")
    click.echo(f"valid until {expires:%Y-%m-%d %H:%M} UTC, once. Send this link privately:")
    click.echo(enrolment.invitation_link(invitation.token))


@users_cli.command("list")
@with_appcontext
def list_command() -> None:
    """Every account with its roles, TOTP and lock state."""
    for user in accounts.users(db.session()):
        totp = "totp" if user.totp_confirmed_at is not None else "no-totp"
        roles = ",".join(accounts.roles_of(user)) or "-"
        click.echo(f"{user.login}\t{user.display_name}\t{roles}\t{totp}\t{accounts.state_of(user)}")


@users_cli.command("unlock")
@click.argument("login")
@with_appcontext
def unlock_command(login: str) -> None:
    """Lift a lockout or delay after failed logins."""
    user = _cli_user(login)
    accounts.unlock(db.session(), None, user)
    click.echo(f"{user.login} is unlocked.")


@users_cli.command("disable")
@click.argument("login")
@with_appcontext
def disable_command(login: str) -> None:
    """Disable an account for good (it can no longer log in)."""
    user = _cli_user(login)
    accounts.disable(db.session(), None, user)
    click.echo(f"{user.login} is disabled.")
