"""Sources and consent: which pseudonymous source a submission comes from, and what the source agreed to.

A reviewer reads the consent answers in the decrypted testimony and records them here in the clear, so that
the server can filter exports by them (the server cannot read testimony). A source is known only by a
reference (``W-0001``, ``W-0002`` … given in order); several submissions of one source share it, so that
they count once as corroboration. A source who withdrew consent on any submission blocks every export of
all of the source's submissions (DESIGN.md section 4).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.answers import CONSENTS
from core.models import Submission
from reviewer.models import User
from reviewer.records.models import Source, SubmissionSource
from reviewer.records.vocab import PURPOSES

#: The consent scopes, as the intake form asks them (core/answers.py ``consent_*``), with their titles.
SCOPES = {name: title for name, (title, _text) in CONSENTS.items()}

_REF = re.compile(r"[Ww]-?(\d{1,6})")


class SourceError(ValueError):
    """A source or consent change that is refused; ``code`` names the rule (a key of :data:`ERRORS`)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


ERRORS = {
    "bad_ref": _l("A source reference looks like W-0042."),
    "unknown_ref": _l("No source has this reference. Leave it empty to give the source a new one."),
    "withdrawn": _l(
        "This submission's source withdrew consent: the submission can be attributed to a source, but no "
        "consent can be recorded for it."
    ),
}


def format_ref(number: int) -> str:
    """The reference of the ``number``-th source: ``W-0001``."""
    return f"W-{number:04d}"


def parse_ref(text: str) -> str:
    """The canonical form of a typed reference (``w-42``, ``W42`` → ``W-0042``).

    Raises :class:`SourceError`."""
    match = _REF.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise SourceError("bad_ref")
    return format_ref(int(match.group(1)))


def new_source(session: Session) -> Source:
    """A source with the next reference in order (the caller's transaction; the unique reference makes a
    concurrent second one fail rather than share it)."""
    # References sort by length, then text: W-10000 comes after W-9999.
    last = session.scalars(
        select(Source.ref).order_by(func.length(Source.ref).desc(), Source.ref.desc()).limit(1)
    ).first()
    match = _REF.fullmatch(last or "")
    source = Source(ref=format_ref(int(match.group(1)) + 1 if match else 1))
    session.add(source)
    session.flush()
    return source


def source_of(session: Session, submission_id: str) -> tuple[SubmissionSource, Source] | None:
    """The submission's recorded source and consent, or ``None`` when not recorded yet."""
    row = session.execute(
        select(SubmissionSource, Source)
        .join(Source, Source.id == SubmissionSource.source_id)
        .where(SubmissionSource.submission_id == submission_id)
    ).first()
    return (row[0], row[1]) if row else None


def refs_of(session: Session, submission_ids: Collection[str]) -> dict[str, str]:
    """The source reference of each submission that has one."""
    if not submission_ids:
        return {}
    rows = session.execute(
        select(SubmissionSource.submission_id, Source.ref)
        .join(Source, Source.id == SubmissionSource.source_id)
        .where(SubmissionSource.submission_id.in_(list(submission_ids)))
    )
    return {submission_id: ref for submission_id, ref in rows}


def submissions_of(session: Session, source_id: int) -> list[Submission]:
    """Every submission attributed to the source, oldest first."""
    return list(
        session.scalars(
            select(Submission)
            .join(SubmissionSource, SubmissionSource.submission_id == Submission.id)
            .where(SubmissionSource.source_id == source_id)
            .order_by(Submission.received_on, Submission.id)
        )
    )


def record_source(
    session: Session,
    actor: User,
    submission: Submission,
    *,
    ref: str | None,
    consents: Mapping[str, bool],
) -> SubmissionSource:
    """Attribute ``submission`` to the source ``ref`` (``None`` or empty: a new source) and record the consent
    scopes it gave (a name of :data:`SCOPES` missing from ``consents`` is not given). Audited as
    ``source.record`` with the reference and the fields that changed. Raises :class:`SourceError`."""
    given = {scope: bool(consents.get(scope)) for scope in SCOPES}
    if submission.state == "withdrawn" and any(given.values()):
        raise SourceError("withdrawn")
    if ref and ref.strip():
        canonical = parse_ref(ref)
        source = session.scalars(select(Source).where(Source.ref == canonical)).first()
        if source is None:
            raise SourceError("unknown_ref")
    else:
        source = new_source(session)
    row = session.get(SubmissionSource, submission.id)
    created = row is None
    if row is None:
        row = SubmissionSource(submission_id=submission.id, recorded_by_id=actor.id)
        session.add(row)
        changed = ["source", *sorted(scope for scope, value in given.items() if value)]
    else:
        changed = ["source"] if row.source_id != source.id else []
        changed += sorted(scope for scope, value in given.items() if getattr(row, scope) != value)
    row.source_id = source.id
    for scope, value in given.items():
        setattr(row, scope, value)
    row.recorded_by_id = actor.id
    session.flush()
    audit.record(
        session,
        actor,
        "source.record",
        f"submission:{submission.id}",
        source=source.ref,
        created=created,
        changed=changed,
        consent=sorted(scope for scope, value in given.items() if value),
    )
    return row


def withdrawn_sources(session: Session) -> set[int]:
    """The sources with at least one withdrawn submission, kept or since deleted: nothing of theirs may be
    exported."""
    withdrawn = set(
        session.scalars(
            select(SubmissionSource.source_id)
            .join(Submission, Submission.id == SubmissionSource.submission_id)
            .where(Submission.state == "withdrawn")
            .distinct()
        )
    )
    return withdrawn | set(session.scalars(select(Source.id).where(Source.withdrew_on.is_not(None))))


def consent_covers(session: Session, submission_ids: Collection[str], purpose: str) -> set[str]:
    """The submissions among ``submission_ids`` that may go into an export for ``purpose`` (a key of
    vocab.PURPOSES): the source is recorded, gave the purpose's consent scope, withdrew nothing, and has not
    since said no to that scope on the status page (core/source_choices.py)."""
    if not submission_ids:
        return set()
    scope_name = PURPOSES[purpose][1]
    scope = getattr(SubmissionSource, scope_name)
    rows = session.execute(
        select(SubmissionSource.submission_id, SubmissionSource.source_id, Submission.source_consent)
        .join(Submission, Submission.id == SubmissionSource.submission_id)
        .where(
            SubmissionSource.submission_id.in_(list(submission_ids)),
            scope.is_(True),
            Submission.state != "withdrawn",
        )
    ).all()
    blocked = withdrawn_sources(session) if rows else set()
    return {
        submission_id
        for submission_id, source_id, source_consent in rows
        if source_id not in blocked and _source_allows(source_consent, scope_name)
    }


def _source_allows(source_consent: str | None, scope_name: str) -> bool:
    # A "no" the source set later on the status page wins over what a reviewer recorded before.
    return source_consent is None or bool(json.loads(source_consent).get(scope_name))
