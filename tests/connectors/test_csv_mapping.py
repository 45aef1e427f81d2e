"""The declarative CSV mapping on real-looking exports: encodings, value maps, combined
columns, constants, line-level files grouped into invoices, and rows with extra fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.errors import ConfigError
from config.loader import parse_config
from connectors.base import ConnectorContext
from connectors.csv_export import CsvConfig, CsvConnector
from connectors.outcomes import FileStatus
from connectors.sync import sync_connector

CONTEXT = ConnectorContext(business="acme", timezone="Europe/London", currency="GBP")


def _sync(engine: Engine, folder: Path, **options: Any) -> Any:
    connector = CsvConnector(CsvConfig(name="exports", path=folder, **options), CONTEXT)
    return sync_connector(engine, connector)


def _rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql))]


def test_each_file_gets_its_own_encoding(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_bytes("source_id,name\nC1,Café Zoë\n".encode("latin-1"))
    (tmp_path / "vendors.csv").write_text("source_id,name\nV1,Café Zoë\n", encoding="utf-8")
    result = _sync(engine, tmp_path)
    assert _rows(engine, "SELECT name FROM customer") == [("Café Zoë",)]
    assert _rows(engine, "SELECT name FROM vendor") == [("Café Zoë",)]
    notes = {outcome.file: outcome.notes for outcome in result.files}
    assert notes["customers.csv"] == ("encoding cp1252 detected",)
    assert notes["vendors.csv"] == ()


def test_a_wrong_encoding_fails_the_file_and_says_what_to_set(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "customers.csv").write_bytes("source_id,name\nC1,Ann\nC2,Zoë\n".encode("latin-1"))
    result = _sync(engine, tmp_path, files={"customers": {"encoding": "utf-8"}})
    [outcome] = result.files
    assert outcome.failed
    assert outcome.summary() == (
        "customers.csv (customers): failed: line 3 is not valid utf-8 text;"
        " set `encoding: latin-1` for this file"
    )


def test_a_row_with_an_extra_field_is_rejected_alone(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "invoices.csv").write_text(
        "source_id,issued_on,total,currency\n"
        "I-1,2026-01-05,100,GBP\n"
        "I-2,2026-01-06,50,GBP,surprise\n"
        "I-3,2026-01-07,75,GBP,\n"  # an empty extra cell is only a trailing comma
    )
    result = _sync(engine, tmp_path)
    assert _rows(engine, "SELECT source_id FROM invoice ORDER BY source_id") == [
        ("I-1",),
        ("I-3",),
    ]
    [outcome] = result.files
    assert (outcome.read, outcome.kept) == (3, 2)
    assert outcome.summary() == (
        "invoices.csv (invoices): 3 read, 2 kept, 1 rejected:"
        " line 3: 5 fields but the header has 4; row skipped"
    )


def test_value_maps_constants_and_the_business_currency(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "Bills.csv").write_text(
        "Bill No,Supplier,Date,Amount,Status\n"
        "B-1,Gas Co,03/01/2026,80,Awaiting Payment\n"
        "B-2,Rent Ltd,04/01/2026,900,paid\n"
        "B-3,Rent Ltd,05/01/2026,900,Mystery\n"
    )
    files = {
        "bills": {
            "file": "Bills.csv",
            "date_format": "%d/%m/%Y",
            "columns": {
                "Bill No": "source_id",
                "Supplier": "vendor_name",
                "Date": "issued_on",
                "Amount": "total",
                "Status": "status",
            },
            "values": {"status": {"Awaiting Payment": "approved", "Paid": "paid"}},
            "constants": {"origin": "manual"},
        }
    }
    result = _sync(engine, tmp_path, files=files)
    assert _rows(
        engine, "SELECT source_id, status, currency, origin FROM bill ORDER BY source_id"
    ) == [("B-1", "approved", "GBP", "manual"), ("B-2", "paid", "GBP", "manual")]
    [outcome] = result.files
    assert "line 4 status: 'Mystery' is not one of" in outcome.summary()
    assert "currency GBP (business.currency) where the file has none" in outcome.notes


def test_line_level_export_grouped_into_invoices_with_computed_totals(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "Sales Invoices.csv").write_text(
        "InvoiceNumber,ContactName,InvoiceDate,Description,Quantity,UnitAmount\n"
        'INV-0001,Ann,2026-01-05,Session,2,"1,200.00"\n'
        "INV-0001,Ann,2026-01-05,Travel,1,30\n"
        "INV-0002,Bob,2026-01-09,Session,1,60\n"
    )
    files = {
        "invoices": {
            "file": "Sales Invoices.csv",
            "thousands": ",",
            "columns": {
                "InvoiceNumber": "source_id",
                "ContactName": "customer_name",
                "InvoiceDate": "issued_on",
            },
            "combine": {"total": {"multiply": ["Quantity", "UnitAmount"]}},
            "group_by": {"key": "source_id", "aggregate": {"total": "sum"}},
        },
        "invoice_lines": {
            "file": "Sales Invoices.csv",
            "thousands": ",",
            "columns": {"InvoiceNumber": "invoice_id", "Description": "description"},
            "combine": {"amount": {"multiply": ["Quantity", "UnitAmount"]}},
        },
    }
    result = _sync(engine, tmp_path, files=files)
    assert _rows(engine, "SELECT source_id, total, currency FROM invoice ORDER BY source_id") == [
        ("INV-0001", 2430.0, "GBP"),
        ("INV-0002", 60.0, "GBP"),
    ]
    assert len(_rows(engine, "SELECT id FROM invoice_line")) == 3
    invoices = next(o for o in result.files if o.kind == "invoices")
    assert (invoices.read, invoices.kept) == (2, 2)
    assert "2 invoices built from the rows by source_id" in invoices.notes


def test_debit_and_credit_lines_become_journals(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "Journal Report.csv").write_text(
        "Date,Journal,Account,Debit,Credit,Description\n"
        "31/01/2026,MJ-1,Wages Expense,2500.00,,Payroll January\n"
        "31/01/2026,MJ-1,PAYE Payable,,500.00,Payroll January\n"
        "31/01/2026,MJ-1,Bank,,2000.00,Payroll January\n"
        "28/02/2026,MJ-2,Depreciation,120.00,,\n"
        "28/02/2026,MJ-2,Accumulated Depreciation,,120.00,\n"
    )
    files = {
        "journal_entries": {
            "file": "Journal Report.csv",
            "date_format": "%d/%m/%Y",
            "columns": {
                "Journal": "source_id",
                "Date": "posted_on",
                "Account": "accounts",
                "Debit": "amount",
                "Description": "memo",
            },
            "group_by": {
                "key": "source_id",
                "aggregate": {"accounts": "join", "amount": "sum"},
            },
        }
    }
    _sync(engine, tmp_path, files=files)
    assert _rows(engine, "SELECT source_id, accounts, amount FROM journal_entry ORDER BY 1") == [
        ("MJ-1", "Bank|PAYE Payable|Wages Expense", 2500.0),
        ("MJ-2", "Accumulated Depreciation|Depreciation", 120.0),
    ]


def test_combined_and_split_columns(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text(
        "Id,First Name,Last Name,Company,Contact\n"
        "1,Ann,Lee,,Ann Lee <ann@example.com>\n"
        "2,,,Harbour Cafe,Harbour <hello@harbour.example>\n"
    )
    (tmp_path / "bank.csv").write_text(
        "Ref,Date,Money In,Money Out\nP-1,2026-01-05,120.00,\nP-2,2026-01-06,,45.50\n"
    )
    files = {
        "customers": {
            "file": "contacts.csv",
            "columns": {"Id": "source_id"},
            "combine": {
                "name": {"first_of": ["Company", "Full"]},
                "email": {"split": "Contact", "sep": "<", "index": 1},
            },
        },
        "payments": {
            "file": "bank.csv",
            "columns": {"Ref": "source_id", "Date": "paid_at"},
            "combine": {"amount": {"subtract": ["Money In", "Money Out"]}},
        },
    }
    failed = next(o for o in _sync(engine, tmp_path, files=files).files if o.kind == "customers")
    assert failed.summary().startswith(
        "contacts.csv (customers): failed: column(s) 'Full' named in the mapping are not in"
        " the file (it has: Id, First Name, Last Name, Company, Contact)"
    )
    files["customers"]["combine"]["name"] = {"join": ["First Name", "Last Name"]}
    files["customers"]["defaults"] = {"name": "(no name)"}
    _sync(engine, tmp_path, files=files)
    assert _rows(engine, "SELECT name, email FROM customer ORDER BY source_id") == [
        ("Ann Lee", "ann@example.com>"),
        ("(no name)", "hello@harbour.example>"),
    ]
    assert _rows(engine, "SELECT amount FROM payment ORDER BY source_id") == [(120.0,), (-45.5,)]


def test_changing_the_mapping_rereads_an_unchanged_file(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("Id,Name\nC1,Ann\n")
    first = _sync(engine, tmp_path, files={"customers": {"columns": {"Id": "source_id"}}})
    assert first.files[0].failed
    second = _sync(
        engine, tmp_path, files={"customers": {"columns": {"Id": "source_id", "Name": "name"}}}
    )
    assert (second.files[0].status, second.files[0].kept) == (FileStatus.READ, 1)
    third = _sync(
        engine, tmp_path, files={"customers": {"columns": {"Id": "source_id", "Name": "name"}}}
    )
    assert third.files[0].status is FileStatus.UNCHANGED


def test_mapping_errors_name_their_place() -> None:
    text = """\
business: {id: a, name: A, currency: GBP}
connectors:
  - name: x
    type: csv
    path: .
    files:
      invoices:
        file: Lines.csv
        combine:
          total: {add: [Qty, Price], join: [Note]}
        group_by: {key: source_id, aggregate: {total: average}}
"""
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="busywork.yaml")
    assert caught.value.problems == [
        "busywork.yaml:10: connectors[0].files.invoices.combine.total: give exactly one of"
        " add, subtract, multiply, join, first_of or split",
        "busywork.yaml:11: connectors[0].files.invoices.group_by.aggregate.total: input should"
        " be 'first', 'last', 'sum', 'min', 'max', 'count' or 'join'",
    ]
