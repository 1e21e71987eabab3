"""Retention and deletion: deletion notices for receipts, blob files waiting for removal, reviewers'
retention decisions (deletion proposed, legal hold, kept), information links that outlive a deleted
submission, and withdrawals that outlive one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "deleted_receipts",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("deleted_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_deleted_receipts")),
    )
    op.create_index(op.f("ix_deleted_receipts_deleted_on"), "deleted_receipts", ["deleted_on"], unique=False)
    op.create_table(
        "blob_removals",
        sa.Column("blob_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("blob_id", name=op.f("pk_blob_removals")),
    )
    op.create_table(
        "submission_retention",
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("delete_proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("delete_proposed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hold_by_id", sa.Integer(), nullable=True),
        sa.Column("hold_since", sa.Date(), nullable=True),
        sa.Column("hold_reason", sa.String(length=500), nullable=True),
        sa.Column("kept_by_id", sa.Integer(), nullable=True),
        sa.Column("kept_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["delete_proposed_by_id"],
            ["users.id"],
            name=op.f("fk_submission_retention_delete_proposed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["hold_by_id"], ["users.id"], name=op.f("fk_submission_retention_hold_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["kept_by_id"], ["users.id"], name=op.f("fk_submission_retention_kept_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_retention_submission_id_submissions"),
        ),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_submission_retention")),
    )
    op.create_index(
        op.f("ix_submission_retention_hold_since"), "submission_retention", ["hold_since"], unique=False
    )
    op.add_column("sources", sa.Column("withdrew_on", sa.Date(), nullable=True))
    # SQLite cannot drop NOT NULL in place: the batch copies the table (its check constraint included).
    with op.batch_alter_table("information") as batch:
        batch.add_column(sa.Column("source_deleted_on", sa.Date(), nullable=True))
        batch.alter_column("submission_id", existing_type=sa.String(length=32), nullable=True)


def downgrade() -> None:
    # Links whose submission was deleted cannot be kept by a schema that requires one.
    op.execute(sa.text("DELETE FROM information WHERE submission_id IS NULL"))
    with op.batch_alter_table("information") as batch:
        batch.alter_column("submission_id", existing_type=sa.String(length=32), nullable=False)
        batch.drop_column("source_deleted_on")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("withdrew_on")
    op.drop_index(op.f("ix_submission_retention_hold_since"), table_name="submission_retention")
    op.drop_table("submission_retention")
    op.drop_table("blob_removals")
    op.drop_index(op.f("ix_deleted_receipts_deleted_on"), table_name="deleted_receipts")
    op.drop_table("deleted_receipts")
