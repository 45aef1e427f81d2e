"""Tests for the records duplicate_entry compares: manual ones sharing subject and amount."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from detectors._same_amount import ledger
from tests.detectors.detector_factories import TODAY, invoice, invoices

DAY = TODAY - timedelta(days=30)
NOW = pd.Timestamp(TODAY)


def _lines(*rows: tuple[str, str, float, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"invoice_id": invoice_id, "item": item, "description": None, "quantity": qty,
             "amount": amount}
            for invoice_id, item, qty, amount in rows
        ]
    )  # fmt: skip


def test_only_records_sharing_subject_amount_and_currency_are_compared() -> None:
    frame = invoices(
        [
            invoice("a1", issued_on=DAY, total=120.0, description="Deep clean"),
            invoice("a2", issued_on=DAY, total=120.0, description=" DEEP clean "),
            invoice("b1", issued_on=DAY, total=120.0, currency="usd"),
            invoice("c1", issued_on=DAY, total=80.0),
            invoice("d1", issued_on=DAY, total=120.0, customer_id="cus-2"),
            invoice("e1", issued_on=DAY, total=120.0, origin="subscription"),
            invoice("f1", issued_on=DAY, total=120.0, status="void"),
        ]
    )
    found = ledger(frame, "customer", NOW, None)

    assert list(found.repeats["source_id"]) == ["a1", "a2"]
    assert list(found.repeats["content"]) == ["deep clean", "deep clean"]
    assert set(found.repeats["matched"]) == {"description"}
    # Every manual, non-void record counts as checked, repeated or not.
    assert found.checked(["id:cus-1", "id:cus-2"]).to_dict() == {"id:cus-1": 4, "id:cus-2": 1}


def test_undescribed_invoices_are_compared_by_their_lines_in_any_order() -> None:
    frame = invoices(
        [
            invoice("a1", issued_on=DAY, total=90.0),
            invoice("a2", issued_on=DAY, total=90.0),
            invoice("a3", issued_on=DAY, total=90.0),
        ]
    )
    lines = _lines(
        ("a1", "Oven", 1, 50.0), ("a1", "Hob", 1, 40.0),
        ("a2", "hob", 1, 40.0), ("a2", "OVEN ", 1, 50.0),
        ("a3", "Oven", 1, 50.0), ("a3", "Hob", 2, 40.0),
        ("zz", "Oven", 1, 50.0),
    )  # fmt: skip
    repeats = ledger(frame, "customer", NOW, lines).repeats
    content = dict(zip(repeats["source_id"], repeats["content"], strict=True))

    assert content["a1"] == content["a2"]
    assert content["a1"] != content["a3"]
    assert set(repeats["matched"]) == {"lines"}
    assert list(repeats["line_count"]) == [2.0, 2.0, 2.0]
