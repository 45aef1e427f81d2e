"""index tuning: no lone business indexes; subject indexes for scoped re-detection; events by kind

Every query by business alone is served by the unique (business, source, source_id) index,
so the single-column business indexes only slowed bulk ingest. Re-detecting one customer's
or vendor's records reads them by (business, customer_id) / (business, vendor_id). Events are
read per record kind (the newest id of each kind, a kind's events since a watermark), so their
index leads with (business, record_kind) instead of (business) alone.

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-23 04:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None

RECORD_TABLES = (
    "appointment",
    "bill",
    "customer",
    "invoice",
    "invoice_line",
    "journal_entry",
    "payment",
    "vendor",
)


def upgrade() -> None:
    for table in RECORD_TABLES:
        op.drop_index(f"ix_{table}_business", table_name=table)
    op.create_index("ix_invoice_business_customer_id", "invoice", ["business", "customer_id"])
    op.create_index("ix_bill_business_vendor_id", "bill", ["business", "vendor_id"])
    op.drop_index("ix_event_business_id", table_name="event")
    op.create_index("ix_event_business_kind_id", "event", ["business", "record_kind", "id"])


def downgrade() -> None:
    op.drop_index("ix_event_business_kind_id", table_name="event")
    op.create_index("ix_event_business_id", "event", ["business", "id"])
    op.drop_index("ix_bill_business_vendor_id", table_name="bill")
    op.drop_index("ix_invoice_business_customer_id", table_name="invoice")
    for table in RECORD_TABLES:
        op.create_index(f"ix_{table}_business", table, ["business"])
