"""Spent form nonces: every source form can be posted once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "spent_nonces",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_spent_nonces")),
    )
    op.create_index(op.f("ix_spent_nonces_spent_on"), "spent_nonces", ["spent_on"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_spent_nonces_spent_on"), table_name="spent_nonces")
    op.drop_table("spent_nonces")
