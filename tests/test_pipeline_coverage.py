"""End to end: what the data cannot support is not reported, and the scan says why; a scan
pinned to a date gives that date's findings whatever was scanned before."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from busywork.report import render_html, render_table
from config.loader import parse_config
from worker import Worker

CONFIG = """\
business: {id: acme, name: Acme, timezone: Europe/London, currency: GBP}
storage: {url: "sqlite:///store.db"}
connectors:
  - {name: shop, type: csv, path: data}
"""
END = date(2024, 12, 31)


def write_invoices(folder: Path, *, paid: bool) -> None:
    """A year of invoices, paid 40 days after issue (when the export says so at all)."""
    lines = ["source_id,customer_id,customer_name,issued_on,due_on,total,currency"]
    if paid:
        lines[0] += ",status,paid_at"
    start = END - timedelta(days=360)
    for n in range(72):
        issued = start + timedelta(days=5 * n)
        row = (
            f"S{n:03d},C{n % 6},Customer {n % 6},{issued},{issued + timedelta(days=14)},120.00,GBP"
        )
        if paid:
            settled = datetime.combine(issued + timedelta(days=40), time(12))
            if settled.date() <= END:
                row += f",paid,{settled.isoformat()}Z"
            else:
                row += ",open,"
        lines.append(row)
    # One customer invoiced by hand on the first of every month.
    for month in range(1, 13):
        lines.append(
            f"R{month:02d},CR,Regular Ltd,2024-{month:02d}-01,2024-{month:02d}-15,450.00,GBP"
            + (f",paid,2024-{month:02d}-10T10:00:00Z" if paid else "")
        )
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "invoices.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def scan(folder: Path, as_of: date, **options: Any) -> dict[str, Any]:
    worker = Worker(
        [parse_config(CONFIG, base_dir=folder)],
        as_of=datetime.combine(as_of, time(23, 59), tzinfo=UTC),
    )
    [result] = worker.run_once(**options)
    worker.engine.dispose()
    assert result.document is not None
    return result.document


def kinds(document: dict[str, Any]) -> set[str]:
    return {rec["kind"] for rec in document["recommendations"]}


def test_a_shop_export_without_payments_says_payment_speed_was_not_checked(tmp_path: Path) -> None:
    write_invoices(tmp_path, paid=False)
    document = scan(tmp_path, END)

    assert "slow_collection" not in kinds(document)
    assert "payment_reminders" not in kinds(document)
    coverage = document["detectors"]["slow_collection"]["coverage"]
    assert coverage["checked"] is False
    assert coverage["reason"] == "no payment dates in `shop`: payment speed not checked"
    assert coverage["facts"][0]["fact"] == "payment_dates"
    assert coverage["facts"][0]["share"] == 0.0
    assert coverage["facts"][0]["threshold"] == 0.5
    assert {"kind": "payment_reminders", "reason": (
        "no payment dates in `shop`: late payers not checked"
    )} in document["not_checked"]  # fmt: skip
    # What needs no payment facts is still checked and found.
    assert document["detectors"]["recurring_invoice"]["coverage"]["checked"] is True
    assert "recurring_invoice" in kinds(document)

    out = io.StringIO()
    render_table(document, Console(file=out, width=200))
    assert "no payment dates in `shop`: payment speed not checked" in out.getvalue()
    html = render_html(document)
    assert "no payment dates in `shop`: payment speed not checked" in html


def test_the_same_invoices_with_payment_dates_are_checked(tmp_path: Path) -> None:
    write_invoices(tmp_path, paid=True)
    document = scan(tmp_path, END)
    assert "slow_collection" in kinds(document)
    assert document["detectors"]["slow_collection"]["coverage"]["checked"] is True
    assert document["not_checked"] == []


@pytest.mark.slow
def test_a_rescan_as_of_another_date_gives_that_date_s_findings(tmp_path: Path) -> None:
    write_invoices(tmp_path / "store", paid=True)
    write_invoices(tmp_path / "fresh", paid=True)
    earlier = date(2024, 8, 20)

    late = scan(tmp_path / "store", END)
    rescanned = scan(tmp_path / "store", earlier)
    fresh = scan(tmp_path / "fresh", earlier)
    again = scan(tmp_path / "store", END)

    def titles(document: dict[str, Any]) -> list[str]:
        return sorted(rec["title"] for rec in document["recommendations"])

    assert titles(rescanned) == titles(fresh)
    assert titles(again) == titles(late)
    assert titles(rescanned) != titles(late)  # the two dates really differ
    (regular,) = [r for r in rescanned["recommendations"] if r["subject"]["id"] == "CR"]
    assert regular["evidence"]["count"] == 8  # January to August


@pytest.mark.slow
def test_going_back_in_time_does_not_mark_a_finding_adopted(tmp_path: Path) -> None:
    # Invoiced from a template in January to March, then by hand every month since April.
    lines = ["source_id,customer_id,customer_name,issued_on,total,currency,status,origin"]
    lines += [
        f"I{m:02d},C1,Acme,2024-{m:02d}-15,500,GBP,paid,{'template' if m <= 3 else 'manual'}"
        for m in range(1, 12)
    ]
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "invoices.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    late = scan(tmp_path, date(2024, 11, 30))
    assert [r["subject"]["id"] for r in late["recommendations"]] == ["C1"]
    early = scan(tmp_path, date(2024, 3, 31))
    assert early["recommendations"] == []
    assert early["adopted"] == []
    again = scan(tmp_path, date(2024, 11, 30))
    assert [r["subject"]["id"] for r in again["recommendations"]] == ["C1"]
