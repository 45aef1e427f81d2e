"""A credit-note export read as invoices of type ``credit_note`` with negative amounts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from connectors.base import ConnectorContext
from connectors.csv_export import CsvConfig, CsvConnector
from connectors.sync import sync_connector

CONTEXT = ConnectorContext(business="acme", timezone="Europe/London", currency="GBP")
XERO_CREDIT_NOTES = (
    "ContactName,InvoiceNumber,InvoiceDate,Total,RemainingCredit,Currency,Type,Status\n"
    "Ivy Lane,CN-0007,03/02/2026,480.00,0.00,GBP,Sales credit note,Paid\n"
    "Oak Farm,CN-0008,04/02/2026,+1200.50,200.00,GBP,Sales credit note,Awaiting Payment\n"
    "Elm Ltd,CN-0009,05/02/2026,-35.00,,GBP,Sales credit note,Paid\n"
    "Ash & Co,CN-0010,06/02/2026,abc,,GBP,Sales credit note,Paid\n"
)
COLUMNS = {
    "ContactName": "customer_name",
    "InvoiceNumber": "source_id",
    "InvoiceDate": "issued_on",
    "Total": "total",
    "RemainingCredit": "balance",
    "Currency": "currency",
    "Status": "status",
}
STATUS = {"status": {"Awaiting Payment": "open", "Paid": "paid"}}


def _sync(engine: Engine, folder: Path, files: dict[str, Any]) -> Any:
    config = CsvConfig(name="exports", path=folder, date_format="%d/%m/%Y", files=files)
    return sync_connector(engine, CsvConnector(config, CONTEXT))


def _invoices(engine: Engine) -> list[tuple[object, ...]]:
    query = "SELECT source_id, doc_type, total, balance, status FROM invoice ORDER BY source_id"
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(query))]


def test_credit_notes_become_negative_invoice_rows_of_their_type(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "Credit Notes.csv").write_text(XERO_CREDIT_NOTES)
    files = {"credit_notes": {"file": "Credit Notes.csv", "columns": COLUMNS, "values": STATUS}}
    result = _sync(engine, tmp_path, files)
    # Unsigned and "+" amounts become negative; one already negative stays as it is.
    assert _invoices(engine) == [
        ("CN-0007", "credit_note", -480.0, 0.0, "paid"),
        ("CN-0008", "credit_note", -1200.5, -200.0, "open"),
        ("CN-0009", "credit_note", -35.0, None, "paid"),
    ]
    [outcome] = result.files
    # A cell that is no number is named as the file has it, not with a sign added.
    assert "line 5 total: not a valid float: 'abc'" in outcome.summary()


def test_a_mapping_may_keep_the_signs_and_type_its_rows_itself(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "Credit Notes.csv").write_text(XERO_CREDIT_NOTES)
    files = {
        "credit_notes": {
            "file": "Credit Notes.csv",
            "columns": {**COLUMNS, "Type": "doc_type"},
            "values": {**STATUS, "doc_type": {"Sales credit note": "refund"}},
            "negative": [],
        }
    }
    _sync(engine, tmp_path, files)
    assert _invoices(engine)[:2] == [
        ("CN-0007", "refund", 480.0, 0.0, "paid"),
        ("CN-0008", "refund", 1200.5, 200.0, "open"),
    ]


def test_invoices_and_credit_notes_files_of_one_folder_both_land(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "Credit Notes.csv").write_text(XERO_CREDIT_NOTES)
    (tmp_path / "Invoices.csv").write_text(
        "InvoiceNumber,ContactName,InvoiceDate,Total,Currency,Status\n"
        "INV-0101,Ivy Lane,01/02/2026,480.00,GBP,Paid\n"
    )
    invoice_columns = {k: v for k, v in COLUMNS.items() if k != "RemainingCredit"}
    files = {
        "invoices": {"file": "Invoices.csv", "columns": invoice_columns, "values": STATUS},
        "credit_notes": {"file": "Credit Notes.csv", "columns": COLUMNS, "values": STATUS},
    }
    _sync(engine, tmp_path, files)
    assert [row[:3] for row in _invoices(engine)] == [
        ("CN-0007", "credit_note", -480.0),
        ("CN-0008", "credit_note", -1200.5),
        ("CN-0009", "credit_note", -35.0),
        ("INV-0101", "invoice", 480.0),
    ]
    # Read again unchanged: nothing is deleted or rewritten by the other file.
    again = _sync(engine, tmp_path, files)
    assert again.stats.events == 0
    assert len(_invoices(engine)) == 4
