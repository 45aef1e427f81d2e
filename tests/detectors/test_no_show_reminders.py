"""Tests for the no-show reminders (missed and late-cancelled appointments) detector."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from busywork.store.records import RecordKind
from detectors import NoShowRemindersDetector
from detectors.no_show_reminders import wilson_lower
from tests.detectors.catalogue_factories import cancel_late, no_show_scenario, sessions
from tests.detectors.detector_factories import (
    TODAY,
    appointment,
    appointments,
    context,
    empty_frames,
)


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
        row.update(
            status="cancelled", cancelled_at=row["start_at"] - notice, cancelled_by="invitee"
        )
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


@pytest.mark.parametrize(("by", "found"), [("host", False), ("invitee", True), (None, False)])
def test_late_cancellations_by_the_host_are_not_client_misses(by: str | None, found: bool) -> None:
    # Nor are those whose source does not say who cancelled: the host may have.
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


def _client(
    email: str, name: str, *, count: int, misses: int, calendar: str = "work", start: int = 0
) -> list[dict[str, object]]:
    """``count`` weekly sessions of one client, the first ``misses`` of them no-shows."""
    first = datetime.combine(TODAY, datetime.min.time()) - timedelta(weeks=count, hours=-10)
    return [
        {**appointment(f"{email}-{n:02d}", start_at=first + timedelta(weeks=n, hours=start),
                       attendee_email=email, attendee_name=name,
                       status="no_show" if n < misses else "confirmed"), "calendar": calendar}
        for n in range(count)
    ]  # fmt: skip


def test_a_client_who_misses_a_quarter_of_sessions_is_found_by_name() -> None:
    rows = _client("ann@example.com", "Ann Lee", count=16, misses=4)
    for index in range(12):  # the rest of the practice turns up
        rows += _client(f"c{index}@example.com", f"Client {index}", count=8, misses=0, start=1)
    frames = {RecordKind.APPOINTMENT: appointments(rows)}
    findings = NoShowRemindersDetector().detect(frames, context())
    (finding,) = [f for f in findings if f.subject.type == "attendee"]
    assert finding.subject.id == "ann@example.com"
    assert finding.subject.name == "Ann Lee"
    assert finding.subject.alt_ids == ("email:ann@example.com", "name:ann lee")
    assert finding.metrics["miss_rate"] == 0.25
    assert finding.metrics["others_miss_rate"] == 0.0
    assert len(finding.record_ids) == 4
    assert "Ann Lee" in finding.title
    # 4 misses of 112 sessions: the calendar as a whole is fine.
    assert [f.subject.type for f in findings] == ["attendee"]


def test_nobody_is_singled_out_where_everyone_misses_as_often() -> None:
    rows: list[dict[str, object]] = []
    for index in range(10):
        rows += _client(f"c{index}@example.com", f"Client {index}", count=12, misses=4,
                        start=index % 3)  # fmt: skip
    frames = {RecordKind.APPOINTMENT: appointments(rows)}
    findings = NoShowRemindersDetector().detect(frames, context())
    assert [f.subject.type for f in findings] == ["calendar"]


def test_a_booking_and_its_calendar_copy_count_once_for_a_client() -> None:
    rows = _client("ann@example.com", "Ann Lee", count=16, misses=4)
    # Calendly knows the no-shows; the Google copies it wrote all look "confirmed".
    copies = [
        {**row, "source": "calendly", "source_id": f"cal-{row['source_id']}",
         "origin": "booking_link", "mirror_id": row["source_id"]}
        for row in rows
    ]  # fmt: skip
    for row in rows:
        row.update(status="confirmed", origin="booking_link")
    for index in range(12):
        rows += _client(f"c{index}@example.com", f"Client {index}", count=8, misses=0, start=1)
    frames = {RecordKind.APPOINTMENT: appointments(rows + copies)}
    (finding,) = NoShowRemindersDetector().detect(frames, context())
    assert finding.metrics["appointments"] == 16
    assert finding.metrics["miss_rate"] == 0.25


def test_unattributed_late_cancellations_stay_in_the_count_and_are_said() -> None:
    rows = sessions("clinic-f", count=60, misses=20)
    cancel_late(rows[20:], 10, by=None)
    frames = {RecordKind.APPOINTMENT: appointments(rows)}
    (finding,) = NoShowRemindersDetector().detect(frames, context())
    assert finding.metrics["appointments"] == 60
    assert finding.metrics["unattributed_late_cancellations"] == 10
    assert finding.metrics["miss_rate"] == pytest.approx(20 / 60, abs=1e-4)
    assert "without the calendar saying by whom: 10 more appointments" in finding.summary


def _practice(calendar: str, staff: str, client: str) -> list[dict[str, object]]:
    """Twelve clients who turn up, plus a member of staff's 1:1s, a quarter of them missed."""
    rows = _client(staff, "Deepa Rao", count=16, misses=4, calendar=calendar)
    rows += _client(client, "Ann Lee", count=16, misses=4, calendar=calendar, start=2)
    for index in range(12):
        rows += _client(f"c{index}@example.com", f"Client {index}", count=8, misses=0,
                        calendar=calendar, start=1)  # fmt: skip
    return rows


def test_a_colleague_on_the_business_s_own_domain_is_not_a_client() -> None:
    rows = _practice("arjun@kestrelphysio.co.uk", "deepa@kestrelphysio.co.uk", "ann@example.com")
    frames = {RecordKind.APPOINTMENT: appointments(rows)}

    findings = NoShowRemindersDetector().detect(frames, context())

    assert [f.subject.id for f in findings if f.subject.type == "attendee"] == ["ann@example.com"]


@pytest.mark.parametrize("domain", ["gmail.com", "hotmail.co.uk", "yahoo.fr", "icloud.com"])
def test_clients_on_the_owner_s_free_mail_domain_are_still_clients(domain: str) -> None:
    rows = _practice(f"arjun@{domain}", f"deepa@{domain}", "ann@example.com")
    frames = {RecordKind.APPOINTMENT: appointments(rows)}

    findings = NoShowRemindersDetector().detect(frames, context())

    assert sorted(f.subject.id or "" for f in findings if f.subject.type == "attendee") == [
        "ann@example.com",
        f"deepa@{domain}",
    ]
