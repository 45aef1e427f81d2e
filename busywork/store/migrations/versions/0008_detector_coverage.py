"""detector coverage: the facts each detector needed and how much of the data had them

Revision ID: trust_coverage_detector_coverage
Revises: 0001
Create Date: 2026-12-03 10:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "trust_coverage_detector_coverage"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("detector_watermark", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coverage", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("detector_watermark", schema=None) as batch_op:
        batch_op.drop_column("coverage")
