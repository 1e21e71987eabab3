"""Blobs in the database: envelopes kept as ~1 MiB chunks when ``SORI_BLOB_STORE=database`` (issue 15).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("announced", sa.BigInteger(), nullable=True),
        sa.Column("touched", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blobs")),
    )
    op.create_index(op.f("ix_blobs_state"), "blobs", ["state"], unique=False)
    op.create_table(
        "blob_chunks",
        sa.Column("blob_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["blob_id"], ["blobs.id"], name=op.f("fk_blob_chunks_blob_id_blobs")),
        sa.PrimaryKeyConstraint("blob_id", "seq", name=op.f("pk_blob_chunks")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Ciphertext does not compress: without this PostgreSQL tries to compress every chunk, in vain.
        op.execute("ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.drop_table("blob_chunks")
    op.drop_index(op.f("ix_blobs_state"), table_name="blobs")
    op.drop_table("blobs")
