"""The audit trail: an append-only, hash-chained record of every sensitive act, and its verification.

Each entry's hash covers its own fields and the previous entry's hash, so an entry altered, removed or
moved breaks the chain from that point on; ``sori audit verify`` walks it and names the first bad entry.
Entries say who did what to what, and when; never an IP address, never testimony.

:func:`record` adds an entry to the caller's transaction, so the act and its record commit together.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core import db
from core.models import AuditEntry

GENESIS = "0" * 64


class Actor(Protocol):
    """Whoever acts: anything with a login (a reviewer's account)."""

    login: str


#: Entries read at once while verifying, so memory stays flat on a long trail.
_BATCH = 1000


def record(session: Session, actor: Actor | None, action: str, subject: str, **details: Any) -> AuditEntry:
    """Append an entry to the trail in ``session``'s transaction (the caller commits)."""
    if session.get_bind().dialect.name == "postgresql":
        # Appends are serialised for the length of the transaction: two at once would claim one seq.
        session.execute(text("SELECT pg_advisory_xact_lock(5143)"))
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last.seq + 1, last.hash) if last else (1, GENESIS)
    entry = AuditEntry(
        seq=seq,
        at=datetime.now(UTC).replace(microsecond=0),
        actor=actor.login if actor is not None else "-",
        action=action,
        subject=subject,
        details=_canonical(details),
        prev_hash=prev_hash,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    return entry


def entry_hash(entry: AuditEntry) -> str:
    """The hash an entry must carry: SHA-256 over its fields and the previous entry's hash."""
    fields = [
        entry.seq,
        entry.at.astimezone(UTC).isoformat(),
        entry.actor,
        entry.action,
        entry.subject,
        entry.details,
        entry.prev_hash,
    ]
    return hashlib.sha256(_canonical(fields).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first place where the trail is not what was written: ``seq`` and what is wrong there."""

    seq: int
    reason: str


def verify(session: Session) -> tuple[int, Break | None]:
    """Walk the whole trail; returns how many entries were checked and the first break, if any."""
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    for entry in _entries(session):
        if entry.seq != expected_seq:
            return checked, Break(expected_seq, f"entry {expected_seq} is missing (next is {entry.seq})")
        if entry.prev_hash != prev_hash:
            return checked, Break(entry.seq, "it does not follow the entry before it (removed or reordered)")
        if entry.hash != entry_hash(entry):
            return checked, Break(entry.seq, "its content was changed after it was written")
        expected_seq, prev_hash, checked = entry.seq + 1, entry.hash, checked + 1
    return checked, None


def entries(session: Session, *, before: int | None = None, limit: int = 100) -> list[AuditEntry]:
    """The newest entries (older than ``before`` when given), newest first: for the admin's page."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditEntry.seq < before)
    return list(session.scalars(query))


def count(session: Session) -> int:
    """How many entries the trail holds."""
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def _entries(session: Session) -> Iterator[AuditEntry]:
    after = 0
    while True:
        batch = list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(_BATCH)
            )
        )
        if not batch:
            return
        yield from batch
        after = batch[-1].seq
        session.expunge_all()


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


@click.group("audit", help="The audit trail of sensitive acts.")
def audit_cli() -> None:
    """The ``sori audit`` commands."""


@audit_cli.command("verify")
@with_appcontext
def verify_command() -> None:
    """Check the whole audit trail; exit non-zero naming the first entry altered, removed or reordered."""
    checked, broken = verify(db.session())
    if broken is not None:
        click.echo(f"The audit trail is broken at entry {broken.seq}: {broken.reason}.", err=True)
        click.echo(f"{checked} entries before it are intact.", err=True)
        sys.exit(1)
    click.echo(f"The audit trail is intact: {checked} entries.")
