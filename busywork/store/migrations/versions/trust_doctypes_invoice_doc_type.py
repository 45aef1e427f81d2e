"""invoice doc_type: sales invoice, credit note, refund, fee, adjustment or zero

Revision ID: trust_doctypes_invoice_doc_type
Revises: 0001
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "trust_doctypes_invoice_doc_type"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every stored row was read as a sales invoice; the server default says so. Its content
    # hash stays valid: an ``invoice`` doc_type is left out of the hash (store.hashing).
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "doc_type",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="invoice",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_column("doc_type")
