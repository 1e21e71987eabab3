"""Record origins: the ``sori_id`` an imported record carried (issue 19).

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "record_origins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("sori_id", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_origins")),
        sa.UniqueConstraint("kind", "record_id", name=op.f("uq_record_origins_kind_record_id")),
        sa.UniqueConstraint("sori_id", name=op.f("uq_record_origins_sori_id")),
    )


def downgrade() -> None:
    op.drop_table("record_origins")
