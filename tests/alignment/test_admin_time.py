"""Admin time per activity, and findings' hours held within it (numbers checkable by hand)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from alignment.admin_time import (
    ACTIVITIES,
    activity_of,
    admin_time,
    bound_hours,
    non_overlapping_hours,
    time_spent,
)
from busywork.report_view import headline
from busywork.store.records import RecordKind
from detectors.base import DetectionContext
from detectors.registry import detector_classes
from tests.alignment.factories import candidate

AS_OF = datetime(2026, 6, 30, tzinfo=UTC)
CONTEXT = DetectionContext(business="b", as_of=AS_OF)
#: The window is 180 days: 180 / 30.44 months.
MONTHS = 180 / 30.44


def _frames() -> dict[RecordKind, pd.DataFrame]:
    invoices = pd.DataFrame(
        {
            "source": ["x"] * 5,
            "source_id": ["I1", "I2", "I3", "I4", "I5"],
            "origin": ["manual", "manual", "template", "manual", "integration"],
            "issued_on": pd.to_datetime(
                ["2026-04-01", "2026-05-01", "2026-06-01", "2025-01-01", "2026-03-01"]
            ),
            "due_on": pd.to_datetime(
                ["2026-05-01", "2026-05-31", "2026-07-01", "2025-02-01", None]
            ),
            "paid_at": pd.to_datetime(["2026-05-03", None, None, "2025-03-01", "2026-05-01"]),
            "total": [300.0, 600.0, 900.0, 100.0, 50.0],
            "balance": [0.0, 600.0, 900.0, 0.0, 0.0],
            "status": ["paid", "open", "open", "paid", "paid"],
        }
    )
    bills = pd.DataFrame(
        {
            "source": ["x"] * 3,
            "source_id": ["B1", "B2", "B3"],
            "origin": ["manual", "manual", "integration"],
            "issued_on": pd.to_datetime(["2026-03-01", "2026-04-01", "2026-05-01"]),
        }
    )
    starts = ["2026-06-01 09:00", "2026-06-02 09:00", "2026-06-03 09:00"]
    ends = ["2026-06-01 10:30", "2026-06-02 10:00", "2026-06-03 10:00"]
    appointments = pd.DataFrame(
        {
            "source": ["x"] * 3,
            "source_id": ["A1", "A2", "A3"],
            "origin": ["manual", "booking_link", "manual"],
            "start_at": pd.to_datetime(starts),
            "end_at": pd.to_datetime(ends),
            "status": ["confirmed", "confirmed", "cancelled"],
            "attendee_email": [None, "ann@example.com", None],
            "attendee_name": [None, "Ann", None],
        }
    )
    return {
        RecordKind.INVOICE: invoices,
        RecordKind.BILL: bills,
        RecordKind.APPOINTMENT: appointments,
    }


def test_each_activity_is_measured_from_the_records_in_the_window() -> None:
    measured = admin_time(_frames(), CONTEXT)

    # I4 is outside the 180-day window; I3 and I5 were made automatically.
    assert measured["create_invoice"] == pytest.approx(2 * 12 / 60 / MONTHS, abs=1e-4)
    # I1 was paid two days after its due date, I2 is unpaid past its due date, and I5 (no
    # due date: due 30 days after issue, 31 March) was paid on 1 May: three chases.
    # I3 is not due yet.
    assert measured["chase_payment"] == pytest.approx(3 * 10 / 60 / MONTHS, abs=1e-4)
    assert measured["enter_bill"] == pytest.approx(2 * 6 / 60 / MONTHS, abs=1e-4)
    assert measured["approve_bill"] == pytest.approx(3 * 3 / 60 / MONTHS, abs=1e-4)
    # A1 and the cancelled A3 are booked by hand; A3 took no time.
    assert measured["book_appointment"] == pytest.approx(2 * 5 / 60 / MONTHS, abs=1e-4)
    # A1 has no outside attendee: 1.5 h of internal meeting; A3 was cancelled.
    assert measured["internal_meetings"] == pytest.approx(1.5 / MONTHS, abs=1e-4)
    assert "journal_entry" not in measured  # no journals in the data: not measured
    # Reconciling is a bound (every hand-keyed document), so it is no time spent.
    assert measured["reconcile_duplicate"] == pytest.approx(4 * 15 / 60 / MONTHS, abs=1e-4)
    assert time_spent(measured) == pytest.approx(
        (24 + 30 + 12 + 9 + 10 + 90) / 60 / MONTHS, abs=1e-3
    )


def test_a_finding_never_saves_more_than_its_activity_takes() -> None:
    measured = {"chase_payment": 3.0, "create_invoice": 10.0}
    slow = candidate("slow_collection", "B", hours_saved_per_month=86.6)
    recurring = candidate("recurring_invoice", "C", hours_saved_per_month=0.5)
    booking = candidate("manual_scheduling", "D", hours_saved_per_month=1.0)

    bounded = bound_hours([slow, recurring, booking], measured)

    assert bounded[0].hours_saved_per_month == 3.0
    assert bounded[0].metrics["hours_before_bound"] == 86.6
    assert bounded[1] == recurring  # within bounds: untouched
    # No appointments measured, so no booking time can be saved.
    assert bounded[2].hours_saved_per_month == 0.0


def test_same_activity_findings_add_once_and_within_the_measured_time() -> None:
    business = frozenset({"I1", "I2", "I3"})
    items = [
        ("slow_collection", 2.0, business),
        ("payment_reminders", 1.5, frozenset({"I2"})),  # inside the business-wide finding
        ("payment_reminders", 1.0, frozenset({"I9"})),
        ("recurring_invoice", 0.5, business),  # keying the invoices is another activity
    ]

    assert non_overlapping_hours(items, None) == {"chase_payment": 3.0, "create_invoice": 0.5}
    assert non_overlapping_hours(items, {"chase_payment": 2.5, "create_invoice": 4.0}) == {
        "chase_payment": 2.5,
        "create_invoice": 0.5,
    }


def test_every_detector_names_an_activity_that_is_measured() -> None:
    for kind in detector_classes():
        assert activity_of(kind) in ACTIVITIES, f"{kind} names no measured activity"


def test_the_report_headline_adds_per_activity_within_the_measured_time() -> None:
    def rec(kind: str, hours: float, ids: list[str]) -> dict[str, object]:
        return {
            "kind": kind,
            "impact": {"hours_saved_per_month": hours, "cash_impact": 0.0},
            "evidence": {"record_ids": ids},
        }

    doc = {
        "currency": "GBP",
        "admin_time": {"chase_payment": 5.0, "create_invoice": 20.0, "internal_meetings": 1.0},
    }
    recs = [
        rec("slow_collection", 5.0, ["I1", "I2"]),
        rec("payment_reminders", 2.0, ["I2"]),  # same chasing as the business-wide finding
        rec("recurring_invoice", 4.0, ["I1"]),
        rec("calendar_overload", 3.0, ["A1"]),  # more than the 1 h of internal meetings
    ]

    words = headline(recs, doc)

    # 5 (chasing) + 4 (keying) + 1 (meetings, capped from 3) = 10 h: shown as 7.5–12 h.
    assert words["hours"] == "7.5–12 h a month"
    assert words["capped"] == "capped at the 26 admin hours a month measured in your data"


def test_a_meeting_is_internal_only_without_an_address_and_without_a_name() -> None:
    starts = pd.to_datetime(["2026-06-01 09:00"] * 5)
    appointments = pd.DataFrame(
        {
            "source": ["x"] * 5,
            "source_id": ["A1", "A2", "A3", "A4", "A5"],
            "start_at": starts,
            "end_at": starts + pd.to_timedelta([1, 2, 4, 8, 16], unit="h"),
            "attendee_email": [None, "  ", None, "ann@example.com", ""],
            "attendee_name": [None, None, "Bob", None, " \t"],
        }
    )
    measured = admin_time({RecordKind.APPOINTMENT: appointments}, CONTEXT)
    # A1, A2 (an address of spaces) and A5 (blank both) have nobody from outside.
    assert measured["internal_meetings"] == pytest.approx((1 + 2 + 16) / MONTHS, abs=1e-4)
