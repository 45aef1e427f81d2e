"""Tests for the calendar overload (booked beyond working hours) detector."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from busywork.store.records import RecordKind
from detectors import CalendarOverloadDetector
from tests.detectors.catalogue_factories import overload_rows
from tests.detectors.detector_factories import appointments, context, empty_frames


def overload_frames() -> dict[RecordKind, pd.DataFrame]:
    """One calendar booked eight hours a day, another three."""
    rows = overload_rows("busy@studio.example", hours_per_day=8)
    rows += overload_rows("calm@studio.example", hours_per_day=3)
    return {RecordKind.APPOINTMENT: appointments(rows)}


def test_a_calendar_booked_to_the_brim_is_found_and_a_calm_one_is_not() -> None:
    (finding,) = CalendarOverloadDetector().detect(overload_frames(), context())

    assert finding.subject.type == "calendar"
    assert finding.subject.id == "busy@studio.example"
    assert finding.metrics["weeks"] == 8
    assert finding.metrics["overloaded_weeks"] >= 7
    # Eight of the 8.5 working hours booked each day.
    assert finding.metrics["utilisation"] == pytest.approx(8 / 8.5, abs=0.01)
    assert finding.metrics["internal_share"] == 1.0
    assert finding.hours_saved_per_month > 0
    assert finding.cash_impact_per_month == 0.0


def test_time_outside_working_hours_and_cancelled_meetings_do_not_count() -> None:
    rows = overload_rows("late@studio.example", hours_per_day=8)
    for row in rows:
        row["start_at"] += timedelta(hours=8)  # 17:00 to 18:00 onwards: mostly after hours
        row["end_at"] += timedelta(hours=8)
    frames = {RecordKind.APPOINTMENT: appointments(rows)}
    assert CalendarOverloadDetector().detect(frames, context()) == []
    busy = overload_rows("busy@studio.example", hours_per_day=8)
    for row in busy:
        row["status"] = "cancelled"
    assert (
        CalendarOverloadDetector().detect({RecordKind.APPOINTMENT: appointments(busy)}, context())
        == []
    )


def test_utilisation_threshold_changes_the_outcome() -> None:
    frames = overload_frames()
    assert CalendarOverloadDetector(max_utilisation=0.99).detect(frames, context()) == []
    lenient = CalendarOverloadDetector(max_utilisation=0.3).detect(frames, context())
    assert {c.subject.id for c in lenient} == {"busy@studio.example", "calm@studio.example"}


def test_empty_frame_gives_nothing() -> None:
    detector = CalendarOverloadDetector()
    assert detector.detect(empty_frames(CalendarOverloadDetector), context()) == []


def test_input_is_not_modified() -> None:
    frames = overload_frames()
    before = frames[RecordKind.APPOINTMENT].copy()
    CalendarOverloadDetector().detect(frames, context())
    pd.testing.assert_frame_equal(frames[RecordKind.APPOINTMENT], before)
