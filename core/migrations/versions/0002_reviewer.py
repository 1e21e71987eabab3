"""Reviewer side: accounts, reviewer keys and grants, tags, notes, triage, the audit trail.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"], unique=False)
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("name", name=op.f("uq_tags_name")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("is_reviewer", sa.Boolean(), nullable=False),
        sa.Column("is_case_team", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("invite_hash", sa.String(length=64), nullable=True),
        sa.Column("invite_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("throttled_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("invite_hash", name=op.f("uq_users_invite_hash")),
        sa.UniqueConstraint("login", name=op.f("uq_users_login")),
    )
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("recipient_key_ids", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_notes_author_id_users")),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_notes_submission_id_submissions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    op.create_index(op.f("ix_notes_submission_id"), "notes", ["submission_id"], unique=False)
    op.create_table(
        "reviewer_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=35), nullable=False),
        sa.Column("wrapped_identity", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("vetted_by_id", sa.Integer(), nullable=True),
        sa.Column("vetted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["recipients.id"], name=op.f("fk_reviewer_keys_recipient_id_recipients")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_reviewer_keys_user_id_users")),
        sa.ForeignKeyConstraint(
            ["vetted_by_id"], ["users.id"], name=op.f("fk_reviewer_keys_vetted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewer_keys")),
        sa.UniqueConstraint("public_key", name=op.f("uq_reviewer_keys_public_key")),
        sa.UniqueConstraint("recipient_id", name=op.f("uq_reviewer_keys_recipient_id")),
    )
    op.create_index(op.f("ix_reviewer_keys_user_id"), "reviewer_keys", ["user_id"], unique=False)
    op.create_table(
        "submission_tags",
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_submission_tags_submission_id_submissions")
        ),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_submission_tags_tag_id_tags")),
        sa.PrimaryKeyConstraint("submission_id", "tag_id", name=op.f("pk_submission_tags")),
    )
    op.create_index(op.f("ix_submission_tags_tag_id"), "submission_tags", ["tag_id"], unique=False)
    op.create_table(
        "triage",
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("verify_proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_of_id", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], name=op.f("fk_triage_assignee_id_users")),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"], ["submissions.id"], name=op.f("fk_triage_duplicate_of_id_submissions")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_triage_submission_id_submissions")
        ),
        sa.ForeignKeyConstraint(
            ["verify_proposed_by_id"], ["users.id"], name=op.f("fk_triage_verify_proposed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_triage")),
    )
    op.create_index(op.f("ix_triage_assignee_id"), "triage", ["assignee_id"], unique=False)
    op.create_table(
        "key_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("envelope_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["envelope_id"], ["envelopes.id"], name=op.f("fk_key_grants_envelope_id_envelopes")
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"], ["users.id"], name=op.f("fk_key_grants_granted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["recipients.id"], name=op.f("fk_key_grants_recipient_id_recipients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_grants")),
        sa.UniqueConstraint(
            "envelope_id", "recipient_id", name=op.f("uq_key_grants_envelope_id_recipient_id")
        ),
    )
    op.create_index(op.f("ix_key_grants_envelope_id"), "key_grants", ["envelope_id"], unique=False)
    op.create_index(op.f("ix_key_grants_recipient_id"), "key_grants", ["recipient_id"], unique=False)
    # The inbox lists submissions newest first, by state.
    op.create_index(op.f("ix_submissions_received_on"), "submissions", ["received_on"], unique=False)
    op.create_index(
        "ix_submissions_state_received_on_id", "submissions", ["state", "received_on", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_submissions_state_received_on_id", table_name="submissions")
    op.drop_index(op.f("ix_submissions_received_on"), table_name="submissions")
    op.drop_index(op.f("ix_key_grants_recipient_id"), table_name="key_grants")
    op.drop_index(op.f("ix_key_grants_envelope_id"), table_name="key_grants")
    op.drop_table("key_grants")
    op.drop_index(op.f("ix_triage_assignee_id"), table_name="triage")
    op.drop_table("triage")
    op.drop_index(op.f("ix_submission_tags_tag_id"), table_name="submission_tags")
    op.drop_table("submission_tags")
    op.drop_index(op.f("ix_reviewer_keys_user_id"), table_name="reviewer_keys")
    op.drop_table("reviewer_keys")
    op.drop_index(op.f("ix_notes_submission_id"), table_name="notes")
    op.drop_table("notes")
    op.drop_table("users")
    op.drop_table("tags")
    op.drop_index(op.f("ix_audit_log_action"), table_name="audit_log")
    op.drop_table("audit_log")
