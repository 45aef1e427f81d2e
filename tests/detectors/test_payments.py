"""The shared payment facts: paid, when, or unknown, whatever way the source says it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind
from detectors._codes import combine, factor
from detectors._payments import PAID, UNKNOWN, UNPAID, _Keys, payment_facts
from tests.detectors.detector_factories import PAYMENT_COLUMNS, frame, invoice, invoices

ISSUED = date(2024, 10, 1)


def payment(
    source_id: str, invoice_id: str, paid_at: datetime, amount: float, **extra: Any
) -> dict[str, Any]:
    return {
        "business": "acme",
        "source": "quickbooks",
        "source_id": source_id,
        "origin": "manual",
        "invoice_id": invoice_id,
        "customer_id": "cus-1",
        "paid_at": paid_at,
        "amount": amount,
        "currency": "GBP",
        "method": None,
        **extra,
    }


def facts(rows: list[dict[str, Any]], pays: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    inv = invoices(rows)
    result = payment_facts(inv, None if pays is None else frame(pays, PAYMENT_COLUMNS))
    return result.set_index(inv["source_id"])


def test_an_invoice_s_own_paid_date_wins() -> None:
    paid = datetime(2024, 10, 20, 9)
    out = facts([invoice("i1", issued_on=ISSUED, total=100.0, paid_at=paid)])
    assert out.loc["i1", "state"] == PAID
    assert out.loc["i1", "paid_at"] == pd.Timestamp(paid)


def test_linked_payments_date_the_invoice_when_they_cover_its_total() -> None:
    rows = [invoice("i1", issued_on=ISSUED, total=300.0, status="paid", balance=0.0)]
    pays = [
        payment("p1", "i1", datetime(2024, 10, 5), 100.0),
        payment("p3", "i1", datetime(2024, 11, 2), 50.0),  # after it was covered
        payment("p2", "i1", datetime(2024, 10, 9), 200.0),
    ]
    out = facts(rows, pays)
    assert out.loc["i1", "state"] == PAID
    assert out.loc["i1", "paid_at"] == pd.Timestamp("2024-10-09")
    assert bool(out.loc["i1", "linked"])


def test_payments_that_cover_an_invoice_settle_it_whatever_its_status() -> None:
    rows = [invoice("i1", issued_on=ISSUED, total=300.0, status="open", balance=None)]
    out = facts(rows, [payment("p1", "i1", datetime(2024, 10, 5), 300.0)])
    assert out.loc["i1", "state"] == PAID
    assert out.loc["i1", "paid_at"] == pd.Timestamp("2024-10-05")


def test_part_payment_leaves_an_invoice_unpaid() -> None:
    rows = [invoice("i1", issued_on=ISSUED, total=300.0, status="open", balance=None)]
    out = facts(rows, [payment("p1", "i1", datetime(2024, 10, 5), 100.0)])
    assert out.loc["i1", "state"] == UNPAID
    assert pd.isna(out.loc["i1", "paid_at"])


def test_paid_status_or_zero_balance_without_payments_is_paid_at_an_unknown_date() -> None:
    out = facts(
        [
            invoice("i1", issued_on=ISSUED, total=100.0, status="paid"),
            invoice("i2", issued_on=ISSUED, total=100.0, status="open", balance=0.0),
        ]
    )
    assert list(out["state"]) == [PAID, PAID]
    assert out["paid_at"].isna().all()


def test_paid_status_with_payments_that_do_not_add_up_takes_the_latest_payment() -> None:
    rows = [invoice("i1", issued_on=ISSUED, total=100.0, status="paid", balance=0.0)]
    pays = [
        payment("p1", "i1", datetime(2024, 10, 5), 40.0),
        payment("p2", "i1", datetime(2024, 10, 8), 55.0),  # a 5.00 discount written off
    ]
    assert facts(rows, pays).loc["i1", "paid_at"] == pd.Timestamp("2024-10-08")


def test_unpaid_only_where_the_data_can_say_unpaid() -> None:
    rows = [
        # The books: balances and paid dates, so an open invoice is known to be open.
        invoice("q1", issued_on=ISSUED, total=100.0, paid_at=datetime(2024, 10, 9)),
        invoice("q2", issued_on=ISSUED, total=100.0, status="open"),
        # A shop export: nothing about payment at all.
        invoice("s1", issued_on=ISSUED, total=100.0, status="open", source="shop"),
        # ... except one row that still shows money owed.
        invoice("s2", issued_on=ISSUED, total=100.0, status="open", balance=100.0, source="shop"),
    ]
    out = facts(rows)
    assert out["state"].to_dict() == {"q1": PAID, "q2": UNPAID, "s1": UNKNOWN, "s2": UNPAID}
    # One string object per state, not one per invoice.
    assert len({id(state) for state in out["state"]}) == 3


def test_payments_match_invoices_of_their_own_source_only() -> None:
    rows = [
        invoice("i1", issued_on=ISSUED, total=100.0, status="open", source="shop"),
        invoice("i1", issued_on=ISSUED, total=100.0, status="open", source="quickbooks"),
    ]
    out = payment_facts(
        invoices(rows), frame([payment("p1", "i1", datetime(2024, 10, 5), 100.0)], PAYMENT_COLUMNS)
    )
    assert list(out["state"]) == [UNKNOWN, PAID]


def test_no_payment_frame_and_no_rows_are_fine() -> None:
    empty = invoices([])
    assert payment_facts(empty, None).empty
    assert payment_facts(empty, frame([], PAYMENT_COLUMNS)).empty
    assert RecordKind.PAYMENT.value == "payment"


def test_one_source_with_every_id_codes_documents_as_source_and_id_together_would() -> None:
    rows = [invoice(f"i{n}", issued_on=ISSUED, total=100.0, status="open") for n in (3, 1, 2)]
    pays = [
        payment("p1", "i2", datetime(2024, 10, 5), 100.0),
        payment("p2", "i9", datetime(2024, 10, 6), 100.0),  # no such invoice
        payment("p3", "i3", datetime(2024, 10, 7), 100.0),
    ]
    inv, pay = invoices(rows), frame(pays, PAYMENT_COLUMNS)
    keys = _Keys(inv, pay)
    ids = factor(np.concatenate([inv["source_id"].to_numpy(), pay["invoice_id"].to_numpy()]))
    combined = combine(np.zeros(len(ids), dtype=np.int64), ids)
    assert keys.invoice.tolist() == combined[: len(inv)].tolist() == [0, 1, 2]
    assert keys.payment.tolist() == combined[len(inv) :].tolist() == [2, 3, 0]
    assert keys.size == 4
