"""Tests for the recurring manual invoice detector."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from busywork.store.records import RecordKind
from detectors import RecurringInvoiceDetector
from detectors.base import Candidate
from tests.detectors.detector_factories import (
    TODAY,
    background_customers,
    context,
    customer,
    customers,
    empty_frames,
    invoices,
    irregular_customer,
    recurring_run,
    recurring_scenario,
)

MONTH = 365.25 / 12


def detect(rows: list[dict[str, Any]], **params: Any) -> list[Candidate]:
    frames = {RecordKind.INVOICE: invoices(rows)}
    return RecurringInvoiceDetector(**params).detect(frames, context())


@pytest.mark.parametrize("seed", range(6))
def test_planted_monthly_customer_is_found_among_decoys(seed: int) -> None:
    frames = recurring_scenario(seed)
    found = RecurringInvoiceDetector().detect(frames, context())

    assert [c.subject.id for c in found] == ["cus-acme"]
    (finding,) = found
    acme = frames[RecordKind.INVOICE].query("customer_id == 'cus-acme'")
    assert finding.record_ids == tuple(sorted(acme["source_id"]))
    assert len(finding.record_ids) == 11  # 12 periods, one skipped
    assert finding.sources == ("quickbooks",)
    assert finding.period_start == acme["issued_on"].min().date()
    assert finding.period_end == acme["issued_on"].max().date()
    assert finding.subject.name == "Acme Ltd"
    assert finding.metrics["cadence_days"] == pytest.approx(MONTH, abs=0.01)
    assert finding.metrics["occurrences"] == 11
    assert finding.metrics["skipped_periods"] == 1
    assert finding.metrics["regular_share"] >= 0.8
    assert finding.metrics["amount_cv"] <= 0.15
    assert 430 <= finding.metrics["typical_amount"] <= 500
    # about one invoice a month at 12 minutes each
    assert 0.85 <= finding.metrics["invoices_per_month"] <= 1.0
    assert finding.hours_saved_per_month == pytest.approx(
        finding.metrics["invoices_per_month"] * 12 / 60, rel=1e-3
    )
    assert finding.cash_impact_per_month == 0.0
    assert 0.7 <= finding.confidence <= 1.0
    assert "Acme Ltd" in finding.title
    assert "month" in finding.title
    assert "11 times" in finding.title
    assert "£" in finding.title
    assert "Acme Ltd" in finding.suggested_automation
    assert "Repeating invoices" in finding.suggested_automation


@pytest.mark.parametrize(("cadence", "jitter"), [(7.0, 1), (14.0, 1), (MONTH, 3), (365.25 / 4, 3)])
def test_each_cadence_is_recognised(cadence: float, jitter: int) -> None:
    rng = np.random.default_rng(3)
    rows = recurring_run("cus-x", "X Ltd", rng=rng, cadence_days=cadence, jitter_days=jitter)

    (finding,) = detect(rows)

    assert finding.metrics["cadence_days"] == pytest.approx(cadence, abs=0.01)
    assert finding.metrics["invoices_per_month"] == pytest.approx(MONTH / cadence, rel=0.1)


@pytest.mark.parametrize("origin", ["template", "subscription", "recurring", "integration"])
def test_automated_invoices_are_not_reported(origin: str) -> None:
    rng = np.random.default_rng(1)
    assert detect(recurring_run("cus-t", "T Ltd", rng=rng, origin=origin)) == []


def test_unknown_origin_counts_as_manual() -> None:
    rng = np.random.default_rng(1)
    assert len(detect(recurring_run("cus-u", "U Ltd", rng=rng, origin="unknown"))) == 1


@pytest.mark.parametrize("seed", range(20))
def test_irregular_manual_customer_is_not_reported(seed: int) -> None:
    rng = np.random.default_rng(seed)
    assert detect(irregular_customer("cus-odd", "Odd Ltd", rng=rng, count=16)) == []


@pytest.mark.parametrize("seed", range(10))
def test_background_one_off_customers_are_not_reported(seed: int) -> None:
    assert detect(background_customers(np.random.default_rng(seed), count=40)) == []


def test_void_invoices_are_ignored() -> None:
    rows = recurring_run("cus-v", "V Ltd", rng=np.random.default_rng(2))
    for row in rows:
        row["status"] = "void"
    assert detect(rows) == []


def test_run_that_stopped_is_not_reported() -> None:
    rows = recurring_run(
        "cus-old", "Old Ltd", rng=np.random.default_rng(2), end=TODAY - timedelta(days=150)
    )
    assert detect(rows) == []
    assert len(detect(rows, max_idle_periods=6)) == 1


def test_varying_amounts_are_not_reported_unless_allowed() -> None:
    rows = recurring_run("cus-n", "N Ltd", rng=np.random.default_rng(4), noise=0.45)
    assert detect(rows) == []
    assert len(detect(rows, max_amount_cv=0.8)) == 1


def test_min_occurrences_threshold() -> None:
    rows = recurring_run("cus-s", "S Ltd", rng=np.random.default_rng(5), periods=7)
    assert detect(rows)[0].metrics["occurrences"] == 7
    assert detect(rows, min_occurrences=8) == []


def test_min_regular_share_threshold() -> None:
    rows = recurring_run("cus-r", "R Ltd", rng=np.random.default_rng(6), jitter_days=0)
    # Move two invoices 12 days earlier: four of eleven gaps go off schedule.
    for row in (rows[3], rows[8]):
        row["issued_on"] -= timedelta(days=12)
    (finding,) = detect(rows, min_regular_share=0.6)
    assert finding.metrics["regular_share"] == pytest.approx(7 / 11, abs=1e-3)
    assert detect(rows) == []


def test_earlier_unrelated_invoices_do_not_hide_the_current_run() -> None:
    rng = np.random.default_rng(7)
    rows = recurring_run("cus-h", "H Ltd", rng=rng, periods=8)
    start = min(row["issued_on"] for row in rows)
    for index, days in enumerate((400, 330, 200)):
        rows += recurring_run(
            "cus-h", "H Ltd", rng=rng, periods=1, amount=2000 + index, end=start - timedelta(days)
        )
        rows[-1]["source_id"] = f"old-{index}"
    (finding,) = detect(rows)
    assert finding.metrics["occurrences"] == 8
    assert not any(record.startswith("old-") for record in finding.record_ids)


def test_customer_without_id_is_keyed_by_name() -> None:
    rows = recurring_run("cus-z", "Zed & Co.", rng=np.random.default_rng(8))
    for row in rows:
        row["customer_id"] = None
    (finding,) = detect(rows)
    assert finding.subject.id is None
    assert finding.subject.name == "Zed & Co."


def test_minutes_per_task_override_scales_hours() -> None:
    rows = recurring_run("cus-m", "M Ltd", rng=np.random.default_rng(9))
    frames = {RecordKind.INVOICE: invoices(rows)}
    default = RecurringInvoiceDetector().detect(frames, context())[0]
    slower = RecurringInvoiceDetector().detect(
        frames, context(minutes_per_task={"create_invoice": 30.0})
    )[0]
    assert slower.hours_saved_per_month == pytest.approx(
        default.hours_saved_per_month * 2.5, rel=1e-3
    )


def test_empty_frame_gives_no_candidates() -> None:
    assert (
        RecurringInvoiceDetector().detect(empty_frames(RecurringInvoiceDetector), context()) == []
    )


def test_input_frame_is_not_modified() -> None:
    frames = recurring_scenario(1)
    before = frames[RecordKind.INVOICE].copy()
    RecurringInvoiceDetector().detect(frames, context())
    pd.testing.assert_frame_equal(frames[RecordKind.INVOICE], before)


def keyed_twice(second_email: str) -> dict[RecordKind, pd.DataFrame]:
    """A monthly client whose every other invoice went to a second id with a typo'd name."""
    rows = recurring_run("cus-pine", "Pine Hill Dental", rng=np.random.default_rng(5))
    for row in rows[1::2]:
        row.update(customer_id="cus-pine-B", customer_name="Pine Hill Dnetal")  # cosine ~0.79
    book = [
        customer("cus-pine", "Pine Hill Dental", "desk@pinehill.example"),
        customer("cus-pine-B", "Pine Hill Dnetal", second_email),
    ]
    return {RecordKind.INVOICE: invoices(rows), RecordKind.CUSTOMER: customers(book)}


def test_a_client_keyed_twice_with_one_email_is_one_recurring_customer() -> None:
    frames = keyed_twice("desk@pinehill.example")

    (finding,) = RecurringInvoiceDetector().detect(frames, context())

    assert finding.subject.id == "cus-pine"  # the first id: the stable id does not move
    assert finding.subject.name == "Pine Hill Dental"
    assert finding.subject.alt_ids == ("quickbooks:cus-pine-B",)
    assert finding.record_ids == tuple(sorted(frames[RecordKind.INVOICE]["source_id"]))
    (link,) = finding.links
    assert (link.left, link.right, link.method) == (
        "quickbooks:cus-pine",
        "quickbooks:cus-pine-B",
        "name",
    )
    assert 0.7 <= link.score < 0.85


def test_two_clients_with_similar_names_and_their_own_emails_stay_apart() -> None:
    frames = keyed_twice("reception@pinehilldnetal.example")

    found = RecurringInvoiceDetector().detect(frames, context())

    assert all(not finding.subject.alt_ids and not finding.links for finding in found)
    assert all(len(finding.record_ids) <= 6 for finding in found)
