"""Small builders for raw record frames and config text used across the test suite."""

from __future__ import annotations

from typing import Any

import pandas as pd

from busywork.store.frames import validate_records
from busywork.store.ingest import RecordBatch
from busywork.store.records import RecordKind


def invoice_rows(
    n: int, *, prefix: str = "INV", status: str = "open", total: float = 100.0
) -> list[dict[str, Any]]:
    return [
        {
            "source_id": f"{prefix}-{i:05d}",
            "customer_id": f"C{i % 7:03d}",
            "customer_name": f"Customer {i % 7}",
            "issued_on": f"2026-{1 + i % 9:02d}-{1 + i % 27:02d}",
            "due_on": f"2026-{2 + i % 9:02d}-{1 + i % 27:02d}",
            "total": str(total + i),
            "currency": "GBP",
            "status": status,
            "origin": "manual",
        }
        for i in range(n)
    ]


def batch(
    kind: RecordKind, rows: list[dict[str, Any]], deleted: tuple[str, ...] = ()
) -> RecordBatch:
    result = validate_records(kind, pd.DataFrame(rows, dtype=object), timezone="Europe/London")
    assert not result.problems, result.problems
    return RecordBatch(kind, result.frame, deleted)


MINIMAL_CONFIG = """\
business:
  id: acme
  name: Acme Ltd
  timezone: Europe/London
  currency: GBP
"""
