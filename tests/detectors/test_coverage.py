"""Facts the data must carry: below the threshold a detector is silent and says why."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from busywork.store.records import RecordKind
from detectors import PaymentRemindersDetector, SlowCollectionDetector
from detectors._coverage import Coverage, Fact, measure_fact, measure_pass
from detectors._facts import FACTS, _sources
from detectors.base import Detector
from detectors.registry import detector_classes
from tests.detectors.catalogue_factories import late_payer_rows
from tests.detectors.detector_factories import (
    PAYMENT_COLUMNS,
    collection_history,
    context,
    frame,
    invoices,
)


def shop_export(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same invoices as a web shop exports them: no payment, date, status or balance."""
    return [
        {**row, "source": "shop", "status": "open", "paid_at": None, "balance": None}
        for row in rows
    ]


def books_without_dates(rows: list[dict[str, Any]]) -> dict[RecordKind, pd.DataFrame]:
    """Paid invoices as QuickBooks stores them (zero balance, no date) plus their payments."""
    stripped, payments = [], []
    for row in rows:
        paid = row["paid_at"]
        stripped.append({**row, "paid_at": None, "balance": 0.0 if paid else row["total"]})
        if paid is not None:
            payments.append(
                {
                    "business": "acme",
                    "source": row["source"],
                    "source_id": f"pay-{row['source_id']}",
                    "origin": "manual",
                    "invoice_id": row["source_id"],
                    "customer_id": row["customer_id"],
                    "paid_at": paid,
                    "amount": row["total"],
                    "currency": "GBP",
                    "method": None,
                }
            )
    return {
        RecordKind.INVOICE: invoices(stripped),
        RecordKind.PAYMENT: frame(payments, PAYMENT_COLUMNS),
    }


SLOW = collection_history(planted=True, rng=np.random.default_rng(0))


def test_a_shop_without_payment_facts_gets_no_payment_findings_and_a_reason() -> None:
    frames = {RecordKind.INVOICE: invoices(shop_export(SLOW))}
    detectors = [SlowCollectionDetector(), PaymentRemindersDetector()]

    assert [d.detect(frames, context()) for d in detectors] == [[], []]
    coverage = measure_pass(detectors, frames, context())
    assert not coverage["slow_collection"].checked
    assert coverage["slow_collection"].reason == (
        "no payment dates in `shop`: payment speed not checked"
    )
    assert coverage["payment_reminders"].reason == (
        "no payment dates in `shop`: late payers not checked"
    )
    (fact,) = coverage["slow_collection"].to_json()["facts"]
    assert fact["share"] == 0.0
    assert fact["by_source"] == {"shop": 0.0}
    assert fact["rows"] == len(SLOW)


def test_the_same_invoices_with_paid_dates_are_checked_and_found() -> None:
    slow = {RecordKind.INVOICE: invoices(SLOW)}
    late = {RecordKind.INVOICE: invoices(late_payer_rows())}
    assert len(SlowCollectionDetector().detect(slow, context())) == 1
    assert len(PaymentRemindersDetector().detect(late, context())) == 1
    coverage = measure_pass([SlowCollectionDetector()], slow, context())["slow_collection"]
    assert coverage.checked
    assert coverage.reason is None
    assert coverage.scale == 1.0


def test_linked_payments_give_paid_invoices_their_dates() -> None:
    # QuickBooks keeps the date on the payment, not the invoice: same findings either way.
    (direct,) = PaymentRemindersDetector().detect(
        {RecordKind.INVOICE: invoices(late_payer_rows())}, context()
    )
    (linked,) = PaymentRemindersDetector().detect(books_without_dates(late_payer_rows()), context())
    assert linked.record_ids == direct.record_ids
    assert linked.metrics == direct.metrics
    (slow,) = SlowCollectionDetector().detect(books_without_dates(SLOW), context())
    assert slow.metrics["dso_days"] > 45


def test_partial_coverage_lowers_confidence_and_says_so() -> None:
    # A third of the paid invoices came through a till export that keeps no payment date.
    rows = [
        {**row, "source": "till", "paid_at": None, "status": "paid"}
        if row["paid_at"] is not None and index % 3 == 0
        else row
        for index, row in enumerate(SLOW)
    ]
    frames = {RecordKind.INVOICE: invoices(rows)}
    detector = SlowCollectionDetector()
    coverage = measure_pass([detector], frames, context())["slow_collection"]
    assert coverage.checked
    assert 0.5 < coverage.scale < 0.9

    (scaled,) = detector.detect(frames, context())
    (unscaled,) = detector.detect(frames, context(), Coverage("slow_collection", "x"))
    assert scaled.confidence == pytest.approx(unscaled.confidence * coverage.scale, abs=1e-3)
    assert scaled.confidence < unscaled.confidence
    assert "Data coverage: only" in scaled.summary
    assert "`till`: 0%" in scaled.summary
    assert scaled.record_ids == unscaled.record_ids


def test_a_business_whose_invoices_are_all_known_unpaid_is_still_checked() -> None:
    rows = [{**row, "paid_at": None, "status": "open", "balance": row["total"]} for row in SLOW]
    coverage = measure_pass(
        [SlowCollectionDetector()], {RecordKind.INVOICE: invoices(rows)}, context()
    )
    assert coverage["slow_collection"].checked
    assert coverage["slow_collection"].facts[0].share is None


@pytest.mark.parametrize("cls", list(detector_classes().values()), ids=lambda c: c.kind)
def test_every_detector_declares_facts_it_can_measure(cls: type[Detector]) -> None:
    assert cls.checks
    assert cls.checks != Detector.checks
    columns = cls.input_columns()
    for fact in cls.facts:
        assert FACTS[fact.name] is fact
        assert 0 < fact.threshold <= fact.full <= 1
        for kind, names in fact.columns.items():
            assert set(names) <= {*columns.get(kind, ()), "source"}, (fact.name, kind)


def test_facts_are_measured_once_per_pass() -> None:
    frames = {RecordKind.INVOICE: invoices(SLOW)}
    coverage = measure_pass(
        [SlowCollectionDetector(), PaymentRemindersDetector()], frames, context()
    )
    assert coverage["slow_collection"].facts[0] is coverage["payment_reminders"].facts[0]


def test_shares_per_source_count_each_source_s_relevant_rows_and_name_a_missing_one_blank() -> None:
    fact = Fact(
        name="test_fact",
        label="test values",
        rows="rows",
        columns={RecordKind.INVOICE: ("source",)},
        measure=lambda frames, context: (
            np.array([True, True, True, False, True, True]),
            np.array([True, False, True, True, False, True]),
            np.array(["shop", "shop", "books", "books", None, 7], dtype=object),
        ),
        threshold=0.5,
        full=0.9,
    )
    measured = measure_fact(fact, {RecordKind.INVOICE: pd.DataFrame()}, context())
    assert (measured.rows, measured.carrying) == (5, 3)
    assert measured.by_source == {"": 0.0, "7": 1.0, "books": 1.0, "shop": 0.5}
    assert list(measured.by_source) == ["", "7", "books", "shop"]


def test_a_fact_names_each_row_s_source_as_text_and_a_missing_one_blank() -> None:
    frame = pd.DataFrame({"source": pd.Series(["shop", None, 7, "shop"], dtype=object)})
    assert _sources(frame).tolist() == ["shop", "", "7", "shop"]
