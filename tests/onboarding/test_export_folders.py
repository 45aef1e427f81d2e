"""From a folder of real-looking exports to a report: ``init --yes`` then ``scan``, per folder.

The folders under ``tests/data/exports/`` are shaped as QuickBooks Online, Xero and Shopify
write them (see the README there). The scan's day is fixed with ``--as-of``. Each test
imports a few hundred invoices and runs every detector, so they are marked slow.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from busywork.cli import main

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"
AS_OF = "2026-10-31"  # the last day of the exported business's data


def _init_then_scan(
    tmp_path: Path, shape: str, capsys: pytest.CaptureFixture[str]
) -> tuple[str, str, str]:
    """Copy the folder, run ``init`` and ``scan``; the init output and the scan's out, err."""
    shutil.copytree(EXPORTS / shape, tmp_path / shape)
    config = tmp_path / "busywork.yaml"
    argv = ["init", str(tmp_path / shape), "--name", "Harbour Physio", "--yes", "-c", str(config)]
    assert main(argv) == 0
    init_out = capsys.readouterr().out
    report = tmp_path / "report"
    assert main(["scan", "-c", str(config), "--out", str(report), "--as-of", AS_OF]) == 0
    scan = capsys.readouterr()
    assert (report / "report.html").is_file()
    assert "Recommendations for Harbour Physio" in scan.out
    return init_out, scan.out, scan.err


def _titles(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line[:4].strip().isdigit()]


@pytest.mark.slow
def test_quickbooks_online_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    init, out, err = _init_then_scan(tmp_path, "quickbooks", capsys)
    assert "Invoice List.csv: invoices; dates %m/%d/%Y; 4 title line(s) above the header" in init
    assert "Journal.csv: journal entries; one row per line, grouped by Num" in init
    assert "Received Payments.csv: payments" in init
    assert "Currency: USD (inferred: 399 of 399 rows in Invoice List.csv)" in init
    assert "Invoice List.csv (invoices): 399 read, 399 kept" in err
    titles = _titles(out)
    assert len(titles) == 10
    assert any("pays late" in title for title in titles)  # payments carry their dates
    assert any("journal is keyed by hand every month" in title for title in titles)
    assert "no entry times in `exports`: the month-end crunch not checked" in out


@pytest.mark.slow
def test_xero_with_day_first_dates_and_latin1_contacts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    init, out, err = _init_then_scan(tmp_path, "xero", capsys)
    assert "Contacts.csv: customers; encoding cp1252 detected" in init
    assert "Sales Invoices.csv: invoices; one row per line, grouped by InvoiceNumber" in init
    assert "dates %d/%m/%Y" in init
    assert "Credit Notes.csv: credit notes; read as invoices of type credit_note" in init
    assert "Credit Notes.csv (credit_notes): 1 read, 1 kept" in err
    assert "Zoë Brontë" in init  # the Latin-1 contacts are read ungarbled
    assert "Sales Invoices.csv (invoices): 399 read, 399 kept" in err
    titles = _titles(out)
    assert len(titles) == 12
    assert any("bill is keyed in every month" in title for title in titles)
    # The export has no payment dates, and the report says what that leaves unchecked.
    assert "no payment dates in `exports`: late payers not checked" in out


@pytest.mark.slow
def test_shopify_orders_with_line_items(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    init, out, err = _init_then_scan(tmp_path, "shopify", capsys)
    assert "orders_export_1.csv: invoices; one row per line, grouped by Name" in init
    assert "orders_export_1.csv: invoice lines; from the same file, by Name" in init
    assert "Currency: EUR" in init
    assert "orders_export_1.csv (invoices): 399 read, 399 kept" in err
    titles = _titles(out)
    assert len(titles) == 7
    assert any("pays late" in title for title in titles)
    assert any("is invoiced every month" in title for title in titles)
