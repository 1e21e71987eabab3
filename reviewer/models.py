"""Database models of the reviewer side: accounts, key grants, and triage (tags, notes, assignment).
Submissions, envelopes, recipient keys and the audit trail are the core's (core/models.py).

Schema changes go through a migration in ``core/migrations/versions/``; a test checks the two agree.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


def _utc_now() -> datetime:
    return datetime.now(UTC)


class User(Base):
    """A person who logs in: an admin (vets and operates), a reviewer (reads testimony), a case-team
    member (builds dossiers), or several of these. An admin who is not a reviewer reads nothing."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the person types to log in (an e-mail address or a handle), NFC-normalised.
    login: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_reviewer: Mapped[bool] = mapped_column(Boolean, default=False)
    is_case_team: Mapped[bool] = mapped_column(Boolean, default=False)
    #: argon2id in PHC form (parameters inside, so they can be raised later); NULL until the invitation is
    #: accepted.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: Base32 TOTP secret; a login needs a code from it once enrolment is confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The last TOTP time step accepted, so that a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    #: SHA-256 of the invitation token sent to the person, until they accept it.
    invite_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    #: No login before this moment (a growing delay after failed attempts).
    throttled_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Locked after too many failures, until an admin lifts it.
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Sessions carry the value they started with; raising it ends every session of the account at once
    #: (a signed session cookie cannot be revoked otherwise: logging out must also kill a stolen copy).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)


class ReviewerKey(Base):
    """A key a reviewer's browser generated at enrolment: the public key, and the private key wrapped under
    argon2id of a key passphrase the server never sees (crypto/FORMAT.md section 3). Once an admin has
    compared its fingerprint with the reviewer and vetted it, it becomes a recipient (``recipient_id``)
    and new testimony is sealed to it; revoking that recipient stops it at once."""

    __tablename__ = "reviewer_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(35))
    #: The identity file: only the reviewer's key passphrase opens it.
    wrapped_identity: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipients.id"), unique=True)
    vetted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    vetted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class KeyGrant(Base):
    """An envelope's file key sealed to a recipient after the fact: a vetted reviewer's browser unwrapped
    it and sealed it to a colleague vetted later. Neither the key nor any plaintext reached the server."""

    __tablename__ = "key_grants"
    __table_args__ = (UniqueConstraint("envelope_id", "recipient_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[int] = mapped_column(ForeignKey("envelopes.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id"), index=True)
    #: crypto_box_seal(file_key, recipient's public key): 80 bytes.
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)


class Tag(Base):
    """A label reviewers put on submissions (a place, a campaign, a language)."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class SubmissionTag(Base):
    """A tag on a submission."""

    __tablename__ = "submission_tags"

    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id"), primary_key=True, index=True)


class Note(Base):
    """A reviewer's note on a submission. Notes can be as sensitive as testimony, so each is an envelope
    sealed in the reviewer's browser to every vetted reviewer key, like a testimony."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    #: Hex key ids of the recipients the note was sealed to, as a JSON list.
    recipient_key_ids: Mapped[str] = mapped_column(Text)


class Triage(Base):
    """Where a submission stands in review, beside the state the core keeps on the submission itself:
    who it is assigned to, which reviewer proposed it as verified (a second one must confirm), and the
    original it duplicates."""

    __tablename__ = "triage"

    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), primary_key=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    verify_proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    duplicate_of_id: Mapped[str | None] = mapped_column(ForeignKey("submissions.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)
