"""Reviewer accounts as a service: passwords, TOTP codes, login checks, throttling, unlock and disable.

Invitations and enrolment are in reviewer/enrolment.py. No Flask views here (reviewer/auth.py has them);
every function works on a database session inside an application context and commits the unit of work it
completes, with its audit entry in the same transaction. Time comes from :func:`now`, so that tests can move
the clock.

Login is two checks, the password then a TOTP code; failures of either count against the account.
From the :data:`THROTTLE_FROM`-th consecutive failure the account refuses logins for a delay that doubles
with each further failure, up to :data:`THROTTLE_MAX`, without looking at the password. The delay ends by
itself: there is no lock that only an admin can lift, because anyone who knows a login could otherwise
lock its reviewer out (and end their open sessions) in two minutes (issue 18). An hour between guesses
at most keeps online guessing hopeless all the same: about 24 guesses a day at a 12-character password,
or at a TOTP code once the password is known (3 codes in a million each). Only a complete login
(password and code) resets the count, so that knowing the password does not buy unlimited guesses at the
code; an admin can also reset it. An unknown login costs the same argon2id work, takes the same database
write before it and gets the same answer. Refusals that check nothing (unknown, disabled, throttled
accounts) are counted in the audit trail per account and minute (core/audit.py ``tally``), so a flood
cannot grow it without bound. Every argon2id passes core/hashing.py, two at a time per process.
"""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core import hashing
from core.audit import record, tally
from reviewer.models import User

#: argon2id cost: 3 passes over 64 MiB on one lane take about 190 ms on the 2-core reference machine
#: (measured with argon2-cffi 23; see the report in the tests). The PHC string records them, and a login
#: rehashes a password stored with other parameters. ``SORI_PASSWORD_HASH_PARAMS`` overrides them (tests).
PASSWORD_HASH_PARAMS: dict[str, int] = {"time_cost": 3, "memory_cost": 65536, "parallelism": 1}
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 1024
#: The first failure that delays the next attempt: 2 s, then 4 s, 8 s ... up to :data:`THROTTLE_MAX`.
THROTTLE_FROM = 4
THROTTLE_MAX = timedelta(hours=1)
#: Codes of the step before and after the current one are accepted too (clock drift, slow typing).
TOTP_VALID_WINDOW = 1

ROLE_FLAGS = ("is_admin", "is_reviewer", "is_case_team")


def now() -> datetime:
    """The current moment (UTC); tests replace it to move time."""
    return datetime.now(UTC)


class AccountError(Exception):
    """An account operation refused; ``code`` names why, for a translated message in the view."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


class LoginRefused(AccountError):
    """A login or re-authentication refused. The view says the same thing whatever the reason."""


# --- logins and passwords -------------------------------------------------------------------------------


def normalize_login(login: str) -> str:
    """What a login is compared as: NFC, without surrounding white space, lower-case."""
    return unicodedata.normalize("NFC", login).strip().lower()


def find_user(session: Session, login: str) -> User | None:
    """The user with ``login`` (normalised), or ``None``."""
    return session.scalars(select(User).where(User.login == normalize_login(login))).first()


def password_hasher() -> PasswordHasher:
    """argon2id with the configured parameters (``SORI_PASSWORD_HASH_PARAMS`` or the defaults)."""
    params = {**PASSWORD_HASH_PARAMS, **(current_app.config.get("SORI_PASSWORD_HASH_PARAMS") or {})}
    return PasswordHasher(**params)


def check_password_rules(password: str) -> None:
    """Raise :class:`AccountError` (``password_short`` or ``password_long``) unless ``password`` is usable."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise AccountError("password_short")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise AccountError("password_long")


_dummy_hashes: dict[tuple[tuple[str, int], ...], str] = {}


def _dummy_verify() -> None:
    """Spend what checking a real password costs, so that unknown and refused logins take as long."""
    hasher = password_hasher()
    key = tuple(sorted({"t": hasher.time_cost, "m": hasher.memory_cost, "p": hasher.parallelism}.items()))
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hashing.PASSWORDS.run(lambda: hasher.hash(secrets.token_hex(16)))
    try:
        hashing.PASSWORDS.run(lambda: hasher.verify(_dummy_hashes[key], "not the password"))
    except VerificationError:
        pass


