"""End to end: a shop export with cancellations, through the CSV connector to the findings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from config.loader import parse_config
from worker import Worker

CONFIG = """\
business: {id: shop, name: "Corner Shop", timezone: Europe/London, currency: GBP}
storage: {url: "sqlite:///store.db"}
connectors:
  - {name: exports, type: csv, path: data}
goals:
  - {id: time, name: Less admin, objective: owner_time, weight: 1}
"""
HEADER = "source_id,number,customer_id,customer_name,issued_on,total,currency,status,origin\n"
START = date(2024, 1, 5)


def _row(ident: str, customer: str, day: date, total: float) -> str:
    return f"{ident},{ident},{customer},{customer.title()},{day},{total:.2f},GBP,paid,manual\n"


def _recommendations(tmp_path: Path) -> list[dict[str, Any]]:
    config = parse_config(CONFIG, base_dir=tmp_path)
    worker = Worker([config], as_of=datetime(2024, 12, 31, 18, tzinfo=UTC))
    try:
        [result] = worker.run_once(force=True)
    finally:
        worker.engine.dispose()
    assert result.document is not None
    return list(result.document["recommendations"])


def test_cancellations_are_no_sales_and_a_cancel_and_rekey_is_no_duplicate(tmp_path: Path) -> None:
    rows = ""
    for month in range(12):
        day = START + timedelta(days=30 * month)
        rows += _row(f"{536000 + month}", "acme", day, 100.0)
        # Acme returns part of every order: a monthly credit note, no habit of billing
        # (and, being partial, no cancelled invoice either).
        rows += _row(f"C{537000 + month}", "acme", day + timedelta(days=3), -30.0)
    keyed = date(2024, 11, 4)
    rows += _row("538001", "ivy", keyed, 480.0)
    rows += _row("C538002", "ivy", keyed + timedelta(days=1), 480.0)  # a C-number, unsigned
    # Keyed again the next day, for the same sum: a correction, not an invoice entered twice.
    rows += _row("538003", "ivy", keyed + timedelta(days=1), 480.0)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "invoices.csv").write_text(HEADER + rows)

    found = _recommendations(tmp_path)
    cited = {rid for rec in found for rid in rec["evidence"]["record_ids"]}
    by_kind = {(rec["kind"], rec["subject"]["id"]): rec for rec in found}
    assert ("recurring_invoice", "acme") in by_kind  # the sales still recur
    acme = by_kind[("recurring_invoice", "acme")]
    assert not any(rid.startswith("C537") for rid in acme["evidence"]["record_ids"])
    assert not any(kind == "duplicate_entry" for kind, _ in by_kind)
    assert "C537000" not in cited
