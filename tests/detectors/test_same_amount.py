"""Tests for the records duplicate_entry compares: manual ones sharing subject and amount."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pandas as pd
import pytest

from busywork.store import text_links
from busywork.store.records import RecordKind
from detectors import _frames as fr
from detectors._same_amount import _lines_of, _linked_lines_of, ledger
from tests.detectors.detector_factories import TODAY, invoice, invoices
from tests.detectors.snapshot_factories import stored_together

DAY = TODAY - timedelta(days=30)
NOW = pd.Timestamp(TODAY)


@pytest.fixture(autouse=True)
def _no_links_left() -> Iterator[None]:
    yield
    text_links.forget_links()


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


def _messy_invoices_and_lines() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Invoices and lines as exports hold them: ids shared, missing, or naming no invoice."""
    ids = ["a1", "a2", "b1", "b2", "c1", "d1"]
    frame = invoices(
        [invoice(source_id, issued_on=DAY, total=120.0, description=None) for source_id in ids]
    )
    lines = _lines(
        ("a1", "Deep clean", 1, 120.0),
        ("a2", "Deep clean", 1, 120.0),
        ("zz", "Deep clean", 1, 120.0),  # names no invoice
        ("b1", "Window", 2, 60.0),
        ("b2", "Window", 2, 60.0),
        ("c1", "Oven", 1, 120.0),
        ("a1", "Extra", 1, 0.0),  # an invoice with two lines
        ("", "Orphan", 1, 120.0),  # no invoice id: made null below
    )
    lines["invoice_id"] = lines["invoice_id"].replace("", None)
    return _as_loaded(frame), _as_loaded(lines)


def _as_loaded(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text as a load gives it: ``object`` columns of ``str`` and None."""
    text = [name for name, dtype in frame.dtypes.items() if pd.api.types.is_string_dtype(dtype)]
    loaded = frame.astype(dict.fromkeys(text, object))
    return loaded.where(loaded.notna(), None)


def test_lines_found_through_the_stored_link_are_those_found_by_their_text() -> None:
    frame, lines = _messy_invoices_and_lines()
    stored, stored_lines = stored_together(
        (frame, RecordKind.INVOICE), (lines, RecordKind.INVOICE_LINE)
    )
    # Rows selected from the stored frames, in another order, as a detector selects them.
    backwards = list(range(len(stored_lines)))[::-1]
    for rows in (stored, stored.iloc[[4, 0, 2]], stored.iloc[[5]], stored.iloc[[]]):
        for selected in (stored_lines, stored_lines.iloc[backwards], stored_lines.iloc[[1, 7, 2]]):
            text = fr.as_text(rows["source_id"])
            expected = fr.as_text(selected["invoice_id"]).isin(text).to_numpy().tolist()
            found = _lines_of(selected["invoice_id"], rows["source_id"], text)
            assert found.tolist() == expected
            linked = _linked_lines_of(selected["invoice_id"], rows["source_id"])
            assert linked is not None or rows.empty  # no rows: worked out from the text
            assert linked is None or linked.tolist() == expected


def test_without_a_stored_link_the_lines_are_found_by_their_text() -> None:
    frame, lines = _messy_invoices_and_lines()
    stored, stored_lines = stored_together(
        (frame, RecordKind.INVOICE), (lines, RecordKind.INVOICE_LINE)
    )
    text_links.forget_links()
    assert _linked_lines_of(stored_lines["invoice_id"], stored["source_id"]) is None
    assert _linked_lines_of(lines["invoice_id"], frame["source_id"]) is None  # never stored
    found = _lines_of(stored_lines["invoice_id"], stored["source_id"], stored["source_id"])
    assert found.tolist() == [True, True, False, True, True, True, True, False]


def test_duplicates_found_through_the_link_are_those_found_without_it() -> None:
    frame, lines = _messy_invoices_and_lines()
    stored, stored_lines = stored_together(
        (frame, RecordKind.INVOICE), (lines, RecordKind.INVOICE_LINE)
    )
    linked = ledger(stored, "customer", NOW, stored_lines).repeats
    text_links.forget_links()
    plain = ledger(frame, "customer", NOW, lines).repeats
    pd.testing.assert_frame_equal(
        linked.reset_index(drop=True), plain.reset_index(drop=True), check_dtype=False
    )
    # a1 and a2 share no lines (a1 has an extra one); b1 and b2 share theirs.
    by_id = dict(zip(linked["source_id"], linked["content"], strict=True))
    assert by_id["b1"] == by_id["b2"] != ""
    assert by_id["a1"] != by_id["a2"]
