"""Tests for the no-show reminders (missed and late-cancelled appointments) detector."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from busywork.store.records import RecordKind
from detectors import NoShowRemindersDetector
from detectors.no_show_reminders import wilson_lower
from tests.detectors.catalogue_factories import cancel_late, no_show_scenario, sessions
from tests.detectors.detector_factories import appointments, context, empty_frames


def test_a_calendar_with_many_no_shows_is_found() -> None:
    (finding,) = NoShowRemindersDetector().detect(no_show_scenario(), context())

    assert finding.subject.type == "calendar"
    assert finding.subject.id == "clinic-a"
    assert finding.record_ids == tuple(sorted(f"clinic-a-{n:03d}" for n in range(20)))
    assert finding.metrics["miss_rate"] == pytest.approx(20 / 60, abs=1e-4)
    assert finding.metrics["no_shows"] == 20
    assert finding.metrics["miss_rate_lower"] < finding.metrics["miss_rate"]
    # Twenty one-hour sessions lost, at the admin rate, spread over the months covered.
    assert finding.cash_impact_per_month > 0
    assert finding.hours_saved_per_month > 0


def test_late_cancellations_count_and_early_ones_do_not() -> None:
    rows = sessions("clinic-d", count=40, misses=0)
    for index, row in enumerate(rows[:16]):
        notice = timedelta(hours=3) if index < 12 else timedelta(days=3)
        row.update(status="cancelled", cancelled_at=row["start_at"] - notice)
    frames = {RecordKind.APPOINTMENT: appointments(rows)}
    (finding,) = NoShowRemindersDetector(min_miss_rate=0.1).detect(frames, context())
    assert finding.metrics["late_cancellations"] == 12
    assert len(finding.record_ids) == 12


def test_booking_link_appointments_count_like_any_other() -> None:
    # A booking link does not prove reminders go out; the misses are just as real.
    rows = sessions("online", count=60, misses=20, origin="booking_link")
    frames = {RecordKind.APPOINTMENT: appointments(rows)}
    (finding,) = NoShowRemindersDetector().detect(frames, context())
    assert finding.subject.id == "online"
    assert finding.metrics["no_shows"] == 20


@pytest.mark.parametrize(("by", "found"), [("host", False), ("invitee", True), (None, True)])
def test_late_cancellations_by_the_host_are_not_client_misses(by: str | None, found: bool) -> None:
    rows = sessions("clinic-c", count=60, misses=0)
    cancel_late(rows, 20, by=by)
    frames = {RecordKind.APPOINTMENT: appointments(rows)}
    findings = NoShowRemindersDetector().detect(frames, context())
    assert bool(findings) is found
    if found:
        assert findings[0].metrics["late_cancellations"] == 20
        assert findings[0].metrics["appointments"] == 60


def test_host_cancellations_leave_the_denominator() -> None:
    rows = sessions("clinic-e", count=60, misses=20)
    cancel_late(rows[20:], 20, by="host")
    frames = {RecordKind.APPOINTMENT: appointments(rows)}
    (finding,) = NoShowRemindersDetector().detect(frames, context())
    assert finding.metrics["appointments"] == 40
    assert finding.metrics["miss_rate"] == pytest.approx(0.5)


def test_rate_threshold_changes_the_outcome() -> None:
    frames = no_show_scenario()
    assert NoShowRemindersDetector(min_miss_rate=0.4).detect(frames, context()) == []
    lenient = NoShowRemindersDetector(min_miss_rate=0.01).detect(frames, context())
    assert {c.subject.id for c in lenient} == {"clinic-a", "clinic-b"}


def test_few_appointments_are_not_enough() -> None:
    frames = {RecordKind.APPOINTMENT: appointments(sessions("tiny", count=8, misses=4))}
    assert NoShowRemindersDetector().detect(frames, context()) == []
    assert NoShowRemindersDetector(min_appointments=5).detect(frames, context())


def test_wilson_bound_is_below_the_rate_and_tightens_with_data() -> None:
    rate = pd.Series([0.2, 0.2])
    small, large = wilson_lower(rate, pd.Series([20.0, 2000.0]))
    assert small < large < 0.2


def test_empty_frame_gives_nothing() -> None:
    detector = NoShowRemindersDetector()
    assert detector.detect(empty_frames(NoShowRemindersDetector), context()) == []


def test_input_is_not_modified() -> None:
    frames = no_show_scenario()
    before = frames[RecordKind.APPOINTMENT].copy()
    NoShowRemindersDetector().detect(frames, context())
    pd.testing.assert_frame_equal(frames[RecordKind.APPOINTMENT], before)
