"""``sori check``: an integrity check of the database and the blob store, read-only unless asked to clean.

What is checked (each problem is one line naming what and which id or path):

- every envelope row has its envelope: the blob file is there, or the ciphertext is in the row;
- every envelope's framing holds (crypto.envelope.FramingChecker over its bytes, streamed): the header
  parses, the body is whole chunks of allowed lengths, nothing is cut; its size is the row's
  ``ciphertext_size``; the key ids in its header are the row's ``recipient_key_ids``;
- every blob file has a row (an *orphan*: a blob whose row never committed, e.g. after a crash);
- no temporary file in ``blobs/tmp/`` is older than the threshold (younger ones may be uploads in progress);
- the audit trail verifies;
- the database is at the newest migration.

With ``--clean-stale`` it also removes what is stale: old temporary files and orphan blobs, and spent form
nonces and counts past their keeping time (core/form_nonces.py, core/counters.py).

Memory stays flat: rows are read in batches, blobs are streamed, and the blob files are compared with the
rows by a merge of two sorted sequences, never a set of every id. Authenticity needs a reviewer's key and
is not checked here (``sori decrypt`` does it).
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, counters, form_nonces, migrate
from core.blobstore import BlobStore
from core.models import Envelope
from crypto.envelope import CHUNK
from crypto.errors import CryptoError
from crypto.framing import FramingChecker

#: Envelope rows read at once; inline envelopes are at most 256 KiB each, so a batch stays small.
BATCH = 100
#: Default age after which a file in ``blobs/tmp/`` or an orphan blob counts as stale.
DEFAULT_MAX_AGE_HOURS = 24.0


@dataclass(frozen=True)
class Problem:
    """One finding: a short kind (stable, for scripts), what it concerns, and what is wrong."""

    kind: str
    subject: str
    detail: str

    def line(self) -> str:
        return f"PROBLEM {self.kind}: {self.subject}: {self.detail}"


@dataclass
class Report:
    """What the check looked at and found."""

    envelopes: int = 0
    blobs: int = 0
    temp_files: int = 0
    audit_entries: int | None = None
    revision: str | None = None
    problems: int = 0
    removed: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.problems == 0

    def summary(self) -> str:
        audit = "not checked" if self.audit_entries is None else f"{self.audit_entries} entries"
        looked = (
            f"{self.envelopes} envelope(s), {self.blobs} blob file(s), {self.temp_files} temporary file(s), "
            f"audit trail {audit}, schema {self.revision or 'none'}"
        )
        if self.clean:
            return f"sori check: no problem found ({looked})."
        return f"sori check: {self.problems} problem(s) found ({looked})."


def run(
    session: Session,
    store: BlobStore,
    *,
    emit: Callable[[str], None],
    max_age_hours: float = DEFAULT_MAX_AGE_HOURS,
    clean_stale: bool = False,
    expected_revision: str | None = None,
) -> Report:
    """Check everything, calling ``emit`` with one line per problem (and per file removed when
    ``clean_stale``); returns the :class:`Report`. ``expected_revision`` defaults to the newest migration.

    Removed files are not counted as problems: they were the problem, and they are gone."""
    report = Report()
    max_age = max_age_hours * 3600

    def problem(kind: str, subject: str, detail: str) -> None:
        report.problems += 1
        emit(Problem(kind, subject, detail).line())

    _check_envelopes(session, store, report, problem)
    _check_orphans(session, store, report, problem, emit, max_age, clean_stale)
    _check_temp_files(store, report, problem, emit, max_age, clean_stale)
    _check_audit(session, report, problem)
    _check_revision(session, report, problem, expected_revision or migrate.head_revision())
    if clean_stale:
        forgotten = form_nonces.forget_old(session)
        counters.forget_old(session)
        session.commit()
        if forgotten:
            emit(f"forgot {forgotten} spent form nonce(s) older than {form_nonces.KEEP_DAYS} days")
    return report


def _envelope_rows(session: Session) -> Iterator[tuple[int, str | None, bytes | None, int, str]]:
    table = Envelope.__table__
    columns = (
        table.c.id,
        table.c.blob_id,
        table.c.ciphertext,
        table.c.ciphertext_size,
        table.c.recipient_key_ids,
    )
    after = None
    while True:
        query = select(*columns).order_by(table.c.id).limit(BATCH)
        if after is not None:
            query = query.where(table.c.id > after)
        rows = session.execute(query).all()
        if not rows:
            return
        yield from (tuple(row) for row in rows)  # type: ignore[misc]
        after = rows[-1][0]


def _check_envelopes(
    session: Session, store: BlobStore, report: Report, problem: Callable[..., None]
) -> None:
    for envelope_id, blob_id, ciphertext, size, key_ids_text in _envelope_rows(session):
        report.envelopes += 1
        subject = f"envelope {envelope_id}" + (f" (blob {blob_id})" if blob_id else " (in its row)")
        if blob_id is not None and ciphertext is not None:
            problem("two-places", subject, "the envelope is both in a blob and in its row")
        if blob_id is None and ciphertext is None:
            problem("missing-envelope", subject, "the row holds neither a blob id nor ciphertext")
            continue
        if blob_id is not None:
            try:
                stream = store.open(blob_id)
            except Exception:  # UnknownBlob: missing or a malformed id
                problem("missing-blob", subject, f"the blob file {_blob_path(store, blob_id)} is not there")
                continue
        else:
            stream = io.BytesIO(ciphertext)  # type: ignore[arg-type]
        checker = FramingChecker()
        try:
            with stream:
                while piece := stream.read(CHUNK):
                    checker.feed(piece)
                header = checker.finish()
        except CryptoError as exc:
            problem("bad-envelope", subject, f"its framing does not hold ({exc.code}: {exc})")
            continue
        except OSError as exc:
            problem("unreadable-blob", subject, f"the blob file cannot be read ({exc.strerror})")
            continue
        if checker.size != size:
            problem("wrong-size", subject, f"it holds {checker.size} bytes, its row says {size}")
        in_header = [key_id.hex() for key_id in header.key_ids]
        try:
            in_row = json.loads(key_ids_text)
        except ValueError:
            in_row = None
        if in_header != in_row:
            problem(
                "wrong-recipients",
                subject,
                f"its header is sealed to {','.join(in_header)}, its row says {key_ids_text}",
            )


def _row_blob_ids(session: Session) -> Iterator[str]:
    """Every blob id the envelope rows name, in sorted order, read in batches."""
    column = Envelope.__table__.c.blob_id
    after = None
    while True:
        query = select(column).where(column.is_not(None)).order_by(column).limit(1000)
        if after is not None:
            query = query.where(column > after)
        batch = list(session.execute(query).scalars())
        if not batch:
            return
        yield from batch
        after = batch[-1]


def _has_row(session: Session, blob_id: str) -> bool:
    column = Envelope.__table__.c.blob_id
    return session.execute(select(column).where(column == blob_id)).first() is not None


def _check_orphans(
    session: Session,
    store: BlobStore,
    report: Report,
    problem: Callable[..., None],
    emit: Callable[[str], None],
    max_age: float,
    clean_stale: bool,
) -> None:
    # Python compares str by code point, like the databases' C collation does for lowercase hex: the
    # ids that could be compared wrongly under another collation are re-checked one by one below.
    rows = _row_blob_ids(session)
    next_row = next(rows, None)
    cutoff = time.time() - max_age
    for blob_id in store.blob_ids():
        report.blobs += 1
        while next_row is not None and next_row < blob_id:
            next_row = next(rows, None)
        if next_row == blob_id:
            continue
        # Asked again on its own: a submission may have committed its row since the batch was read.
        if _has_row(session, blob_id):
            continue
        path = store.path(blob_id)
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            continue  # removed since the listing
        if clean_stale and mtime <= cutoff:
            path.unlink(missing_ok=True)
            report.removed.append(str(path))
            emit(f"REMOVED orphan blob {blob_id}: {path}")
            continue
        age = _age_text(time.time() - mtime)
        problem(
            "orphan-blob", f"blob {blob_id}", f"no envelope row names the file {path} (written {age} ago)"
        )


def _check_temp_files(
    store: BlobStore,
    report: Report,
    problem: Callable[..., None],
    emit: Callable[[str], None],
    max_age: float,
    clean_stale: bool,
) -> None:
    if not store.tmp.is_dir():
        return
    report.temp_files = sum(1 for _ in store.tmp.iterdir())
    for path in store.stray_temp_files(max_age):
        if clean_stale:
            try:
                if path.is_dir():
                    problem("stale-temp", str(path), "a folder in tmp/ (not removed: look at it by hand)")
                    continue
                path.unlink()
            except FileNotFoundError:
                continue
            report.removed.append(str(path))
            emit(f"REMOVED stale temporary file {path}")
            continue
        try:
            age = _age_text(time.time() - path.stat().st_mtime)
        except FileNotFoundError:
            continue
        problem(
            "stale-temp", str(path), f"a temporary file untouched for {age} (a write or upload that died)"
        )


def _check_audit(session: Session, report: Report, problem: Callable[..., None]) -> None:
    checked, broken = audit.verify(session)
    report.audit_entries = checked
    if broken is not None:
        problem(
            "audit-broken",
            f"audit entry {broken.seq}",
            f"{broken.reason} ({checked} entries before it intact)",
        )


def _check_revision(
    session: Session, report: Report, problem: Callable[..., None], expected: str | None
) -> None:
    current = MigrationContext.configure(session.connection()).get_current_revision()
    report.revision = current
    if current != expected:
        problem(
            "schema",
            "database",
            f"it is at revision {current or 'none'}, the code expects {expected}: run `sori init`",
        )


def _blob_path(store: BlobStore, blob_id: str) -> str:
    try:
        return str(store.path(blob_id))
    except Exception:
        return repr(blob_id)


def _age_text(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
