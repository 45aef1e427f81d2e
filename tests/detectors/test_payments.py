"""The shared payment facts: paid, when, or unknown, whatever way the source says it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from busywork.store import text_links
from busywork.store.records import RecordKind
from detectors._codes import combine, factor
from detectors._payments import PAID, UNKNOWN, UNPAID, _Keys, _linked_ids, payment_facts
from tests.detectors.detector_factories import PAYMENT_COLUMNS, frame, invoice, invoices
from tests.detectors.snapshot_factories import as_stored, stored_together

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


def _partition(codes: np.ndarray) -> list[int]:
    """Codes renumbered in order of first appearance: equal codes stay equal, -1 stays."""
    return [int(code) for code in np.where(codes >= 0, factor(np.where(codes >= 0, codes, -1)), -1)]


def _reference(inv: pd.DataFrame, pay: pd.DataFrame) -> tuple[list[int], list[int]]:
    """The (source, id) codes of coding the invoices' and payments' text laid end to end."""
    text = lambda column: column.astype("str")  # noqa: E731
    sources = [text(inv["source"]).fillna("").to_numpy(dtype=object)]
    sources.append(
        text(pay["source"]).fillna("").to_numpy(dtype=object)
        if "source" in pay
        else np.full(len(pay), None, dtype=object)
    )
    ids = [
        text(inv["source_id"]).to_numpy(dtype=object),
        text(pay["invoice_id"]).to_numpy(dtype=object),
    ]
    source_codes = factor(np.concatenate(sources))
    id_codes = factor(np.concatenate(ids))
    codes = combine(source_codes, id_codes)
    codes[id_codes < 0] = -1
    return _partition(codes[: len(inv)]), _partition(codes[len(inv) :])


def test_keys_code_messy_columns_as_coding_their_text_end_to_end_would() -> None:
    # Object columns of strings and None, as the store loads them.
    inv = pd.DataFrame(
        {
            "source": ["xero", None, "stripe", "xero", "stripe", None],
            "source_id": ["A1", "A2", "A1", None, "A3", "A2"],
        },
        dtype=object,
    )
    pay = pd.DataFrame(
        {
            "source": ["stripe", None, "xero", "qbo", "xero", ""],
            "invoice_id": ["A1", "A2", "A9", "A1", None, "A2"],
        },
        dtype=object,
    )
    cases = [
        (inv, pay),
        (inv, pay.drop(columns=["source"])),  # payments without a source: any invoice's
        # Numbers compare as their text: 2 pays "2".
        (
            inv.assign(source_id=pd.Series([1, 2, 1, None, 3, 2], dtype=object)),
            pay.assign(invoice_id=pd.Series([1, 2, 9, 1, None, "2"], dtype=object)),
        ),
        (as_stored(inv), as_stored(pay)),
        # Rows selected from snapshot-decoded columns keep their labels and objects.
        (as_stored(inv).iloc[[5, 1, 2]], as_stored(pay).iloc[[3, 0, 5]]),
    ]
    for invoices_, payments in cases:
        keys = _Keys(invoices_, payments)
        assert (_partition(keys.invoice), _partition(keys.payment)) == _reference(
            invoices_, payments
        )
        assert keys.size > int(np.concatenate([keys.invoice, keys.payment]).max())


def test_keys_of_snapshots_written_together_code_through_their_link() -> None:
    inv = pd.DataFrame(
        {"source": ["xero"] * 4, "source_id": ["A1", "A2", None, "A3"]}, dtype=object
    )
    pay = pd.DataFrame(
        {"source": ["xero"] * 5, "invoice_id": ["A3", "B7", None, "A1", "B7"]}, dtype=object
    )
    decoded = stored_together((inv, RecordKind.INVOICE), (pay, RecordKind.PAYMENT))
    try:
        linked = _linked_ids(decoded[0]["source_id"], decoded[1]["invoice_id"])
        assert linked is not None
        # The invoices' ids, then the references: A3 is the third id, B7 no invoice's.
        assert linked.tolist() == [0, 1, -1, 2, 2, 3, -1, 0, 3]
        keys = _Keys(decoded[0], decoded[1])
        assert (_partition(keys.invoice), _partition(keys.payment)) == _reference(inv, pay)
    finally:
        text_links.forget_links()


def test_keys_count_sources_with_a_null_as_the_empty_source() -> None:
    inv = pd.DataFrame({"source": ["xero", None], "source_id": ["A1", "A2"]})
    pay = pd.DataFrame({"source": ["", "xero"], "invoice_id": ["A2", "A1"]})
    keys = _Keys(inv, pay)
    assert keys.sources == 2  # "xero" and "" (the null source)
    # The payment with source "" pays the invoice without one.
    assert keys.payment.tolist() == [keys.invoice[1], keys.invoice[0]]


def test_states_are_categories_compared_as_codes() -> None:
    found = facts(
        [
            invoice("INV-1", issued_on=ISSUED, total=100.0, status="paid"),
            invoice("INV-2", issued_on=ISSUED, total=100.0, status="open", balance=100.0),
            invoice("INV-3", issued_on=ISSUED, total=100.0, status="open", source="shop"),
        ]
    )
    state = found["state"]
    assert isinstance(state.dtype, pd.CategoricalDtype)
    assert list(state.cat.categories) == [PAID, UNPAID, UNKNOWN]
    assert state.tolist() == [PAID, UNPAID, UNKNOWN]
    assert (state == PAID).tolist() == [True, False, False]
