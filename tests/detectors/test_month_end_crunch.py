"""Tests for the month-end crunch (manual journals bunched at period end) detector."""

from __future__ import annotations

import pandas as pd

from busywork.store.records import RecordKind
from detectors import MonthEndCrunchDetector
from tests.detectors.catalogue_factories import crunch_rows, journals
from tests.detectors.detector_factories import context, empty_frames


def frames_for(*, crunch: bool, origin: str = "manual") -> dict[RecordKind, pd.DataFrame]:
    rows = [{**row, "origin": origin} for row in crunch_rows(crunch=crunch)]
    return {RecordKind.JOURNAL_ENTRY: journals(rows)}


def test_journals_keyed_after_month_end_are_a_crunch() -> None:
    frames = frames_for(crunch=True)
    (finding,) = MonthEndCrunchDetector().detect(frames, context())

    assert finding.subject.type == "business"
    assert finding.metrics["lift"] >= 2.0
    assert finding.metrics["period_end_share"] > 0.7
    assert 0.2 < finding.metrics["expected_share"] < 0.45
    assert len(finding.record_ids) == finding.metrics["period_end_entries"]
    assert finding.hours_saved_per_month > 0


def test_evenly_spread_or_automated_journals_are_not() -> None:
    assert MonthEndCrunchDetector().detect(frames_for(crunch=False), context()) == []
    automated = frames_for(crunch=True, origin="integration")
    assert MonthEndCrunchDetector().detect(automated, context()) == []


def test_lift_threshold_changes_the_outcome() -> None:
    frames = frames_for(crunch=True)
    assert MonthEndCrunchDetector(min_lift=4.0).detect(frames, context()) == []
    assert MonthEndCrunchDetector(min_entries=500).detect(frames, context()) == []


def test_created_at_missing_falls_back_to_the_posting_date() -> None:
    frames = frames_for(crunch=True)
    frames[RecordKind.JOURNAL_ENTRY] = frames[RecordKind.JOURNAL_ENTRY].assign(
        created_at=pd.Series(pd.NaT, index=frames[RecordKind.JOURNAL_ENTRY].index)
    )
    assert MonthEndCrunchDetector().detect(frames, context()) == []


def test_empty_frame_gives_nothing() -> None:
    detector = MonthEndCrunchDetector()
    assert detector.detect(empty_frames(MonthEndCrunchDetector), context()) == []


def test_input_is_not_modified() -> None:
    frames = frames_for(crunch=True)
    before = frames[RecordKind.JOURNAL_ENTRY].copy()
    MonthEndCrunchDetector().detect(frames, context())
    pd.testing.assert_frame_equal(frames[RecordKind.JOURNAL_ENTRY], before)
