"""Tests for the recurring bill (same vendor bill keyed by hand every period) detector."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from busywork.store.records import RecordKind
from detectors import RecurringBillDetector
from tests.detectors.catalogue_factories import bills, monthly_bills, recurring_bill_scenario
from tests.detectors.detector_factories import context, empty_frames


def test_hand_keyed_monthly_bills_are_found_and_automated_or_irregular_are_not() -> None:
    found = RecurringBillDetector().detect(recurring_bill_scenario(), context())

    assert {c.subject.id for c in found} == {"ven-rent", "ven-gas"}
    rent = next(c for c in found if c.subject.id == "ven-rent")
    assert rent.subject.type == "vendor"
    assert rent.subject.name == "Harbour Estates"
    assert rent.record_ids == tuple(sorted(f"ven-rent-b{n:02d}" for n in range(14)))
    assert rent.metrics["cadence_days"] == pytest.approx(30.44)
    assert rent.metrics["amount_cv"] == 0.0
    # 14 bills over 14 months at 6 minutes each.
    assert rent.hours_saved_per_month == pytest.approx(
        rent.metrics["bills_per_month"] * 6 / 60, rel=1e-3
    )
    assert rent.cash_impact_per_month == 0.0
    assert rent.confidence > 0.8
    assert "£2,400" in rent.title


def test_amount_tolerance_is_a_threshold() -> None:
    frames = recurring_bill_scenario()
    strict = RecurringBillDetector(max_amount_cv=0.05).detect(frames, context())
    assert {c.subject.id for c in strict} == {"ven-rent"}


def test_too_few_bills_are_not_a_schedule() -> None:
    rows = monthly_bills("ven-rent", "Harbour Estates", rng=np.random.default_rng(0), amount=900)
    frames = {RecordKind.BILL: bills(rows[-4:])}
    assert RecurringBillDetector().detect(frames, context()) == []
    assert RecurringBillDetector(min_occurrences=4).detect(frames, context())


def test_empty_frame_gives_nothing() -> None:
    assert RecurringBillDetector().detect(empty_frames(RecurringBillDetector), context()) == []


def test_input_is_not_modified() -> None:
    frames = recurring_bill_scenario()
    before = frames[RecordKind.BILL].copy()
    RecurringBillDetector().detect(frames, context())
    pd.testing.assert_frame_equal(frames[RecordKind.BILL], before)
