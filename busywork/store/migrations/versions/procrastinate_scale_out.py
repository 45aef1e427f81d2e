"""scale-out on Procrastinate: tenants, planned poll intervals, send attempts, no leases

Adds the tenant table (configs loaded from YAML), the configured interval next to each
connector's planned poll time, the start of the delivery attempt in flight and the e-mail
recipients that accepted a message; drops the home-made lease table. On PostgreSQL it also
installs Procrastinate's own schema (jobs, workers, events), in the same transaction.

Revision ID: procrastinate_scale_out
Revises: 0003
Create Date: 2026-12-03 10:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op
from procrastinate.schema import SchemaManager

revision = "procrastinate_scale_out"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant",
        sa.Column("business", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
        sa.Column("config_text", sa.Text(), nullable=False),
        sa.Column("base_dir", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("business"),
    )
    op.create_table(
        "delivery_recipient",
        sa.Column("delivery_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("recipient", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("accepted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", "recipient"),
    )
    with op.batch_alter_table("connector_state") as batch_op:
        batch_op.add_column(sa.Column("interval_seconds", sa.Float(), nullable=True))
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.add_column(
            sa.Column("attempt_started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    op.drop_table("lease")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # The raw driver cursor: the schema's text must not go through bind-parameter parsing.
        cursor = bind.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(SchemaManager.get_schema())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Queued jobs go with it: drain the workers before downgrading.
        functions = bind.execute(
            sa.text(
                "SELECT p.oid::regprocedure::text FROM pg_proc p"
                " JOIN pg_namespace n ON n.oid = p.pronamespace"
                " WHERE p.proname LIKE 'procrastinate%' AND n.nspname = current_schema()"
            )
        ).scalars()
        for signature in list(functions):
            op.execute(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
        for table in ("events", "periodic_defers", "jobs", "workers"):
            op.execute(f"DROP TABLE IF EXISTS procrastinate_{table} CASCADE")
        for kind in ("job_to_defer_v1", "job_event_type", "job_status"):
            op.execute(f"DROP TYPE IF EXISTS procrastinate_{kind} CASCADE")
    op.create_table(
        "lease",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_column("attempt_started_at")
    with op.batch_alter_table("connector_state") as batch_op:
        batch_op.drop_column("interval_seconds")
    op.drop_table("delivery_recipient")
    op.drop_table("tenant")
