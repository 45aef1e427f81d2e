"""What a finding may claim about how its records were made (detectors._origin)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from busywork.store.records import RecordKind
from detectors import RecurringBillDetector
from detectors._origin import assess
from tests.detectors.catalogue_factories import bills, monthly_bills
from tests.detectors.detector_factories import context


def test_known_manual_records_keep_their_confidence_and_claim() -> None:
    certainty = assess(pd.Series(["manual", "MANUAL "]))
    assert certainty.known_manual
    assert certainty.factor == 1.0
    assert certainty.by_hand(" by hand") == " by hand"
    assert certainty.caveat("invoices") == ""


def test_unknown_origin_names_each_channel_hint_and_lowers_confidence_per_hint() -> None:
    nights = pd.Series(
        [datetime(2024, 3, day, 23, 10) for day in range(1, 7)], dtype="datetime64[ns]"
    )
    certainty = assess(
        pd.Series(["unknown"] * 6),
        number=pd.Series([f"{536365 + n}" for n in range(6)]),
        created_at=nights,
        lines_per_document=pd.Series([12, 9, 14, 7, 22, 10]),
    )
    assert certainty.hints == (
        "order-like numbering",
        "11 lines per document",  # the median
        "created around the clock",
    )
    assert certainty.factor == pytest.approx(0.7 * 0.8**3)
    assert certainty.by_hand(" by hand") == ""
    assert "no origin" in certainty.caveat("orders")


def test_office_hours_short_numbers_and_single_lines_are_no_hints() -> None:
    days = pd.Series(
        [datetime(2024, 3, day, 10, 30) for day in range(4, 9)], dtype="datetime64[ns]"
    )
    certainty = assess(
        pd.Series([None] * 5),
        number=pd.Series(["INV-0041", "INV-0042", "INV-0043", "INV-0044", "INV-0045"]),
        created_at=days,
        lines_per_document=pd.Series([1, 1, 2, 1, 1]),
    )
    assert not certainty.known_manual
    assert certainty.hints == ()
    assert certainty.factor == pytest.approx(0.7)


def test_a_bill_run_without_origins_is_not_said_to_be_keyed_by_hand() -> None:
    rng = np.random.default_rng(1)
    rows = monthly_bills("ven-rent", "Landlord", rng=rng, amount=1200.0)
    rows += monthly_bills("ven-isp", "Fibre Co", rng=rng, amount=45.0, origin="unknown")
    found = {
        c.subject.id: c
        for c in RecurringBillDetector().detect({RecordKind.BILL: bills(rows)}, context())
    }
    known, unknown = found["ven-rent"], found["ven-isp"]
    assert "by hand" in known.title
    assert "by hand" not in unknown.title
    assert "The source does not say how these bills were made" in unknown.summary
    assert unknown.confidence < known.confidence
