"""Tests for the invoices' customers resolved with the customer records."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest

from detectors import _customers, _invoice_customers
from detectors._customers import resolve_customers
from detectors._invoice_customers import CUSTOMER_COLUMNS, invoice_customers, repeated_records
from detectors._shared import detection_pass

NAMES = ["Acme Ltd", "ACME Limited", "Jon Smith", "Jonathan Smith", "Harbour Estates", None]
EMAILS = ["a@acme.co", "jon@smith.me", "office@harbour.co", None, None]


def _book(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": [("qb", "xero")[k] for k in rng.integers(0, 2, rows)],
            "source_id": [f"c{k}" for k in rng.integers(0, rows, rows)],
            "name": [NAMES[k] for k in rng.integers(0, len(NAMES), rows)],
            "email": [EMAILS[k] for k in rng.integers(0, len(EMAILS), rows)],
        }
    )


def _invoices(rng: np.random.Generator, book: pd.DataFrame, rows: int) -> pd.DataFrame:
    """Invoices mostly naming a record as it is; some renamed, some with an e-mail or no id."""
    picked = book.iloc[rng.integers(0, len(book), rows)].reset_index(drop=True)
    renamed = rng.random(rows) < 0.2
    return pd.DataFrame(
        {
            "source": picked["source"],
            "customer_id": picked["source_id"].where(rng.random(rows) > 0.1, None),
            "customer_name": picked["name"].where(
                ~renamed, [NAMES[k] for k in rng.integers(0, len(NAMES), rows)]
            ),
            "customer_email": [
                EMAILS[k] if rng.random() < 0.2 else None
                for k in rng.integers(0, len(EMAILS), rows)
            ],
        }
    )


def _resolved_ids(invoices: pd.DataFrame, book: pd.DataFrame) -> list[object]:
    """The customer id of each invoice, resolving every invoice with the records."""
    directory = resolve_customers(
        book[list(CUSTOMER_COLUMNS)],
        invoices,
        pd.DataFrame(columns=["source", "attendee_name", "attendee_email"]),
    )
    code = directory.code[len(book) :]
    return [
        directory.ids[c] if c >= 0 and pd.notna(raw) else None
        for c, raw in zip(code, invoices["customer_id"], strict=True)
    ]


def test_setting_aside_invoices_that_repeat_a_record_resolves_the_same_customers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(11)
    cases = []
    for _ in range(25):
        book = _book(rng, int(rng.integers(1, 40)))
        invoices = _invoices(rng, book, int(rng.integers(0, 80)))
        cases.append((book, invoices, invoice_customers(invoices, book)))
    # Every invoice resolved with the records, none set aside: the reference.
    monkeypatch.setattr(
        _invoice_customers, "repeated_records", lambda book, bills: np.full(len(bills), -1)
    )
    for book, invoices, found in cases:
        plain = invoice_customers(invoices, book)

        assert list(found.customer_id) == _resolved_ids(invoices, book)
        pd.testing.assert_series_equal(found.key, plain.key)
        pd.testing.assert_series_equal(found.customer_id, plain.customer_id)
        assert found.alt_ids == plain.alt_ids
        assert found.links == plain.links


def test_an_invoice_repeats_a_record_only_with_its_id_its_name_and_no_email() -> None:
    book = pd.DataFrame(
        {"source": ["qb"], "source_id": ["c1"], "name": ["Acme Ltd"], "email": ["a@acme.co"]}
    )
    bills = pd.DataFrame(
        {
            "source": ["qb", "qb", "qb", "qb", "xero", "qb"],
            "customer_id": ["c1", "c1", "c1", "c1", "c1", None],
            "customer_name": ["Acme Ltd", None, "Acme Limited", "Acme Ltd", "Acme Ltd", "Acme Ltd"],
            "customer_email": [None, None, None, "a@acme.co", None, None],
        }
    )
    assert list(repeated_records(book, bills)) == [0, 0, -1, -1, -1, -1]


def _same(one: object, other: object) -> bool:
    """Equal text, or both null."""
    return (pd.isna(one) and pd.isna(other)) or one == other


def _first_repeated(book: pd.DataFrame, bills: pd.DataFrame) -> list[int]:
    """:func:`repeated_records`, record by record: the first record of the invoice's pair."""
    out = []
    for bill in bills.itertuples(index=False):
        record = next(
            (
                at
                for at, row in enumerate(book.itertuples(index=False))
                if _same(row.source, bill.source) and _same(row.source_id, bill.customer_id)
            ),
            -1,
        )
        repeats = (
            record >= 0
            and pd.notna(bill.customer_id)
            and pd.isna(bill.customer_email)
            and (pd.isna(bill.customer_name) or bill.customer_name == book["name"].iloc[record])
        )
        out.append(record if repeats else -1)
    return out


