"""Tests for customer records told apart without resolving them."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest

from detectors._customers import Directory, resolve_customers
from detectors._separate_records import separate_records
from detectors._shared import detection_pass

NO_INVOICES = ["source", "customer_id", "customer_name", "customer_email"]
NO_ATTENDEES = ["source", "attendee_name", "attendee_email"]
NAMES = ["Acme Ltd", "ACME Limited", "Jon Smith", "Jonathan Smith", "Jon Smyth", "Zoë Ward", None]


def _resolved(book: pd.DataFrame) -> Directory:
    """The records resolved alone, in full."""
    return resolve_customers(
        book, pd.DataFrame(columns=NO_INVOICES), pd.DataFrame(columns=NO_ATTENDEES)
    )


def _book(**columns: list[object]) -> pd.DataFrame:
    rows = len(next(iter(columns.values())))
    base: dict[str, list[object]] = {
        "source": ["qb"] * rows,
        "source_id": [f"c{k}" for k in range(rows)],
        "name": [f"Customer {k}" for k in range(rows)],
        "email": [f"c{k}@mail.example" for k in range(rows)],
    }
    return pd.DataFrame({**base, **columns})


def _assert_same(fast: Directory, full: Directory) -> None:
    assert fast.code.dtype == full.code.dtype
    assert fast.code.tolist() == full.code.tolist()
    assert fast.ids.tolist() == full.ids.tolist()
    assert fast.alt_ids.tolist() == full.alt_ids.tolist()
    pd.testing.assert_frame_equal(fast.links, full.links)
    for field in ("rows", "keyed_by", "source", "ids", "email", "name"):
        fast_values, full_values = getattr(fast.labels, field), getattr(full.labels, field)
        assert fast_values.dtype == full_values.dtype, field
        assert fast_values.tolist() == full_values.tolist(), field
    assert fast.merged == full.merged


def _random_book(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    """Records mostly apart: now and then an id or address twice, an address missing or
    written another way, names equal or close across two sources."""
    ids = [f"c{k}" for k in range(rows)]
    emails: list[object] = [f"p{k}@mail.example" for k in range(rows)]
    for row in range(rows):
        draw = rng.random()
        if draw < 0.01:
            ids[row] = ids[int(rng.integers(0, rows))]
        elif draw < 0.02:
            emails[row] = emails[int(rng.integers(0, rows))]
        elif draw < 0.03:
            emails[row] = str(emails[int(rng.integers(0, rows))]).upper()
        elif draw < 0.04:
            emails[row] = None
    return pd.DataFrame(
        {
            "source": [("qb", "xero", None)[k] for k in rng.integers(0, 3, rows)],
            "source_id": ids,
            "name": [NAMES[k] for k in rng.integers(0, len(NAMES), rows)],
            "email": emails,
        }
    )


@pytest.mark.parametrize("in_pass", [False, True])
def test_records_told_apart_are_the_records_resolved_alone(in_pass: bool) -> None:
    rng = np.random.default_rng(7)
    told_apart = 0
    for rows in (1, 2, 3, 5, 8, 13, 21, 34) * 4:
        book = _random_book(rng, rows)
        with detection_pass() if in_pass else contextlib.nullcontext():
            fast = separate_records(book)
            full = _resolved(book)
        if fast is not None:
            told_apart += 1
            _assert_same(fast, full)
    # Both ways are taken: the draws hold records apart and records that may merge.
    assert 0 < told_apart < 32


def test_equal_and_close_names_with_their_own_addresses_stay_apart() -> None:
    book = _book(
        source=["qb", "xero", "xero", "qb"],
        name=["Acme Ltd", "ACME Limited", "Jon Smith", "Jon Smyth"],
    )
    fast = separate_records(book)
    assert fast is not None
    _assert_same(fast, _resolved(book))
    assert fast.code.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "columns",
    [
        # One address twice, written another way the second time: one customer.
        {"email": ["jon@smith.me", "c1@mail.example", " JON@Smith.me "]},
        # The same address and a close name, in two sources: one customer.
        {
            "source": ["qb", "qb", "xero"],
            "name": ["Acme Ltd", "Customer 1", "ACME Limited"],
            "email": ["a@acme.co", "c1@mail.example", "a@acme.co"],
        },
        # A record without an address links by name to a record of another source.
        {
            "source": ["qb", "qb", "xero"],
            "name": ["Jon Smith", "Customer 1", "Jon Smith"],
            "email": ["jon@smith.me", "c1@mail.example", None],
        },
    ],
)
def test_records_that_merge_are_left_to_the_resolution(columns: dict[str, list[object]]) -> None:
    book = _book(**columns)
    assert separate_records(book) is None
    assert _resolved(book).code.tolist() == [0, 1, 0]


@pytest.mark.parametrize(
    ("columns", "codes"),
    [
        ({"source_id": ["c0", "c1", "c0"]}, [0, 1, 0]),  # one id twice: one node of two rows
        ({"source_id": ["c0", None, "c2"]}, [0, -1, 1]),  # an attendee-like row, no customer
        ({"email": ["c0@mail.example", None, "c2@mail.example"]}, [0, 1, 2]),  # may link
        # Two pairs written as one label's text: one node.
        ({"source": ["a\x1fb", "a", "a"], "source_id": ["c", "b\x1fc", "d"]}, [0, 0, 1]),
    ],
)
def test_records_that_may_be_one_node_or_link_are_left_to_the_resolution(
    columns: dict[str, list[object]], codes: list[int]
) -> None:
    book = _book(**columns)
    assert separate_records(book) is None
    assert _resolved(book).code.tolist() == codes


def test_no_records_are_left_to_the_resolution() -> None:
    assert separate_records(_book(source_id=[])) is None
