"""A Xero folder's Credit Notes.csv is read, and a cancelled invoice keyed again is no duplicate."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from busywork.cli import main
from config.loader import load_config

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"
AS_OF = "2026-10-31"
CUSTOMER = "Juniper Fields Ltd"


def _append(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, restval="")
        writer.writerows(rows)


def _folder(tmp_path: Path, *, cancelled: bool) -> Path:
    """The committed Xero folder plus two invoices each keyed twice, cancelled or not.

    Xero's export says nothing of how an invoice was made, so a lone repeat is never
    reported; two are a habit, and would be.
    """
    folder = tmp_path / "xero"
    shutil.copytree(EXPORTS / "xero", folder)
    invoices, credits = [], []
    for n, (first, again) in enumerate(
        (("14/09/2026", "16/09/2026"), ("12/10/2026", "13/10/2026"))
    ):
        invoice = {
            "ContactName": CUSTOMER,
            "EmailAddress": "accounts@juniperfields.co.uk",
            "DueDate": "30/10/2026",
            "Total": "480.00",
            "InvoiceAmountPaid": "480.00",
            "InvoiceAmountDue": "0.00",
            "Description": "Workplace assessment",
            "Quantity": "1",
            "UnitAmount": "480.00",
            "LineAmount": "480.00",
            "Currency": "GBP",
            "Status": "Paid",
        }
        invoices += [
            {**invoice, "InvoiceNumber": f"INV-9000{2 * n + 1}", "InvoiceDate": first},
            {**invoice, "InvoiceNumber": f"INV-9000{2 * n + 2}", "InvoiceDate": again},
        ]
        credits.append(
            {
                "ContactName": CUSTOMER,
                "InvoiceNumber": f"CN-009{n}",
                "InvoiceDate": again,
                "Total": "480.00",
                "Currency": "GBP",
                "Type": "Sales credit note",
                "Status": "Paid",
            }
        )
    _append(folder / "Sales Invoices.csv", invoices)
    if cancelled:
        _append(folder / "Credit Notes.csv", credits)
    return folder


def _scan(tmp_path: Path, folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    config = tmp_path / "busywork.yaml"
    assert main(["init", str(folder), "--name", "Harbour Physio", "--yes", "-c", str(config)]) == 0
    init = capsys.readouterr().out
    assert main(["scan", "-c", str(config), "--out", str(tmp_path / "r"), "--as-of", AS_OF]) == 0
    return init, capsys.readouterr().out


def _duplicates_of_the_customer(out: str) -> list[str]:
    return [line for line in out.splitlines() if "entered twice" in line and CUSTOMER in line]


@pytest.mark.slow
def test_an_invoice_cancelled_by_an_exported_credit_note_is_no_duplicate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    init, out = _scan(tmp_path, _folder(tmp_path, cancelled=True), capsys)
    assert (
        "Credit Notes.csv: credit notes; read as invoices of type credit_note, amounts negative;"
        " dates %d/%m/%Y" in init
    )
    assert "Credit Notes.csv (credit_notes): 3 read, 3 kept" in init
    assert _duplicates_of_the_customer(out) == []
    loaded = load_config(tmp_path / "busywork.yaml")
    notes = loaded.connectors[0].files["credit_notes"]  # type: ignore[attr-defined]
    assert notes.file == "Credit Notes.csv"
    assert notes.date_format == "%d/%m/%Y"


@pytest.mark.slow
def test_without_the_credit_note_the_same_pair_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = _scan(tmp_path, _folder(tmp_path, cancelled=False), capsys)
    assert len(_duplicates_of_the_customer(out)) == 1
