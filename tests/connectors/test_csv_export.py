from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from config.loader import parse_config
from connectors.base import ConnectorContext
from connectors.csv_export import CsvConfig, CsvConnector
from connectors.sync import load_cursor, sync_connector

CONTEXT = ConnectorContext(business="acme", timezone="Europe/London", currency="GBP")
INVOICES = """source_id,customer_name,issued_on,due_on,total,currency,status,origin
INV-1,Ann,2026-01-05,2026-02-04,100.00,GBP,open,manual
INV-2,Bob,2026-01-06,not a date,50,GBP,open,manual
INV-3,Cat,2026-01-07,2026-02-06,75.5,GBP,paid,template
,Dan,2026-01-08,2026-02-07,10,GBP,open,manual
"""


def _connector(folder: Path, **options: object) -> CsvConnector:
    return CsvConnector(CsvConfig(name="exports", path=folder, **options), CONTEXT)


def _rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql))]


def test_bad_rows_are_reported_with_file_and_line_and_good_rows_kept(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "invoices.csv").write_text(INVOICES)
    result = sync_connector(engine, _connector(tmp_path))
    assert result.ok
    assert result.problems == [
        "invoices.csv:3: due_on: not a valid date: 'not a date'",
        "invoices.csv:5: source_id: required value missing",
    ]
    assert _rows(engine, "SELECT source_id, origin, total FROM invoice ORDER BY source_id") == [
        ("INV-1", "manual", 100.0),
        ("INV-3", "template", 75.5),
    ]


def test_unchanged_files_are_skipped_and_changes_become_events(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "invoices.csv"
    path.write_text(INVOICES)
    sync_connector(engine, _connector(tmp_path))
    assert sync_connector(engine, _connector(tmp_path)).pages == 0
    path.write_text(
        INVOICES.replace(
            "INV-1,Ann,2026-01-05,2026-02-04,100.00,GBP,open",
            "INV-1,Ann,2026-01-05,2026-02-04,100.00,GBP,paid",
        )
    )
    result = sync_connector(engine, _connector(tmp_path))
    assert (result.pages, result.stats.updated, result.stats.unchanged) == (1, 1, 1)
    assert _rows(engine, "SELECT type, source_id FROM event ORDER BY id")[-1] == (
        "invoice.paid",
        "INV-1",
    )
    assert load_cursor(engine, "acme", "exports")["invoices"]["rows"] == 2


def test_column_mapping_file_names_and_date_format(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "Sales.csv").write_text(
        "Invoice No;Customer;Date;Amount;Ccy\nS-1;Ann;31/01/2026;12,GBP\n".replace(",GBP", ";GBP")
    )
    connector = _connector(
        tmp_path,
        files={"invoices": "Sales.csv"},
        delimiter=";",
        date_format="%d/%m/%Y",
        columns={
            "invoices": {
                "Invoice No": "source_id",
                "Customer": "customer_name",
                "Date": "issued_on",
                "Amount": "total",
                "Ccy": "currency",
            }
        },
    )
    assert sync_connector(engine, connector).problems == []
    assert _rows(engine, "SELECT source_id, issued_on FROM invoice")[0][0] == "S-1"
    assert str(_rows(engine, "SELECT issued_on FROM invoice")[0][0]).startswith("2026-01-31")


def test_missing_required_column_skips_the_file_but_not_the_others(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "invoices.csv").write_text("source_id,total\nX,1\n")
    (tmp_path / "customers.csv").write_text("source_id,name,email\nC1,Ann,ann@example.com\n")
    result = sync_connector(engine, _connector(tmp_path))
    assert result.problems == ["invoices.csv: missing required column(s) issued_on; file skipped"]
    assert _rows(engine, "SELECT source_id FROM customer") == [("C1",)]


def test_deleted_column_and_default_line_ids(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "invoice_lines.csv").write_text(
        "invoice_id,line_no,amount\nINV-1,1,10\nINV-1,2,5\n"
    )
    sync_connector(engine, _connector(tmp_path))
    (tmp_path / "invoice_lines.csv").write_text(
        "source_id,invoice_id,line_no,amount,deleted\nINV-1:1,INV-1,1,10,false\nINV-1:2,INV-1,2,5,true\n"
    )
    result = sync_connector(engine, _connector(tmp_path))
    assert result.stats.deleted == 1
    assert _rows(engine, "SELECT source_id FROM invoice_line WHERE NOT deleted") == [("INV-1:1",)]


def test_unreadable_file_and_missing_folder_are_reported_not_raised(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "customers.csv").write_bytes(b"source_id,name\n\xff\xfe,\x00bad\n")
    result = sync_connector(engine, _connector(tmp_path))
    assert result.ok
    assert result.problems[0].startswith("customers.csv: cannot read the file")
    missing = sync_connector(engine, _connector(tmp_path / "nope"))
    assert not missing.ok
    assert "does not exist" in (missing.error or "")
    assert _rows(engine, "SELECT last_error FROM connector_state")[0][0] == missing.error


def test_config_rejects_unknown_kinds_and_columns() -> None:
    text = """\
business: {id: a, name: A, currency: GBP}
connectors:
  - name: x
    type: csv
    path: .
    columns: {invoices: {Foo: nonsense}}
    files: {receipts: r.csv}
"""
    from busywork.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="c.yaml")
    assert any(
        "connectors[0].files: unknown record kind 'receipts'" in p for p in caught.value.problems
    )
    assert any("'nonsense' is not a column of invoices" in p for p in caught.value.problems)


