"""Small builders for raw record frames and config text used across the test suite."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from busywork.store.frames import validate_records
from busywork.store.ingest import commit_page
from busywork.store.record_batch import RecordBatch
from busywork.store.records import RecordKind
from busywork.synth import GeneratorSettings, generate
from config.loader import parse_config
from config.models import AppConfig
from worker import Worker


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


#: The columns the snapshot tests keep of invoices and payments.
SNAPSHOT_COLUMNS = {
    RecordKind.INVOICE: ("customer_id", "issued_on", "total", "balance", "paid_at", "status"),
    RecordKind.PAYMENT: ("invoice_id", "paid_at", "amount"),
}
#: When :func:`commit_invoices` commits.
COMMITTED_AT = datetime(2026, 10, 1, tzinfo=UTC)


def commit_invoices(
    engine: sa.Engine,
    business: str,
    rows: list[dict[str, Any]],
    *,
    deleted: tuple[str, ...] = (),
    connector: str = "books",
    batches: list[RecordBatch] | None = None,
) -> None:
    """Commit invoice ``rows`` (and ``deleted`` source ids), or ``batches``, as one page."""
    commit_page(
        engine,
        business=business,
        connector=connector,
        batches=batches or [batch(RecordKind.INVOICE, rows, deleted)],
        cursor=None,
        now=COMMITTED_AT,
    )


MINIMAL_CONFIG = """\
business:
  id: acme
  name: Acme Ltd
  timezone: Europe/London
  currency: GBP
"""


def commit_new_invoices(
    engine: sa.Engine,
    customers: list[str | None],
    now: datetime,
    *,
    business: str = "shop",
    connector: str = "exports",
    customer_name: str | None = None,
) -> None:
    """Commit one hand-keyed £10 invoice per entry of ``customers`` (``NEW-0``, ``NEW-1`` …),
    dated 30 October 2026, as a connector's page would: records, events and all."""
    raw = pd.DataFrame(
        {
            "source_id": [f"NEW-{n}" for n in range(len(customers))],
            "issued_on": ["2026-10-30"] * len(customers),
            "total": ["10.00"] * len(customers),
            "currency": ["GBP"] * len(customers),
            "customer_id": customers,
            "origin": ["manual"] * len(customers),
        }
    )
    if customer_name is not None:
        raw["customer_name"] = customer_name
    records = validate_records(RecordKind.INVOICE, raw, timezone="Europe/London")
    commit_page(
        engine,
        business=business,
        connector=connector,
        batches=[RecordBatch(RecordKind.INVOICE, records.frame)],
        cursor=None,
        now=now,
    )


#: The clock and config of :func:`scanned_shop`.
SHOP_AS_OF = datetime(2026, 10, 31, 23, 59, tzinfo=UTC)
SHOP_CONFIG = """\
business: {id: shop, name: Shop, timezone: Europe/London, currency: GBP}
storage: {url: "sqlite:///store.db"}
connectors: [{name: exports, type: csv, path: data}]
goals: [{id: time, name: Less admin, objective: owner_time}]
"""


def write_shop(folder: Path, *, scale: float) -> AppConfig:
    """A generated business (seed 3, 18 months) exported to ``folder / "data"``, and its config."""
    generate(GeneratorSettings(seed=3, months=18, scale=scale)).write(folder / "data")
    return parse_config(SHOP_CONFIG, base_dir=folder)


def shop_worker(config: AppConfig, engine: sa.Engine) -> Worker:
    """The live worker over ``engine`` on the fixed clock :data:`SHOP_AS_OF`."""
    return Worker([config], engine=engine, as_of=SHOP_AS_OF, clock=lambda: SHOP_AS_OF)


def scan_shop(config: AppConfig, engine: sa.Engine) -> None:
    """Scan the shop of :func:`write_shop` into ``engine`` once, so every detector has a
    watermark."""
    shop_worker(config, engine).scan(config)
