from __future__ import annotations

import pandas as pd

from busywork.store.frames import validate_records
from busywork.store.hashing import content_hashes
from busywork.store.records import RecordKind


def _invoices(**columns: list[str]) -> pd.DataFrame:
    count = len(columns["total"])
    base = {
        "source_id": [f"I{n}" for n in range(count)],
        "issued_on": ["2026-01-02"] * count,
        "currency": ["GBP"] * count,
    }
    return pd.DataFrame({**base, **columns}, dtype=object)


def test_missing_doc_type_follows_the_sign_of_the_total() -> None:
    raw = _invoices(
        total=["120", "-120", "0", "0"],
        status=["open", "paid", "open", "void"],
    )
    frame = validate_records(RecordKind.INVOICE, raw).frame
    assert frame["doc_type"].tolist() == ["invoice", "credit_note", "zero", "invoice"]


def test_a_given_doc_type_wins_and_unknown_ones_are_reported() -> None:
    raw = _invoices(total=["-5", "12", "3"], doc_type=["refund", "fee", "receipt"])
    result = validate_records(RecordKind.INVOICE, raw)
    assert result.frame["doc_type"].tolist() == ["refund", "fee"]
    (problem,) = result.problems
    assert (problem.row, problem.column) == (2, "doc_type")
    assert "'receipt' is not one of adjustment, credit_note, fee, invoice, refund, zero" in (
        problem.message
    )


def test_a_sales_invoice_hashes_as_it_did_before_doc_type_existed() -> None:
    typed = validate_records(RecordKind.INVOICE, _invoices(total=["120", "-120"])).frame
    before = typed.drop(columns="doc_type")
    hashes, old = content_hashes(typed).tolist(), content_hashes(before).tolist()
    assert hashes[0] == old[0]  # a stored invoice is not reported as changed
    assert hashes[1] != old[1]  # a credit note hashes with its type
    retyped = typed.assign(doc_type=["credit_note", "credit_note"])
    assert content_hashes(retyped).tolist()[0] != hashes[0]  # a change of type is a change
