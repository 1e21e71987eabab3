"""Audit tallies: refusals counted per minute before they become one audit entry (issue 18).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 01:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "audit_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("details", sa.String(length=500), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_tallies")),
        sa.UniqueConstraint(
            "minute",
            "action",
            "subject",
            "details",
            name=op.f("uq_audit_tallies_minute_action_subject_details"),
        ),
    )
    op.create_index(op.f("ix_audit_tallies_minute"), "audit_tallies", ["minute"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_tallies_minute"), table_name="audit_tallies")
    op.drop_table("audit_tallies")
