"""The conversation with the source: the source's key and receipt scheme, reviewer messages, the source's
choices (consent, deletion request), reply templates, and counters shared by every host.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Plain column additions (SQLite adds columns in place); server defaults fill the existing rows: every
    # receipt stored so far is a legacy one (FORMAT.md 6.3), and everything stored so far is the source's.
    op.add_column(
        "submissions", sa.Column("receipt_scheme", sa.SmallInteger(), nullable=False, server_default="1")
    )
    op.add_column("submissions", sa.Column("source_public_key", sa.String(length=64), nullable=True))
    op.add_column("submissions", sa.Column("source_seen", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("submissions", sa.Column("source_consent", sa.Text(), nullable=True))
    op.add_column("submissions", sa.Column("source_consent_on", sa.Date(), nullable=True))
    op.add_column("submissions", sa.Column("deletion_requested_on", sa.Date(), nullable=True))
    op.create_index("ix_submissions_receipt_scheme", "submissions", ["receipt_scheme"], unique=False)
    op.create_index(
        "ix_submissions_deletion_requested_on", "submissions", ["deletion_requested_on"], unique=False
    )
    op.add_column(
        "envelopes", sa.Column("kind", sa.String(length=10), nullable=False, server_default="source")
    )
    op.create_table(
        "reply_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text_ko", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_templates")),
    )
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("minute", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", "minute", name=op.f("pk_counters")),
    )


def downgrade() -> None:
    op.drop_table("counters")
    op.drop_table("reply_templates")
    with op.batch_alter_table("envelopes") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_index("ix_submissions_deletion_requested_on")
        batch.drop_index("ix_submissions_receipt_scheme")
        batch.drop_column("deletion_requested_on")
        batch.drop_column("source_consent_on")
        batch.drop_column("source_consent")
        batch.drop_column("source_seen")
        batch.drop_column("source_public_key")
        batch.drop_column("receipt_scheme")
