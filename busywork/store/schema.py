"""Every table module, imported in one place so the metadata (and Alembic) sees them all."""

from __future__ import annotations

from sqlmodel import SQLModel

from busywork.store import records, tables

__all__ = ["METADATA", "records", "tables"]

METADATA = SQLModel.metadata
