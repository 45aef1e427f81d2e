"""Tests for the slow collection (high or rising DSO) detector."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from busywork.store.records import RecordKind
from detectors import SlowCollectionDetector
from detectors.base import Candidate
from tests.detectors.detector_factories import (
    AS_OF,
    BUSINESS,
    PAYMENT_COLUMNS,
    TODAY,
    collection_history,
    collection_scenario,
    context,
    empty_frames,
    frame,
    invoice,
    invoices,
)


def detect(rows: list[dict[str, Any]], **params: Any) -> list[Candidate]:
    return SlowCollectionDetector(**params).detect({RecordKind.INVOICE: invoices(rows)}, context())


def expected_late_ids(
    rows: list[dict[str, Any]], window_days: int = 180, grace: int = 5
) -> list[str]:
    """Invoices issued in the window and paid, or still open, more than ``grace`` days late."""
    start = TODAY - timedelta(days=window_days)
    late = []
    for row in rows:
        if not start < row["issued_on"] <= TODAY:
            continue
        end = row["paid_at"].date() if row["paid_at"] is not None else TODAY
        if (end - row["due_on"]).days > grace:
            late.append(row["source_id"])
    return sorted(late)


@pytest.mark.parametrize("seed", range(8))
def test_late_paying_customers_are_found(seed: int) -> None:
    rows = collection_history(planted=True, rng=np.random.default_rng(seed))

    (finding,) = detect(rows)

    assert finding.subject.type == "business"
    assert finding.subject.id is None
    assert finding.subject.name == BUSINESS
    assert finding.category == "bottleneck"
    assert finding.record_ids == tuple(expected_late_ids(rows))
    assert finding.sources == ("quickbooks",)
    assert finding.metrics["dso_days"] > 45
    assert 20 <= finding.metrics["median_days_late"] <= 70
    assert finding.metrics["late_share"] > 0.8
    assert finding.metrics["invoices_considered"] >= 55
    assert finding.metrics["late_invoices"] == len(finding.record_ids)
    assert finding.metrics["overdue_receivables"] > 0
    first = min(r["issued_on"] for r in rows if r["issued_on"] > TODAY - timedelta(days=180))
    months = ((TODAY - first).days + 1) / (365.25 / 12)
    assert finding.hours_saved_per_month == pytest.approx(
        len(finding.record_ids) / months * 10 / 60, rel=1e-3
    )
    assert finding.confidence >= 0.8
    assert "£" in finding.summary
    assert BUSINESS in finding.title
    assert "reminders" in finding.suggested_automation


def test_cash_impact_is_cost_of_carrying_overdue_money() -> None:
    rows = collection_history(planted=True, rng=np.random.default_rng(1))
    start = TODAY - timedelta(days=180)
    money_days = 0.0
    for row in rows:
        if start < row["issued_on"] <= TODAY:
            end = row["paid_at"].date() if row["paid_at"] is not None else TODAY
            money_days += row["total"] * max(0, (end - row["due_on"]).days)

    (finding,) = detect(rows)

    expected = money_days / 180 * 0.10 / 12
    assert finding.cash_impact_per_month == pytest.approx(expected, abs=0.01)
    assert finding.metrics["avg_overdue_balance"] == pytest.approx(money_days / 180, abs=0.01)


@pytest.mark.parametrize("seed", range(20))
def test_prompt_payers_are_not_reported(seed: int) -> None:
    assert detect(collection_history(planted=False, rng=np.random.default_rng(seed))) == []


def test_dso_definition() -> None:
    # Ten 1,000 invoices, one every 10 days; each paid 60 days after issue (30 days late).
    rows = []
    for index in range(10):
        issued = TODAY - timedelta(days=10 * index + 1)
        paid = datetime.combine(issued + timedelta(days=60), time(9))
        settled = paid <= AS_OF
        rows.append(
            invoice(
                f"i{index}",
                issued_on=issued,
                due_on=issued + timedelta(days=30),
                total=1000.0,
                status="paid" if settled else "open",
                paid_at=paid if settled else None,
                balance=0.0 if settled else 1000.0,
            )
        )
    (finding,) = detect(rows, window_days=100)
    # Six invoices (issued in the last 60 days) are outstanding: 6,000 / 10,000 * 100 days.
    assert finding.metrics["dso_days"] == pytest.approx(60.0)
    assert finding.metrics["median_days_late"] == pytest.approx(30.0)
    assert finding.metrics["avg_collection_days"] == pytest.approx(60.0)


def test_min_invoices_threshold() -> None:
    rows = collection_history(planted=True, rng=np.random.default_rng(2))
    assert len(detect(rows, min_invoices=50)) == 1
    assert detect(rows, min_invoices=500) == []


def test_thresholds_change_the_outcome() -> None:
    prompt = collection_history(planted=False, rng=np.random.default_rng(3))
    late = collection_history(planted=True, rng=np.random.default_rng(3))
    assert len(detect(prompt, late_threshold_days=1, dso_threshold_days=1000)) == 1
    assert detect(late, late_threshold_days=1000, dso_threshold_days=1000) == []


def test_void_and_draft_invoices_are_ignored() -> None:
    rows = collection_history(planted=True, rng=np.random.default_rng(4))
    for index, row in enumerate(rows):
        row["status"] = "void" if index % 2 else "draft"
    assert detect(rows) == []


def test_missing_due_date_uses_default_terms() -> None:
    rows = []
    for index in range(20):
        issued = TODAY - timedelta(days=5 * index + 60)
        rows.append(
            invoice(
                f"n{index}",
                issued_on=issued,
                total=500.0,
                paid_at=datetime.combine(issued + timedelta(days=45), time(10)),
            )
        )
    (finding,) = detect(rows, dso_threshold_days=1000)
    assert finding.metrics["median_days_late"] == pytest.approx(15.0)
    assert detect(rows, dso_threshold_days=1000, default_terms_days=45) == []


def test_payment_frame_fills_missing_paid_dates() -> None:
    rows = collection_history(planted=True, rng=np.random.default_rng(5))
    with_dates = detect(rows)[0]
    payments = []
    for row in rows:
        if row["paid_at"] is not None:
            payments.append(
                {
                    "business": BUSINESS,
                    "source": "quickbooks",
                    "source_id": f"p-{row['source_id']}",
                    "origin": "manual",
                    "invoice_id": row["source_id"],
                    "customer_id": None,
                    "paid_at": row["paid_at"],
                    "amount": row["total"],
                    "currency": "GBP",
                    "method": "bank",
                }
            )
            row["paid_at"] = None
    frames = {
        RecordKind.INVOICE: invoices(rows),
        RecordKind.PAYMENT: frame(payments, PAYMENT_COLUMNS),
    }

    (from_payments,) = SlowCollectionDetector().detect(frames, context())

    assert from_payments.metrics == with_dates.metrics
    assert from_payments.record_ids == with_dates.record_ids


def test_paid_after_as_of_counts_as_outstanding_then() -> None:
    rows = collection_history(planted=True, rng=np.random.default_rng(6))
    earlier = AS_OF - timedelta(days=90)
    frames = {RecordKind.INVOICE: invoices(rows)}
    (finding,) = SlowCollectionDetector().detect(frames, context(as_of=earlier))
    assert finding.period_end <= earlier.date()
    assert finding.metrics["dso_days"] > 45


def test_empty_frame_gives_no_candidates() -> None:
    assert SlowCollectionDetector().detect(empty_frames(SlowCollectionDetector), context()) == []


def test_input_frame_is_not_modified() -> None:
    frames = collection_scenario(7)
    before = frames[RecordKind.INVOICE].copy()
    SlowCollectionDetector().detect(frames, context())
    pd.testing.assert_frame_equal(frames[RecordKind.INVOICE], before)
