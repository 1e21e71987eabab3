"""Which dossiers cited a submission, from the audit trail: exports already made are never recalled, so when
a source is deleted (docs/retention.md) the case team must be told which dossiers relied on it. Every
``export.dossier`` entry lists the ids of the submissions the dossier relied on; the dossier's manifest
lists the digests of their envelopes, which is what the case team holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import AuditEntry

ACTION = "export.dossier"


@dataclass(frozen=True)
class Citation:
    """One export that relied on the submission: its audit entry, when, by whom, on what, for what."""

    seq: int
    at: datetime
    actor: str
    target: str
    purpose: str
    manifest_sha256: str


def dossiers_citing(session: Session, submission_id: str) -> list[Citation]:
    """Every dossier export that relied on ``submission_id``, oldest first."""
    # A coarse filter in SQL (the id as a JSON string anywhere in the details), then the exact test.
    pattern = '%"' + _escape_like(submission_id) + '"%'
    query = (
        select(AuditEntry)
        .where(AuditEntry.action == ACTION, AuditEntry.details.like(pattern, escape="\\"))
        .order_by(AuditEntry.seq)
    )
    found = []
    for entry in session.scalars(query):
        details = json.loads(entry.details)
        if submission_id in details.get("submissions", ()):
            found.append(
                Citation(
                    entry.seq,
                    entry.at,
                    entry.actor,
                    entry.subject,
                    str(details.get("purpose", "")),
                    str(details.get("manifest_sha256", "")),
                )
            )
    return found


def unrecorded_exports(session: Session) -> int:
    """How many dossier exports were made before their audit entries listed the submissions relied on:
    those cannot be told apart."""
    query = select(func.count()).where(
        AuditEntry.action == ACTION, AuditEntry.details.not_like('%"submissions":%')
    )
    return session.scalar(query) or 0


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
