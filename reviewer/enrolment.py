"""Joining Sori: an admin's invitation, the invited person choosing a password, and setting up two-step
login (TOTP) before anything else opens. Over reviewer/accounts.py, in the same style: functions on a
database session that commit the unit of work they complete with its audit entry."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import segno
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import hashing
from core.audit import record
from reviewer import accounts
from reviewer.models import User

INVITATION_VALIDITY = timedelta(days=7)
TOTP_ISSUER = "Sori"


@dataclass(frozen=True)
class Invitation:
    """An invited user and the token of their link (shown once, stored only as its SHA-256)."""

    user: User
    token: str


# --- invitations ----------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invite(
    session: Session,
    actor: User | None,
    login: str,
    display_name: str,
    *,
    admin: bool = False,
    reviewer: bool = False,
    case_team: bool = False,
) -> Invitation:
    """Invite a person with the given roles; returns the token for their link (valid 7 days, once).

    Inviting again someone who never accepted replaces their link. Raises :class:`AccountError`:
    ``bad_login``, ``no_role`` or ``exists`` (an account that is in use)."""
    login = accounts.normalize_login(login)
    display_name = display_name.strip()
    if not login or len(login) > 200 or any(ch.isspace() for ch in login):
        raise accounts.AccountError("bad_login")
    if not display_name or len(display_name) > 200:
        raise accounts.AccountError("bad_name")
    if not (admin or reviewer or case_team):
        raise accounts.AccountError("no_role")
    user = accounts.find_user(session, login)
    if user is None:
        user = User(login=login, failed_logins=0)
        session.add(user)
    elif user.password_hash is not None or user.disabled_at is not None:
        raise accounts.AccountError("exists")
    user.display_name = display_name
    user.is_admin, user.is_reviewer, user.is_case_team = admin, reviewer, case_team
    token = secrets.token_urlsafe(32)
    user.invite_hash = _token_hash(token)
    user.invite_expires_at = accounts.now() + INVITATION_VALIDITY
    session.flush()
    record(session, actor, "user.invite", f"user:{login}", roles=accounts.roles_of(user))
    session.commit()
    return Invitation(user, token)


def invitation_link(token: str) -> str:
    """The link an invited person opens: ``<SORI_BASE_URL>/reviewer/invite/<token>``."""
    base = str(current_app.config.get("SORI_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    return f"{base}/reviewer/invite/{token}"


def invited_user(session: Session, token: str) -> User | None:
    """The user whose open, unexpired invitation ``token`` is, or ``None``."""
    if not token or len(token) > 200:
        return None
    user = session.scalars(select(User).where(User.invite_hash == _token_hash(token))).first()
    if (
        user is None
        or user.disabled_at is not None
        or user.password_hash is not None
        or user.invite_expires_at is None
        or user.invite_expires_at <= accounts.now()
    ):
        return None
    return user


def accept_invitation(session: Session, token: str, password: str) -> User:
    """Set the invited user's password and a new TOTP secret to enrol; the link is used up.

    Raises :class:`AccountError`: ``invalid_invitation``, ``password_short`` or ``password_long``."""
    accounts.check_password_rules(password)
    user = invited_user(session, token)
    if user is None:
        raise accounts.AccountError("invalid_invitation")
    hasher = accounts.password_hasher()
    user.password_hash = hashing.PASSWORDS.run(lambda: hasher.hash(password))
    user.invite_hash = None
    user.invite_expires_at = None
    user.totp_secret = pyotp.random_base32()
    user.totp_confirmed_at = None
    user.totp_last_step = None
    record(session, user, "user.accept", f"user:{user.login}")
    session.commit()
    return user


# --- TOTP -----------------------------------------------------------------------------------------------


def totp_uri(user: User) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    if user.totp_secret is None:
        raise accounts.AccountError("no_totp")
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.login, issuer_name=TOTP_ISSUER)


def totp_qr_svg(user: User) -> str:
    """The QR code of :func:`totp_uri` as inline SVG markup, made here (no request leaves the server) and
    without style attributes, which the Content-Security-Policy would block."""
    qr = segno.make(totp_uri(user), error="m")
    return str(qr.svg_inline(scale=5, border=4, dark="#000", light="#fff", svgclass="totp-qr", title="QR"))


def grouped_secret(secret: str) -> str:
    """The TOTP secret in groups of four letters, for typing it by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_totp(session: Session, user: User, code: str) -> bool:
    """Finish enrolment if ``code`` comes from the user's new secret; the code is used up."""
    if user.totp_confirmed_at is not None:
        raise accounts.AccountError("totp_enrolled")
    step = accounts.matching_step(user, code)
    if step is None:
        return False
    user.totp_confirmed_at = accounts.now()
    user.totp_last_step = step
    record(session, user, "user.totp_enrol", f"user:{user.login}")
    session.commit()
    return True


def create_enrolled_user(
    session: Session,
    login: str,
    display_name: str,
    password: str,
    *,
    admin: bool = False,
    reviewer: bool = False,
    case_team: bool = False,
) -> User:
    """An account ready to log in (invited, accepted, TOTP enrolled), for demos and tests; the TOTP code
    of the step before now is spent, so codes of the current and next steps still work."""
    invitation = invite(
        session, None, login, display_name, admin=admin, reviewer=reviewer, case_team=case_team
    )
    user = accept_invitation(session, invitation.token, password)
    assert user.totp_secret is not None
    totp = pyotp.TOTP(user.totp_secret)
    earlier = totp.timecode(accounts.now()) - accounts.TOTP_VALID_WINDOW
    if not confirm_totp(session, user, totp.generate_otp(earlier)):
        raise accounts.AccountError("totp_enrol_failed")
    return user
