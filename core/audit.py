"""The audit trail: an append-only, hash-chained record of every sensitive act, and its verification.

Each entry's hash covers its own fields and the previous entry's hash, so an entry altered, removed or
moved breaks the chain from that point on; ``sori audit verify`` walks it and names the first bad entry.
Entries say who did what to what, and when; never an IP address, never testimony.

:func:`record` adds an entry to the caller's transaction, so the act and its record commit together.
Appends are serialised for the rest of that transaction, on PostgreSQL by an advisory lock and on SQLite
by taking the database's write lock before the last entry is read, so that two requests at once never
claim one position (which failed reviewers' requests under load, issue 18). Callers commit soon after.

Refusals that anyone can cause without limit (logins for unknown or locked accounts) are not appended one
by one: :func:`tally` counts them per subject and minute, and once the minute is over the count becomes
one entry (``count`` and ``minute`` in its details), written before the next entry of any kind, or by
``sori audit verify``. A flood thus adds at most one entry per subject, reason and minute.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import click
from flask.cli import with_appcontext
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core import db
from core.models import AuditEntry, AuditTally

GENESIS = "0" * 64


class Actor(Protocol):
    """Whoever acts: anything with a login (a reviewer's account)."""

    login: str


#: Entries read at once while verifying, so memory stays flat on a long trail.
_BATCH = 1000


def record(session: Session, actor: Actor | None, action: str, subject: str, **details: Any) -> AuditEntry:
    """Append an entry to the trail in ``session``'s transaction (the caller commits, soon: appends wait
    for it). Tallies of minutes that are over are written first, so the trail stays in time order."""
    _lock(session)
    _close_tallies(session)
    return _append(session, actor.login if actor is not None else "-", action, subject, _canonical(details))


def tally(session: Session, action: str, subject: str, **details: Any) -> None:
    """Count one event of ``action`` on ``subject`` with these ``details`` in the current minute, in
    ``session``'s transaction (the caller commits). Never an IP address or anything else of the client."""
    values = {"minute": _this_minute(), "action": action, "subject": subject, "details": _canonical(details)}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(AuditTally).values(count=1, **values)
    session.execute(
        upsert.on_conflict_do_update(
            index_elements=["minute", "action", "subject", "details"],
            set_={"count": AuditTally.count + 1},
        )
    )


def close_tallies(session: Session) -> int:
    """Write the tallies of every minute that is over as entries (the caller commits); how many."""
    if session.scalar(select(AuditTally.id).where(AuditTally.minute < _this_minute()).limit(1)) is None:
        return 0
    _lock(session)
    return _close_tallies(session)


def lock(session: Session) -> None:
    """Take the right to append now, before reading what the transaction will act on and record: until it
    ends, no other writer that records (every request that changes something sensitive) can change it."""
    _lock(session)


def _lock(session: Session) -> None:
    """Hold the right to append until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(5143)"))
        return
    connection = session.connection()
    # pysqlite opens a transaction only before a write, and that write took the database's write lock:
    # inside one, no other connection can be appending. Otherwise take the lock now, before reading.
    if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _close_tallies(session: Session) -> int:
    closed = list(
        session.scalars(
            select(AuditTally)
            .where(AuditTally.minute < _this_minute())
            .order_by(AuditTally.minute, AuditTally.id)
        )
    )
    for counted in closed:
        details = {**json.loads(counted.details), "count": counted.count, "minute": counted.minute}
        _append(session, "-", counted.action, counted.subject, _canonical(details))
    if closed:
        session.execute(delete(AuditTally).where(AuditTally.id.in_([c.id for c in closed])))
    return len(closed)


def now() -> datetime:
    """The current moment (UTC); tests replace it to close a minute's tallies."""
    return datetime.now(UTC)


def _this_minute() -> datetime:
    return now().replace(second=0, microsecond=0)


def record_many(
    session: Session, actor: Actor | None, entries: Sequence[tuple[str, str, Mapping[str, Any]]]
) -> None:
    """Append several entries (action, subject, details), in order, by one actor, in ``session``'s
    transaction: one lock, one read of the trail's end and one insert, for a job that records thousands
    (a retention run's deletions)."""
    _lock(session)
    _close_tallies(session)
    login = actor.login if actor is not None else "-"
    seq, prev_hash = _end(session)
    rows = []
    for action, subject, details in entries:
        entry = _entry(seq + 1, prev_hash, login, action, subject, _canonical(dict(details)))
        rows.append({column: getattr(entry, column) for column in _COLUMNS})
        seq, prev_hash = entry.seq, entry.hash
    if rows:
        session.execute(insert(AuditEntry), rows)


_COLUMNS = ("seq", "at", "actor", "action", "subject", "details", "prev_hash", "hash")


def _end(session: Session) -> tuple[int, str]:
    """The position and hash of the trail's last entry (0 and the genesis hash for an empty trail)."""
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (last.seq, last.hash) if last else (0, GENESIS)


def _entry(seq: int, prev_hash: str, actor: str, action: str, subject: str, details: str) -> AuditEntry:
    entry = AuditEntry(
        seq=seq,
        at=now().replace(microsecond=0),
        actor=actor,
        action=action,
        subject=subject,
        details=details,
        prev_hash=prev_hash,
    )
    entry.hash = entry_hash(entry)
    return entry


def _append(session: Session, actor: str, action: str, subject: str, details: str) -> AuditEntry:
    seq, prev_hash = _end(session)
    entry = _entry(seq + 1, prev_hash, actor, action, subject, details)
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
    session = db.session()
    if close_tallies(session):  # counts of minutes that are over belong in the trail
        session.commit()
    checked, broken = verify(session)
    if broken is not None:
        click.echo(f"The audit trail is broken at entry {broken.seq}: {broken.reason}.", err=True)
        click.echo(f"{checked} entries before it are intact.", err=True)
        sys.exit(1)
    click.echo(f"The audit trail is intact: {checked} entries.")
