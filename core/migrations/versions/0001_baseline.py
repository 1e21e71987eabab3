"""Baseline: recipients (reviewers' public keys), submissions, their envelopes, and instance settings.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("fingerprint", sa.String(length=35), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipients")),
        sa.UniqueConstraint("name", name=op.f("uq_recipients_name")),
        sa.UniqueConstraint("public_key", name=op.f("uq_recipients_public_key")),
    )
    op.create_index(op.f("ix_recipients_key_id"), "recipients", ["key_id"], unique=False)
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("receipt_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("receipt_hash", name=op.f("uq_submissions_receipt_hash")),
    )
    op.create_index(op.f("ix_submissions_state"), "submissions", ["state"], unique=False)
    op.create_table(
        "envelopes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("blob_id", sa.String(length=64), nullable=True),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("ciphertext_size", sa.BigInteger(), nullable=False),
        sa.Column("recipient_key_ids", sa.Text(), nullable=False),
        sa.Column("path", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_envelopes_submission_id_submissions")
        ),
        sa.CheckConstraint("(blob_id IS NULL) <> (ciphertext IS NULL)", name=op.f("ck_envelopes_one_place")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_envelopes")),
        sa.UniqueConstraint("blob_id", name=op.f("uq_envelopes_blob_id")),
    )
    op.create_index(op.f("ix_envelopes_submission_id"), "envelopes", ["submission_id"], unique=False)
    op.create_table(
        "settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_settings")),
    )


def downgrade() -> None:
    op.drop_table("settings")
    op.drop_index(op.f("ix_envelopes_submission_id"), table_name="envelopes")
    op.drop_table("envelopes")
    op.drop_index(op.f("ix_submissions_state"), table_name="submissions")
    op.drop_table("submissions")
    op.drop_index(op.f("ix_recipients_key_id"), table_name="recipients")
    op.drop_table("recipients")
