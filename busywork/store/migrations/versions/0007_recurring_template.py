"""recurring templates, and payments against bills

Revision ID: 0007
Revises: 0001
Create Date: 2026-11-23 03:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recurring_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("source_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("origin", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("document", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
        sa.Column("counterparty_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column(
            "counterparty_name", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True
        ),
        sa.Column("accounts", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True),
        sa.Column("schedule", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("cadence_unit", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("cadence_every", sa.Integer(), nullable=True),
        sa.Column("next_on", sa.Date(), nullable=True),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4, asdecimal=False), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("business", "source", "source_id", name="uq_recurring_template_key"),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("bill_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True)
        )
        batch_op.add_column(
            sa.Column("vendor_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_column("vendor_id")
        batch_op.drop_column("bill_id")
    op.drop_table("recurring_template")
