"""Every table module, imported in one place so the metadata (and Alembic) sees them all."""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel

from busywork.store import credentials, outbox, records, tables, webhooks

__all__ = ["METADATA", "credentials", "include_object", "outbox", "records", "tables", "webhooks"]

METADATA = SQLModel.metadata
#: Tables another library owns in the same database (Procrastinate's job queue).
FOREIGN_PREFIXES = ("procrastinate_",)


def include_object(
    _object: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any
) -> bool:
    """Alembic's filter: compare and autogenerate only our own tables, never the queue's."""
    return not (type_ == "table" and name is not None and name.startswith(FOREIGN_PREFIXES))
