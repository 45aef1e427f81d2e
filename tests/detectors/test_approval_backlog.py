"""Tests for the approval backlog (bills waiting for approval) detector."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from busywork.store.records import RecordKind
from detectors import ApprovalBacklogDetector
from tests.detectors.catalogue_factories import backlog_bills, bills
from tests.detectors.detector_factories import TODAY, context, empty_frames


def frames_for(stuck_days: int, origin: str = "manual") -> dict[RecordKind, pd.DataFrame]:
    rows = [{**row, "origin": origin} for row in backlog_bills(stuck_days=stuck_days)]
    return {RecordKind.BILL: bills(rows)}


def test_a_growing_queue_is_found() -> None:
    frames = frames_for(30)
    (finding,) = ApprovalBacklogDetector().detect(frames, context())

    waiting = frames[RecordKind.BILL]
    waiting = waiting[waiting["status"] == "awaiting_approval"]
    assert finding.subject.type == "business"
    assert finding.record_ids == tuple(sorted(waiting["source_id"]))
    assert finding.metrics["waiting"] == len(waiting)
    assert finding.metrics["waiting_amount"] == pytest.approx(waiting["total"].sum(), abs=0.01)
    assert finding.metrics["queue_growth"] == len(waiting)
    assert finding.metrics["median_wait_days"] >= 5
    overdue = waiting[waiting["due_on"] < pd.Timestamp(TODAY)]["total"].sum()
    assert finding.metrics["overdue_amount"] == pytest.approx(overdue, abs=0.01)
    assert finding.cash_impact_per_month == pytest.approx(overdue * 0.02, abs=0.01)
    # Little's law: the queue over the arrival rate.
    rate = finding.metrics["arrivals"] / 90
    assert finding.metrics["littles_law_wait_days"] == pytest.approx(len(waiting) / rate, 0.01)


def test_bills_approved_promptly_or_by_rule_are_not_a_backlog() -> None:
    assert ApprovalBacklogDetector().detect(frames_for(1), context()) == []
    assert ApprovalBacklogDetector().detect(frames_for(30, "recurring"), context()) == []


def test_wait_threshold_changes_the_outcome() -> None:
    frames = frames_for(12)
    assert ApprovalBacklogDetector().detect(frames, context()) == []
    assert ApprovalBacklogDetector(min_wait_days=3).detect(frames, context())


def test_waits_are_counted_in_business_days() -> None:
    frames = frames_for(30)
    detector = ApprovalBacklogDetector(min_wait_days=1)
    (plain,) = detector.detect(frames, context())
    holidays = tuple(TODAY - timedelta(days=n) for n in range(1, 15))
    with_holidays = context(calendar=context().calendar.__class__(holidays=holidays))
    (fewer,) = detector.detect(frames, with_holidays)
    assert fewer.metrics["median_wait_days"] < plain.metrics["median_wait_days"]


def test_empty_frame_gives_nothing() -> None:
    detector = ApprovalBacklogDetector()
    assert detector.detect(empty_frames(ApprovalBacklogDetector), context()) == []


def test_input_is_not_modified() -> None:
    frames = frames_for(30)
    before = frames[RecordKind.BILL].copy()
    ApprovalBacklogDetector().detect(frames, context())
    pd.testing.assert_frame_equal(frames[RecordKind.BILL], before)
