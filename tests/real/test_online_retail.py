"""The first 75 minutes of a real UK online retailer's invoice export (UCI "Online Retail").

Rows a bookkeeper can check by hand in ``tests/data/real/online_retail/``: 149 lines of
18 documents on
1 December 2010 between 08:26 and 09:45, one credit note (``C536379``, a 27.50 discount for
customer 14527), no payment data at all. Customer 17850 placed the same two-line hand-warmer
order three times (536366 at 08:28, 536372 at 09:01, 536377 at 09:34) and the same 16-line
order twice (536373 at 09:02, 536375 at 09:32).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import pytest

from tests.real.scanning import REAL, kinds, scan

EXPORT = REAL / "online_retail" / "online_retail_2010-12-01.csv"
AS_OF = datetime(2010, 12, 31, 23, 59)


def export() -> pd.DataFrame:
    """The slice as published: one row per invoice line, day-first dates."""
    rows = pd.read_csv(EXPORT, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
    rows["InvoiceDate"] = pd.to_datetime(rows["InvoiceDate"], format="%d/%m/%Y %H:%M")
    rows["amount"] = (rows["Quantity"] * rows["UnitPrice"]).round(2)
    return rows


def prepared() -> dict[str, pd.DataFrame]:
    """What a bookkeeper would import: one invoice per InvoiceNo, its lines, nothing else.

    No status, paid date, balance or payment is invented: the export has none.
    """
    rows = export()
    rows["line_no"] = rows.groupby("InvoiceNo").cumcount() + 1
    invoices = rows.groupby("InvoiceNo", sort=False).agg(
        customer_id=("CustomerID", "first"),
        created_at=("InvoiceDate", "first"),
        total=("amount", "sum"),
    )
    invoices = invoices.reset_index().rename(columns={"InvoiceNo": "source_id"})
    invoices["number"] = invoices["source_id"]
    invoices["issued_on"] = invoices["created_at"].dt.date
    invoices["currency"] = "GBP"
    invoices["total"] = invoices["total"].round(2)
    lines = pd.DataFrame(
        {
            "invoice_id": rows["InvoiceNo"],
            "line_no": rows["line_no"],
            "description": rows["Description"].str.strip(),
            "item": rows["StockCode"],
            "quantity": rows["Quantity"],
            "unit_price": rows["UnitPrice"],
            "amount": rows["amount"],
        }
    )
    return {"invoices": invoices, "invoice_lines": lines}


def test_the_slice_is_what_its_provenance_says() -> None:
    rows = export()
    assert len(rows) == 149
    assert rows["InvoiceNo"].nunique() == 18
    credit = rows[rows["InvoiceNo"].str.startswith("C")]
    assert credit[["InvoiceNo", "CustomerID", "amount"]].values.tolist() == [
        ["C536379", "14527", -27.5]
    ]
    warmers = rows[rows["InvoiceNo"].isin(["536366", "536372", "536377"])]
    assert warmers.groupby("InvoiceNo")["amount"].sum().round(2).unique().tolist() == [22.2]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The scan of the prepared export, as of the end of that month (shared by the tests)."""
    return scan(prepared(), tmp_path_factory.mktemp("retail"), AS_OF)


def test_the_export_imports_without_a_failure(report: dict[str, Any]) -> None:
    assert "recommendations" in report


def test_no_payment_finding_on_a_shop_without_payment_data(report: dict[str, Any]) -> None:
    found = kinds(report)
    assert "slow_collection" not in found
    assert "payment_reminders" not in found


def test_payment_speed_is_reported_as_not_checkable(report: dict[str, Any]) -> None:
    entry = report["detectors"]["slow_collection"]["coverage"]
    assert entry["checked"] is False
    assert "payment" in entry["reason"]


def test_the_repeated_hand_warmer_order_is_a_duplicate(report: dict[str, Any]) -> None:
    duplicates = kinds(report).get("duplicate_entry", [])
    assert any(item["subject"]["id"] == "17850" for item in duplicates)


def test_no_finding_says_a_web_order_was_typed_by_hand(report: dict[str, Any]) -> None:
    for item in report["recommendations"]:
        assert "by hand" not in str(item.get("title", "")).lower()