def test_recurring_templates_and_bill_payments_are_read_from_csv(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "recurring_templates.csv").write_text(
        "source_id,document,counterparty_name,cadence_unit,cadence_every,end_on,active\n"
        "T-1,invoice,Ann,month,1,,true\n"
        "T-2,bill,Gas Co,month,1,2026-06-30,false\n"
        "T-3,journal_entry,,week,x,,true\n"
    )
    (tmp_path / "payments.csv").write_text(
        "source_id,paid_at,amount,currency,bill_id,vendor_id\nP-1,2026-01-20,80,GBP,B-1,V-1\n"
    )
    result = sync_connector(engine, _connector(tmp_path))
    assert result.problems == ["recurring_templates.csv:4: cadence_every: not a valid int: 'x'"]
    assert _rows(
        engine,
        "SELECT source_id, document, schedule, cadence_every, CAST(end_on AS VARCHAR(10)), active"
        " FROM recurring_template ORDER BY source_id",
    ) == [
        ("T-1", "invoice", "automated", 1, None, True),
        ("T-2", "bill", "automated", 1, "2026-06-30", False),
    ]
    assert _rows(engine, "SELECT bill_id, vendor_id, invoice_id FROM payment") == [
        ("B-1", "V-1", None)
    ]


def test_blank_line_ids_are_defaulted_however_blank(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "invoice_lines.csv").write_text(
        "source_id,invoice_id,line_no,amount\n"
        "L-1,INV-1,1,10\n"
        ", INV-1 ,2,5\n"
        "\t,INV-2,,3\n"
        "L-4,INV-2,2\n"  # a short row: its amount is missing, the id is kept
    )
    result = sync_connector(engine, _connector(tmp_path))
    assert _rows(engine, "SELECT source_id FROM invoice_line ORDER BY id") == [
        ("L-1",),
        ("INV-1:2",),
        ("INV-2:",),
    ]
    assert result.problems == ["invoice_lines.csv:5: amount: required value missing"]


class _Ticks:
    """A clock that moves one second per reading."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_each_committed_page_is_timed_waiting_then_committing(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "customers.csv").write_text("source_id,name\nC1,Ann\n")
    (tmp_path / "invoices.csv").write_text(INVOICES)
    first = sync_connector(engine, _connector(tmp_path), clock=_Ticks())
    assert [(timing.label, timing.waited, timing.committed) for timing in first.timings] == [
        ("customers.csv", 1.0, 1.0),
        ("invoices.csv", 1.0, 1.0),
    ]
    (tmp_path / "invoices.csv").write_text(INVOICES.replace("100.00", "120.00"))
    again = sync_connector(engine, _connector(tmp_path), clock=_Ticks())
    # The unchanged customers' page commits nothing: its time is not the invoices' wait.
    assert [(timing.label, timing.waited, timing.committed) for timing in again.timings] == [
        ("invoices.csv", 1.0, 1.0)
    ]
