"""Database models of the core: recipient keys, submissions and their envelopes, instance settings and the
audit trail: the tables both the source side and the reviewer side meet on.

Schema changes go through a migration in ``core/migrations/versions/``; a test checks the two agree.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _utc_today() -> date:
    return datetime.now(UTC).date()


#: The receipt scheme of every submission stored now (Submission.receipt_scheme).
RECEIPT_SCHEME = 2


def new_id() -> str:
    """A random id that reveals neither order nor count (128 bits, URL-safe)."""
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
    """One source's account: a first envelope and any the source added with the same receipt.

    The id is random so that it reveals neither the order nor the number of submissions; the day of
    receipt is kept, never the time, so that logs of network traffic cannot be matched to a submission.
    Of the receipt only a hash of its lookup key is kept, and the source's public key, to which reviewers
    seal what they write back (crypto/FORMAT.md section 6).
    """

    __tablename__ = "submissions"
    # The reviewers' inbox: newest first, often within one state.
    __table_args__ = (Index("ix_submissions_state_received_on_id", "state", "received_on", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    received_on: Mapped[date] = mapped_column(Date, default=_utc_today, index=True)
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: How ``receipt_hash`` was made: 2, SHA-256 of the lookup key; 1, SHA-256 of the receipt secret (issued
    #: before the lookup key existed, upgraded when the source comes back; FORMAT.md 6.3).
    receipt_scheme: Mapped[int] = mapped_column(
        SmallInteger, default=RECEIPT_SCHEME, server_default="1", index=True
    )
    #: The source's printable public key (FORMAT.md 1.3, 6.1); none until a legacy source comes back.
    source_public_key: Mapped[str | None] = mapped_column(String(64))
    #: The triage state (DESIGN.md section 4); sources see only ``source_status``.
    state: Mapped[str] = mapped_column(String(20), default="new", index=True)
    #: The highest envelope sequence the source has seen on the status page: what comes after is new.
    source_seen: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: The consent scopes the source last set on the status page, as JSON {scope: true|false}, and when.
    #: A "no" here overrides what reviewers recorded at once; a "yes" waits for a reviewer to record it.
    source_consent: Mapped[str | None] = mapped_column(Text)
    source_consent_on: Mapped[date | None] = mapped_column(Date)
    #: The day the source asked for the testimony to be deleted (reviewers decide; see docs/retention.md).
    deletion_requested_on: Mapped[date | None] = mapped_column(Date, index=True)
    envelopes: Mapped[list[Envelope]] = relationship(
        back_populates="submission", order_by="Envelope.sequence", cascade="all, delete-orphan"
    )

    @property
    def source_status(self) -> str:
        """What the source is told: ``received``, ``in_review`` or ``reviewed``, nothing finer."""
        if self.state == "new":
            return "received"
        if self.state in ("in_review", "needs_follow_up"):
            return "in_review"
        return "reviewed"


class Envelope(Base):
    """One envelope of a submission (crypto/FORMAT.md); the row holds no plaintext.

    The envelope's bytes are either in the blob store (``blob_id``) or, for a small one, in the row itself
    (``ciphertext``): then one database commit makes it durable, which is most of a submission's cost.
    """

    __tablename__ = "envelopes"
    __table_args__ = (CheckConstraint("(blob_id IS NULL) <> (ciphertext IS NULL)", name="one_place"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    #: Order within the submission: 1 for the first account, then each addition.
    sequence: Mapped[int] = mapped_column(Integer, default=1)
    received_on: Mapped[date] = mapped_column(Date, default=_utc_today)
    blob_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    ciphertext_size: Mapped[int] = mapped_column(BigInteger)
    #: Hex key ids of the recipients the envelope was sealed to, as a JSON list.
    recipient_key_ids: Mapped[str] = mapped_column(Text)
    #: ``browser`` (encrypted by the source's browser) or ``server`` (sealed in memory as it streamed in).
    path: Mapped[str] = mapped_column(String(10))
    #: Who wrote it: ``source`` (the account and what the source added) or ``reviewer`` (a question or reply
    #: to the source, sealed to the source's key and the reviewers' keys).
    kind: Mapped[str] = mapped_column(String(10), default="source", server_default="source")
    submission: Mapped[Submission] = relationship(back_populates="envelopes")


class Setting(Base):
    """A value of this Sori instance shared by every host, such as the receipt salt."""

    __tablename__ = "settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    """One entry of the append-only, hash-chained audit trail (core/audit.py): who did what, when.
    Never an IP address, never testimony."""

    __tablename__ = "audit_log"

    #: Position in the chain, from 1 without gaps.
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The login of who acted, or "-" for the system and sources.
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50), index=True)
    #: What was acted on, e.g. "submission:<id>" or "user:<login>".
    subject: Mapped[str] = mapped_column(String(300))
    #: Details as canonical JSON.
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class SpentNonce(Base):
    """A source form posted once (core/form_nonces.py): its nonce cannot be posted again."""

    __tablename__ = "spent_nonces"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The day it was spent, so that old nonces can be forgotten; never the time.
    spent_on: Mapped[date] = mapped_column(Date, index=True)


class ReplyTemplate(Base):
    """A reply an admin wrote once for reviewers to start from (for example "can you tell us roughly when
    this happened?"), in Korean and English; the reviewer's browser inserts it before sealing."""

    __tablename__ = "reply_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    text_ko: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)


class Counter(Base):
    """A count shared by every host and worker for one minute (core/counters.py), such as wrong receipts."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: The minute counted, as whole minutes since 1970 (UTC).
    minute: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer, default=0)


class AuditTally(Base):
    """Refusals of one kind on one subject within one minute, counted (:func:`core.audit.tally`) until the
    minute is over and the count becomes one entry of the trail: so that a flood of logins for
    unknown or locked accounts cannot grow the trail without bound."""

    __tablename__ = "audit_tallies"
    __table_args__ = (UniqueConstraint("minute", "action", "subject", "details"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The minute counted, from its first second (UTC).
    minute: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    action: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(300))
    #: The details shared by every event counted, as canonical JSON.
    details: Mapped[str] = mapped_column(String(500))
    count: Mapped[int] = mapped_column(Integer)


class StoredBlob(Base):
    """A blob kept in the database (``SORI_BLOB_STORE=database``, core/blobs_in_database.py): its bytes are
    the :class:`BlobChunk` rows that name it, in order. No time is kept of a stored blob."""

    __tablename__ = "blobs"

    #: 32 lowercase hex characters, as in the file store.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: ``stored`` (complete: an envelope row names it, or will in the same commit) or ``upload`` (an upload
    #: in pieces still coming in, intake/uploads.py).
    state: Mapped[str] = mapped_column(String(10), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    #: Of an upload only: the size announced at its start, and the minute (since 1970, UTC) it last took a
    #: piece, so that abandoned uploads can be found; both cleared when it becomes a stored blob.
    announced: Mapped[int | None] = mapped_column(BigInteger)
    touched: Mapped[int | None] = mapped_column(BigInteger)


class BlobChunk(Base):
    """One piece of a blob kept in the database, about 1 MiB (ciphertext only)."""

    __tablename__ = "blob_chunks"

    blob_id: Mapped[str] = mapped_column(ForeignKey("blobs.id"), primary_key=True)
    #: The chunk's place in the blob, from 0 without gaps.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class DeletedReceipt(Base):
    """What is left of a deleted submission's receipt (core/tombstones.py): a one-way digest of the hash the
    submission's row kept, and the day of the deletion. It opens nothing; it lets a source who comes back
    with the receipt learn that the testimony was deleted, and when, until the notice expires."""

    __tablename__ = "deleted_receipts"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    deleted_on: Mapped[date] = mapped_column(Date, index=True)


class BlobRemoval(Base):
    """The file of a deleted envelope, still to be removed from the blob store (core/erasure.py): recorded in
    the transaction that deletes the envelope's row, dropped once the file is gone, so that a crash in
    between leaves a list of what to finish rather than a file nobody knows about."""

    __tablename__ = "blob_removals"

    blob_id: Mapped[str] = mapped_column(String(64), primary_key=True)