# --- TOTP codes ---------------------------------------------------------------------------------------


def matching_step(user: User, code: str) -> int | None:
    """The time step whose code ``code`` is, within the window and later than the last one used."""
    code = "".join(code.split())
    if user.totp_secret is None or len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(user.totp_secret)
    current = totp.timecode(now())
    found = None
    for step in range(current - TOTP_VALID_WINDOW, current + TOTP_VALID_WINDOW + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    return found


# --- throttling -----------------------------------------------------------------------------------------


def throttle_delay(failures: int) -> timedelta:
    """How long logins wait after ``failures`` consecutive failures: 0, then 2^(n-3) s up to an hour."""
    if failures < THROTTLE_FROM:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - THROTTLE_FROM + 1)), THROTTLE_MAX)


def is_throttled(user: User) -> bool:
    """Whether the account is waiting out a delay after failed logins."""
    return user.throttled_until is not None and user.throttled_until > now()


def _blocked_reason(user: User | None) -> str | None:
    if user is None:
        return "unknown"
    if user.disabled_at is not None:
        return "disabled"
    if user.password_hash is None:
        return "not_accepted"
    if user.locked_at is not None:
        return "locked"
    if is_throttled(user):
        return "throttled"
    return None


@dataclass(frozen=True)
class _Attempt:
    """A check under way: the failure it would be is already counted, so that requests racing on one
    account cannot check more guesses than the count allows."""

    failures_before: int
    throttled_before: datetime | None


def _begin_attempt(session: Session, user: User) -> _Attempt | None:
    """Count the coming check as a failure in advance, with the delay and lock it would bring, if no other
    check of the account got there first; ``None`` (nothing changed) if one did. Committed at once."""
    before = _Attempt(user.failed_logins or 0, user.throttled_until)
    failures = before.failures_before + 1
    delay = throttle_delay(failures)
    moment = now()
    claimed = session.execute(
        update(User)
        .where(
            User.id == user.id,
            User.failed_logins == before.failures_before,
            User.locked_at.is_(None),
            or_(User.throttled_until.is_(None), User.throttled_until <= moment),
        )
        .values(failed_logins=failures, throttled_until=moment + delay if delay else None)
        .execution_options(synchronize_session=False)
    )
    session.commit()  # also reloads ``user``
    return before if claimed.rowcount == 1 else None  # type: ignore[attr-defined]


def _undo_attempt(user: User, attempt: _Attempt) -> None:
    """The check passed: take back the failure counted in advance (uncommitted)."""
    user.failed_logins = attempt.failures_before
    user.throttled_until = attempt.throttled_before


def _refuse(session: Session, user: User, reason: str, step: str) -> LoginRefused:
    """Audit a wrong password or code (counted when the attempt began) and commit; the error to raise."""
    record(
        session,
        user,
        "login.failed",
        f"user:{user.login}",
        reason=reason,
        step=step,
        failures=user.failed_logins,
    )
    session.commit()
    return LoginRefused(reason)


def _start(session: Session, user: User | None, step: str, *, costly: bool) -> _Attempt:
    """Refuse a blocked account (after the same argon2id work when ``costly``) or begin an attempt.

    Either way one write is committed before the argon2id work: the attempt counted in advance, or the
    refusal counted in the audit trail's tally for the minute. Both paths thus cost and look the same."""
    reason = _blocked_reason(user)
    if reason is None and step == "code" and user is not None and user.totp_confirmed_at is None:
        reason = "no_totp"
    attempt = _begin_attempt(session, user) if reason is None and user is not None else None
    if attempt is not None:
        return attempt
    # Never the typed login of an unknown account: it may be a password typed in the wrong field.
    subject = f"user:{user.login}" if user is not None else "user:?"
    tally(session, "login.refused", subject, reason=reason or "throttled", step=step)
    session.commit()
    if costly:
        _dummy_verify()
    raise LoginRefused(reason or "throttled")


def _complete(session: Session, user: User) -> None:
    user.failed_logins = 0
    user.throttled_until = None
    user.locked_at = None


# --- login ----------------------------------------------------------------------------------------------