@pytest.mark.parametrize("in_pass", [False, True])
def test_an_invoice_repeats_the_first_record_of_its_source_and_id(in_pass: bool) -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        book = _book(rng, int(rng.integers(1, 30)))
        book["source"] = book["source"].where(rng.random(len(book)) > 0.1, None)
        bills = _invoices(rng, book, int(rng.integers(1, 60))).drop(columns="customer_email")
        # Sources and ids no record holds, and no e-mail (as detectors' invoice frames).
        bills["source"] = bills["source"].where(rng.random(len(bills)) > 0.1, "stripe")
        bills["customer_id"] = bills["customer_id"].where(rng.random(len(bills)) > 0.1, "c-new")
        bills["customer_email"] = np.where(rng.random(len(bills)) < 0.1, "a@acme.co", None)
        with detection_pass() if in_pass else contextlib.nullcontext():
            found = repeated_records(book, bills)
            again = repeated_records(book, bills.iloc[::-1])

        assert list(found) == _first_repeated(book, bills)
        assert list(again) == list(found[::-1])


def test_within_a_pass_the_records_are_resolved_once_for_invoices_adding_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(5)
    book = _book(rng, 30).drop_duplicates(["source", "source_id"])
    repeating = pd.DataFrame(
        {
            "source": book["source"],
            "customer_id": book["source_id"],
            "customer_name": book["name"],
            "customer_email": None,
        }
    )
    first, second = repeating.iloc[:12], repeating.iloc[6:]  # two detectors' own subsets
    alone = [invoice_customers(first, book), invoice_customers(second, book)]
    calls: list[int] = []

    def counted(*args: pd.DataFrame) -> _customers.Directory:
        calls.append(len(args[1]))
        return resolve_customers(*args)

    monkeypatch.setattr(_invoice_customers, "resolve_customers", counted)
    with detection_pass():
        together = [invoice_customers(first, book), invoice_customers(second, book)]
        invoice_customers(_invoices(rng, book, 40), book)  # invoices of their own: resolved
    assert calls[0] == 0  # the records alone, once for both
    assert len(calls) == 2
    assert calls[1] > 0
    for found, plain in zip(together, alone, strict=True):
        pd.testing.assert_series_equal(found.key, plain.key)
        pd.testing.assert_series_equal(found.customer_id, plain.customer_id)
        assert found.alt_ids == plain.alt_ids
        assert found.links == plain.links


@pytest.mark.parametrize("seed", range(20))
def test_a_customers_ids_are_its_distinct_source_and_id_pairs_in_text_order(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(0, 40))
    entity = rng.integers(0, 6, rows).astype(np.int64)
    source = rng.choice(np.array(["qb", "xero", "Stripe", "éire"], dtype=object), rows)
    ids = rng.choice(np.array(["10", "9", "a", "B", "b ", "zoë", "Z"], dtype=object), rows)

    found = _customers._named(entity, source, ids)

    expected = sorted(set(zip(entity.tolist(), source.tolist(), ids.tolist(), strict=True)))
    assert list(zip(*(part.tolist() for part in found), strict=True)) == expected
