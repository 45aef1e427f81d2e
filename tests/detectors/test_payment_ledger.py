"""The payments' ledger of a pass: the dates payment facts work out, for any invoices asked."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from busywork.store import text_links
from busywork.store.records import RecordKind
from detectors import _payment_ledger
from detectors._payment_ledger import payment_dates
from detectors._payments import payment_facts
from detectors._shared import detection_pass
from tests.detectors.snapshot_factories import stored_together

SOURCES = np.array(["xero", "stripe", "qbo", None, ""], dtype=object)


@pytest.fixture(autouse=True)
def _no_links_left() -> Iterator[None]:
    yield
    text_links.forget_links()


def _messy(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Invoices and payments the way exports mix them up.

    Ids repeated across sources and within one, null ids and references, references to no
    invoice, null and empty sources, payments without a date or an amount, part payments,
    several payments on one day, statuses and balances that say paid or not.
    """
    rng = np.random.default_rng(seed)
    count, paid = 60, 90
    ids = np.array([f"INV-{n}" for n in rng.integers(0, 45, count)], dtype=object)
    ids[rng.random(count) < 0.05] = None
    day = pd.Timestamp("2024-01-01")
    invoices = pd.DataFrame(
        {
            "source": _text(SOURCES[rng.choice(5, count, p=[0.5, 0.3, 0.1, 0.05, 0.05])]),
            "source_id": _text(ids),
            "status": _text(
                np.array(["open", "paid", "Paid ", None], dtype=object)[rng.integers(0, 4, count)]
            ),
            "paid_at": pd.Series(day + pd.to_timedelta(rng.integers(0, 90, count), "D")).where(
                rng.random(count) < 0.1
            ),
            "total": rng.choice([0.0, 50.0, 100.0, 120.5], count),
            "balance": pd.Series(rng.choice([0.0, 20.0, 100.0], count)).where(
                rng.random(count) < 0.5
            ),
        }
    )
    references = np.array([f"INV-{n}" for n in rng.integers(0, 60, paid)], dtype=object)
    references[rng.random(paid) < 0.05] = None
    payments = pd.DataFrame(
        {
            "source": _text(SOURCES[rng.choice(5, paid, p=[0.5, 0.3, 0.1, 0.05, 0.05])]),
            "invoice_id": _text(references),
            "paid_at": pd.Series(day + pd.to_timedelta(rng.integers(0, 30, paid), "D")).where(
                rng.random(paid) > 0.05
            ),
            "amount": pd.Series(rng.choice([10.0, 25.0, 50.0, 60.25, 100.0], paid)).where(
                rng.random(paid) > 0.05
            ),
        }
    )
    return invoices, payments


def _text(values: np.ndarray) -> pd.Series:
    """Text as the store loads it: Python strings and None in an object column."""
    return pd.Series(values, dtype=object)


def _stored(invoices: pd.DataFrame, payments: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both frames as snapshots written together give them back: the ids linked."""
    decoded = stored_together((invoices, RecordKind.INVOICE), (payments, RecordKind.PAYMENT))
    return decoded[0], decoded[1]


@pytest.mark.parametrize("seed", range(8))
def test_the_ledger_dates_invoices_as_the_facts_of_their_own_rows_do(seed: int) -> None:
    invoices, payments = _messy(seed)
    stored_invoices, stored_payments = _stored(invoices, payments)
    total = stored_invoices["total"].to_numpy()
    assert payment_dates(stored_invoices, stored_payments, total) is not None  # linked
    # Plain frames have no link: their facts are worked out end to end.
    assert payment_dates(invoices, payments, total) is None
    pd.testing.assert_frame_equal(
        payment_facts(stored_invoices, stored_payments), payment_facts(invoices, payments)
    )


@pytest.mark.parametrize("seed", range(8))
def test_rows_selected_from_stored_invoices_take_the_dates_of_those_rows(seed: int) -> None:
    invoices, payments = _messy(seed)
    stored_invoices, stored_payments = _stored(invoices, payments)
    rng = np.random.default_rng(seed + 100)
    # A window, and rows in another order: what detectors ask about.
    for rows in (rng.random(len(invoices)) < 0.4, rng.permutation(len(invoices))[:25]):
        selected = stored_invoices[rows] if rows.dtype == bool else stored_invoices.iloc[rows]
        plain = invoices[rows] if rows.dtype == bool else invoices.iloc[rows]
        total = selected["total"].to_numpy()
        assert payment_dates(selected, stored_payments, total) is not None
        pd.testing.assert_frame_equal(
            payment_facts(selected, stored_payments), payment_facts(plain, payments)
        )


def test_one_pass_sorts_the_payments_once_for_every_selection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    invoices, payments = _messy(3)
    stored_invoices, stored_payments = _stored(invoices, payments)
    built = []
    ledger = _payment_ledger._ledger

    def counted(*args: object) -> object:
        built.append(1)
        return ledger(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(_payment_ledger, "_ledger", counted)
    with detection_pass():
        for end in (20, 40, 60):
            rows = stored_invoices.iloc[:end]
            payment_dates(rows, stored_payments, rows["total"].to_numpy())
    assert len(built) == 1


def test_payments_without_a_source_or_a_link_are_worked_out_per_question() -> None:
    invoices, payments = _messy(5)
    stored_invoices, stored_payments = _stored(invoices, payments.drop(columns=["source"]))
    total = stored_invoices["total"].to_numpy()
    # Without a source a payment matches by id alone, and only when no id is null among
    # the invoices asked about: no answer holds for every selection.
    assert payment_dates(stored_invoices, stored_payments, total) is None
    pd.testing.assert_frame_equal(
        payment_facts(stored_invoices, stored_payments),
        payment_facts(invoices, payments.drop(columns=["source"])),
    )


def test_a_ledger_without_a_dated_payment_dates_nothing() -> None:
    invoices, payments = _messy(1)
    payments = payments.assign(paid_at=pd.NaT)
    stored_invoices, stored_payments = _stored(invoices, payments)
    dates = payment_dates(stored_invoices, stored_payments, stored_invoices["total"].to_numpy())
    assert dates is not None
    assert np.isnat(dates.covered).all()
    assert np.isnat(dates.latest).all()
