"""Tests for the manual scheduling (same slot booked one at a time) detector."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pandas as pd

from busywork.store.records import RecordKind
from detectors import ManualSchedulingDetector
from tests.detectors.catalogue_factories import scheduling_scenario, weekly
from tests.detectors.detector_factories import (
    TODAY,
    appointment,
    appointments,
    context,
    empty_frames,
)


def test_weekly_hand_bookings_are_found_and_series_link_and_random_are_not() -> None:
    (finding,) = ManualSchedulingDetector().detect(scheduling_scenario(), context())

    assert finding.subject.type == "attendee"
    assert finding.subject.id == "ann@example.com"
    assert finding.subject.name == "Ann Lee"
    assert finding.metrics["occurrences"] == 11
    assert finding.metrics["slot_share"] == 1.0
    assert finding.metrics["slot_weekday"] == 1.0  # Tuesday
    assert finding.metrics["slot_minute"] == 600.0  # 10:00
    assert "Tuesdays at 10:00" in finding.title
    assert finding.hours_saved_per_month > 0


def test_the_slot_is_local_time_across_a_clock_change() -> None:
    # 10:00 in London is 09:00 UTC in summer and 10:00 UTC in winter.
    rows = []
    for week in range(12):
        day = datetime(2024, 9, 3) + timedelta(weeks=week)
        hour = 9 if day < datetime(2024, 10, 27) else 10
        rows.append(
            appointment(
                f"s{week}",
                start_at=day.replace(hour=hour),
                attendee_email="ann@example.com",
                attendee_name="Ann Lee",
            )
        )
    frames = {RecordKind.APPOINTMENT: appointments(rows)}
    in_london = context(timezone="Europe/London", as_of=datetime(2024, 11, 30, 12))
    (finding,) = ManualSchedulingDetector().detect(frames, in_london)
    assert finding.metrics["slot_share"] == 1.0
    assert finding.metrics["slot_minute"] == 600.0
    in_utc = context(as_of=datetime(2024, 11, 30, 12))
    assert ManualSchedulingDetector().detect(frames, in_utc) == []


def test_slot_share_is_a_threshold() -> None:
    rows = weekly("ann@example.com", "Ann Lee", skip=())
    for row in rows[::3]:
        row["start_at"] += timedelta(hours=4)
        row["end_at"] += timedelta(hours=4)
    frames = {RecordKind.APPOINTMENT: appointments(rows)}
    assert ManualSchedulingDetector().detect(frames, context()) == []
    assert ManualSchedulingDetector(min_slot_share=0.6).detect(frames, context())


def test_a_stopped_run_is_not_reported() -> None:
    rows = weekly("ann@example.com", "Ann Lee")
    for row in rows:
        row["start_at"] -= timedelta(weeks=10)
        row["end_at"] -= timedelta(weeks=10)
    frames = {RecordKind.APPOINTMENT: appointments(rows)}
    assert ManualSchedulingDetector().detect(frames, context()) == []
    assert datetime.combine(TODAY, time()) > max(r["start_at"] for r in rows)


def test_empty_frame_gives_nothing() -> None:
    detector = ManualSchedulingDetector()
    assert detector.detect(empty_frames(ManualSchedulingDetector), context()) == []


def test_input_is_not_modified() -> None:
    frames = scheduling_scenario()
    before = frames[RecordKind.APPOINTMENT].copy()
    ManualSchedulingDetector().detect(frames, context())
    pd.testing.assert_frame_equal(frames[RecordKind.APPOINTMENT], before)
