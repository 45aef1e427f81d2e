"""appointment mirror_id and journal debit account: one booking across calendars, journal subjects

Revision ID: trust_entities_mirror_debit
Revises: 0001
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "trust_entities_mirror_debit"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mirror_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True)
        )
    with op.batch_alter_table("journal_entry", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "debit_account_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("debit_account", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("journal_entry", schema=None) as batch_op:
        batch_op.drop_column("debit_account")
        batch_op.drop_column("debit_account_id")
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_column("mirror_id")
