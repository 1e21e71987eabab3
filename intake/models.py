"""Database models of the intake core: the reviewers' public keys testimony is sealed to, and submissions.

Schema changes go through a migration in ``intake/migrations/versions/``; a test checks the two agree.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

from sqlalchemy import JSON, BigInteger, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base, UTCDateTime


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _utc_today() -> date:
    return datetime.now(UTC).date()


def _submission_id() -> str:
    return secrets.token_urlsafe(16)


class Recipient(Base):
    """A vetted reviewer's public key: every new submission is sealed to each recipient not revoked."""

    __tablename__ = "recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: The printable ``sori-pk1-...`` text (crypto/FORMAT.md 1.3).
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    #: Hex of the 8-byte key id that names this key in envelope stanzas.
    key_id: Mapped[str] = mapped_column(String(16), index=True)
    #: The six groups of digits people compare aloud when the key is vetted.
    fingerprint: Mapped[str] = mapped_column(String(35))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Submission(Base):
    """One envelope received from a source, stored in the blob store; the row holds no plaintext.

    The id is random so that it reveals neither the order nor the number of submissions; the day of
    receipt is kept, never the time, so that logs of network traffic cannot be matched to a submission.
    """

    __tablename__ = "submissions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_submission_id)
    received_on: Mapped[date] = mapped_column(Date, default=_utc_today)
    blob_id: Mapped[str] = mapped_column(String(64), unique=True)
    ciphertext_size: Mapped[int] = mapped_column(BigInteger)
    #: Hex key ids of the recipients the envelope was sealed to, as a JSON list.
    recipient_key_ids: Mapped[list[str]] = mapped_column(JSON)
