"""frame snapshots: a business's record frames stored as columnar blobs

Revision ID: frame_snapshot
Revises: 0001
Create Date: 2026-12-04 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "frame_snapshot"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "frame_snapshot",
        sa.Column("business", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("record_kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("columns_key", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("newest_event", sa.BigInteger(), nullable=False),
        sa.Column("format_version", sa.Integer(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("written_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("business", "record_kind", "columns_key"),
    )


def downgrade() -> None:
    op.drop_table("frame_snapshot")
