"""Database model of retention decisions on one submission: a deletion proposed (a second reviewer must
confirm it), a legal hold (nothing deletes the submission while it lasts), and a decision to keep a
submission flagged as stale.

Schema changes go through a migration in ``core/migrations/versions/``; a test checks the two agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SubmissionRetention(Base):
    """What reviewers decided about keeping one submission; the row goes with the submission when it is
    deleted (the audit trail keeps who proposed, confirmed, held and kept)."""

    __tablename__ = "submission_retention"

    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), primary_key=True)
    #: The reviewer who proposed deleting it, and when; a second, different reviewer must confirm.
    delete_proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delete_proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: A documented legal hold: who recorded it, since when, and what it is for (a case or an order, in the
    #: reviewer's words: never testimony).
    hold_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    hold_since: Mapped[date | None] = mapped_column(Date, index=True)
    hold_reason: Mapped[str | None] = mapped_column(String(500))
    #: A reviewer decided to keep it when it was flagged as stale: not flagged again for a review period.
    kept_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kept_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)
