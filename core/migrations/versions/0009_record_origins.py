"""Record origins: the ``sori_id`` an imported record carried, and this instance's tag (issue 19).

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

#: The settings row that names this instance in every ``sori_id`` it writes (reviewer/records/origins.py).
INSTANCE_SETTING = "records.instance"


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
    settings = sa.table("settings", sa.column("name", sa.String), sa.column("value", sa.Text))
    op.bulk_insert(settings, [{"name": INSTANCE_SETTING, "value": secrets.token_hex(4)}])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM settings WHERE name = :name").bindparams(name=INSTANCE_SETTING))
    op.drop_table("record_origins")
