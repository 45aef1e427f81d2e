"""Every table module, imported in one place so the metadata (and Alembic) sees them all."""

from __future__ import annotations

from sqlmodel import SQLModel

from busywork.store import credentials, outbox, records, tables, webhooks

__all__ = ["METADATA", "credentials", "outbox", "records", "tables", "webhooks"]

METADATA = SQLModel.metadata