def check_password(session: Session, login: str, password: str) -> User:
    """The login's first step: the user if ``password`` is theirs and the account may log in.

    Raises :class:`LoginRefused` (reason ``unknown``, ``disabled``, ``not_accepted``, ``locked``,
    ``throttled`` or ``password``) after the same argon2id work in every case; a wrong password counts
    as a failure. A right password does not reset the count: only a complete login does."""
    user = find_user(session, login) if login else None
    attempt = _start(session, user, "password", costly=True)
    assert user is not None
    if not _verify_hash(user, password):
        raise _refuse(session, user, "password", "password")
    _undo_attempt(user, attempt)
    session.commit()
    return user


def _verify_hash(user: User, password: str) -> bool:
    """Whether ``password`` is the user's; rehashes (uncommitted) when the parameters have changed."""
    if user.password_hash is None:
        return False
    hasher = password_hasher()
    stored = user.password_hash
    try:
        hashing.PASSWORDS.run(lambda: hasher.verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(stored):
        user.password_hash = hashing.PASSWORDS.run(lambda: hasher.hash(password))
    return True


def check_code(session: Session, user: User, code: str) -> None:
    """The login's second step: accept a TOTP code (once) and complete the login, audited ``login``.

    Raises :class:`LoginRefused` when the account is blocked (no code is checked then) or the code is wrong
    or already used; a wrong code counts as a failure."""
    _start(session, user, "code", costly=False)
    step = matching_step(user, code)
    if step is None:
        raise _refuse(session, user, "code", "code")
    user.totp_last_step = step
    _complete(session, user)
    record(session, user, "login", f"user:{user.login}")
    session.commit()


def reauthenticate(session: Session, user: User, *, password: str = "", code: str = "") -> None:
    """Check the password or a TOTP code again before a sensitive act; audited ``reauth``.

    Raises :class:`LoginRefused` like a login; failures count the same way."""
    _start(session, user, "reauth", costly=True)
    if code.strip():
        step = matching_step(user, code)
        if step is None:
            raise _refuse(session, user, "code", "reauth")
        user.totp_last_step = step
        method = "code"
    else:
        if not _verify_hash(user, password):
            raise _refuse(session, user, "password", "reauth")
        method = "password"
    _complete(session, user)
    record(session, user, "reauth", f"user:{user.login}", method=method)
    session.commit()


def enrolled_login(session: Session, user: User) -> None:
    """Audit the login that enrolment completes (the password was checked and a fresh code confirmed)."""
    _complete(session, user)
    record(session, user, "login", f"user:{user.login}", enrolment=True)
    session.commit()


# --- administration -------------------------------------------------------------------------------------


def roles_of(user: User) -> list[str]:
    """The user's roles, as the names of reviewer/access.py."""
    return [flag.removeprefix("is_") for flag in ROLE_FLAGS if getattr(user, flag)]


def users(session: Session) -> list[User]:
    """Every account, by login."""
    return list(session.scalars(select(User).order_by(User.login)))


def state_of(user: User) -> str:
    """One word for where an account stands: ``disabled``, ``locked``, ``throttled``, ``invited``,
    ``invitation_expired``, ``totp_pending`` or ``active``."""
    if user.disabled_at is not None:
        return "disabled"
    if user.locked_at is not None:
        return "locked"
    if is_throttled(user):
        return "throttled"
    if user.password_hash is None:
        if user.invite_expires_at is not None and user.invite_expires_at > now():
            return "invited"
        return "invitation_expired"
    if user.totp_confirmed_at is None:
        return "totp_pending"
    return "active"


def unlock(session: Session, actor: User | None, user: User) -> None:
    """Lift a lockout or a delay and reset the failure count; audited ``user.unlock``."""
    user.locked_at = None
    user.throttled_until = None
    previous, user.failed_logins = user.failed_logins, 0
    record(session, actor, "user.unlock", f"user:{user.login}", failures=previous)
    session.commit()


def disable(session: Session, actor: User | None, user: User) -> None:
    """Disable an account for good: no login, its invitation void; audited ``user.disable``.

    Raises :class:`AccountError` ``self`` when an admin would disable their own account."""
    if actor is not None and actor.id == user.id:
        raise AccountError("self")
    if user.disabled_at is None:
        user.disabled_at = now()
    user.session_epoch = (user.session_epoch or 0) + 1
    user.invite_hash = None
    user.invite_expires_at = None
    record(session, actor, "user.disable", f"user:{user.login}")
    session.commit()
