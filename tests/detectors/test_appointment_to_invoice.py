"""Tests for the appointment-then-manual-invoice detector."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from busywork.store.records import RecordKind
from detectors import AppointmentToInvoiceDetector
from detectors.base import Candidate
from tests.detectors.detector_factories import (
    TODAY,
    appointment,
    appointment_scenario,
    appointment_series,
    appointments,
    context,
    customer,
    customers,
    empty_frames,
    invoice,
    invoices,
)


def detect(
    appts: list[dict[str, Any]],
    invs: list[dict[str, Any]],
    people: list[dict[str, Any]],
    **params: Any,
) -> list[Candidate]:
    frames = {
        RecordKind.APPOINTMENT: appointments(appts),
        RecordKind.INVOICE: invoices(invs),
        RecordKind.CUSTOMER: customers(people),
    }
    return AppointmentToInvoiceDetector(**params).detect(frames, context())


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.mark.parametrize("seed", range(5))
def test_hand_invoiced_customer_is_found_with_leakage(seed: int) -> None:
    frames = appointment_scenario(seed)

    found = AppointmentToInvoiceDetector().detect(frames, context())

    assert [c.subject.id for c in found] == ["cus-jane"]
    (finding,) = found
    assert finding.subject.name == "Jane Smith"
    appts = frames[RecordKind.APPOINTMENT].query("source_id.str.startswith('cus-jane')")
    invs = frames[RecordKind.INVOICE].query("customer_id == 'cus-jane'")
    assert finding.record_ids == tuple(sorted([*appts["source_id"], *invs["source_id"]]))
    assert "cus-jane-appt-03" in finding.record_ids  # never invoiced: leakage evidence
    assert finding.sources == ("google_calendar", "quickbooks")
    assert finding.period_start == appts["start_at"].min().date()
    assert finding.period_end == invs["issued_on"].max().date()
    assert finding.metrics["pairs"] == 8
    assert finding.metrics["hand_invoices"] == 8
    assert finding.metrics["uninvoiced"] == 2
    assert finding.metrics["automated_pairs"] == 0
    assert finding.metrics["email_match_share"] == 1.0
    assert 0 <= finding.metrics["median_lag_days"] <= 5
    months = ((finding.period_end - finding.period_start).days + 1) / (365.25 / 12)
    assert finding.cash_impact_per_month == pytest.approx(2 * 120.0 / months, abs=0.01)
    assert finding.metrics["leakage_per_month"] == finding.cash_impact_per_month
    assert finding.hours_saved_per_month == pytest.approx(8 / months * 12 / 60, rel=1e-3)
    assert 0.7 <= finding.confidence <= 1.0
    assert "Jane Smith" in finding.title
    assert "8 times" in finding.title
    assert "£" in finding.summary
    assert "Jane Smith" in finding.suggested_automation


def test_integration_invoiced_customer_is_not_reported() -> None:
    appts, invs = appointment_series(
        "cus-a", "Auto Co", "a@example.com", rng=rng(), count=12, invoice_origin="integration"
    )
    assert detect(appts, invs, [customer("cus-a", "Auto Co", "a@example.com")]) == []


def test_internal_attendees_without_customer_are_not_reported() -> None:
    appts, _ = appointment_series(
        "staff", "Team Sync", "team@us.example", rng=rng(), count=30, invoice_origin=None
    )
    # Even with unrelated manual invoices about, nobody matches the attendee.
    _, invs = appointment_series("cus-b", "Bea Ray", "bea@example.com", rng=rng(), count=6)
    assert detect(appts, invs, [customer("cus-b", "Bea Ray", "bea@example.com")]) == []


def test_matching_by_name_with_titles_and_short_first_name() -> None:
    appts, invs = appointment_series(
        "cus-j", "Jonathan Baker", None, rng=rng(1), count=6, attendee_name="Dr. Jon Baker"
    )
    (finding,) = detect(appts, invs, [customer("cus-j", "Jonathan Baker")])
    assert finding.subject.id == "cus-j"
    assert finding.metrics["email_match_share"] == 0.0
    # Two letters are not enough for a prefix match by default.
    for row in appts:
        row["attendee_name"] = "Jo Baker"
    assert detect(appts, invs, [customer("cus-j", "Jonathan Baker")]) == []
    assert len(detect(appts, invs, [customer("cus-j", "Jonathan Baker")], min_prefix_chars=2)) == 1


def test_ambiguous_name_is_not_matched() -> None:
    appts, invs = appointment_series(
        "cus-1", "Sam Lee", None, rng=rng(2), count=6, attendee_email=""
    )
    people = [customer("cus-1", "Sam Lee"), customer("cus-2", "Sam Lee")]
    assert detect(appts, invs, people) == []


def test_email_known_only_from_invoices_matches() -> None:
    appts, invs = appointment_series(
        "cus-k", "Kim Park", "kim@park.example", rng=rng(3), count=6, attendee_name="K."
    )
    (finding,) = detect(appts, invs, [customer("cus-k", "Kim Park", None)])
    assert finding.subject.id == "cus-k"
    assert finding.metrics["email_match_share"] == 1.0


def test_cancelled_and_no_show_appointments_are_ignored() -> None:
    appts, _ = appointment_series(
        "cus-c", "Cal Dee", "cal@example.com", rng=rng(4), count=8, invoice_origin=None
    )
    for index, row in enumerate(appts):
        row["status"] = "cancelled" if index % 2 else "no_show"
    people = [customer("cus-c", "Cal Dee", "cal@example.com")]
    _, other = appointment_series("cus-c", "Cal Dee", "cal@example.com", rng=rng(4), count=8)
    assert detect(appts, other, people) == []


def test_min_pairs_threshold() -> None:
    appts, invs = appointment_series("cus-m", "Mo Ali", "mo@example.com", rng=rng(5), count=5)
    people = [customer("cus-m", "Mo Ali", "mo@example.com")]
    assert detect(appts, invs, people)[0].metrics["pairs"] == 5
    assert detect(appts, invs, people, min_pairs=6) == []


def test_max_lag_threshold() -> None:
    appts, invs = appointment_series(
        "cus-l", "Lu Wen", "lu@example.com", rng=rng(6), count=6, lag_days=(9, 12), every_days=21
    )
    people = [customer("cus-l", "Lu Wen", "lu@example.com")]
    assert len(detect(appts, invs, people)) == 1
    assert detect(appts, invs, people, max_lag_days=7) == []


def test_median_lag_counts_business_days() -> None:
    people = [customer("cus-f", "Fay Friday", "fay@example.com")]
    appts, invs = [], []
    first_friday = date(2024, 9, 6)
    for index in range(5):
        day = first_friday + timedelta(weeks=2 * index)
        appts.append(
            appointment(
                f"a{index}",
                start_at=datetime.combine(day, time(15)),
                attendee_email="fay@example.com",
                attendee_name="Fay Friday",
            )
        )
        # Invoiced the next Monday: three calendar days, one business day.
        invs.append(
            invoice(
                f"i{index}",
                issued_on=day + timedelta(days=3),
                total=90.0,
                customer_id="cus-f",
                customer_name="Fay Friday",
            )
        )
    (finding,) = detect(appts, invs, people)
    assert finding.metrics["median_lag_days"] == 1.0


def test_recent_uninvoiced_appointment_is_not_leakage() -> None:
    appts, invs = appointment_series("cus-r", "Rae Oak", "rae@example.com", rng=rng(7), count=6)
    appts.append(
        appointment(
            "recent",
            start_at=datetime.combine(TODAY - timedelta(days=3), time(10)),
            attendee_email="rae@example.com",
            attendee_name="Rae Oak",
        )
    )
    (finding,) = detect(appts, invs, [customer("cus-r", "Rae Oak", "rae@example.com")])
    assert finding.metrics["uninvoiced"] == 0
    assert "recent" not in finding.record_ids
    assert finding.cash_impact_per_month == 0.0


def test_empty_frames_give_no_candidates() -> None:
    frames = empty_frames(AppointmentToInvoiceDetector)
    assert AppointmentToInvoiceDetector().detect(frames, context()) == []


def test_input_frames_are_not_modified() -> None:
    frames = appointment_scenario(1)
    before = {kind: data.copy() for kind, data in frames.items()}
    AppointmentToInvoiceDetector().detect(frames, context())
    for kind, data in frames.items():
        pd.testing.assert_frame_equal(data, before[kind])


def test_appointment_dates_use_the_business_timezone() -> None:
    people = [customer("cus-t", "Tomo Sato", "tomo@example.com")]
    appts, invs = [], []
    for index in range(4):
        # 20:00 UTC on a Thursday is already Friday morning in Tokyo.
        thursday = date(2024, 9, 5) + timedelta(weeks=2 * index)
        appts.append(
            appointment(
                f"a{index}",
                start_at=datetime.combine(thursday, time(20)),
                attendee_email="tomo@example.com",
                attendee_name="Tomo Sato",
            )
        )
        invs.append(
            invoice(
                f"i{index}",
                issued_on=thursday + timedelta(days=1),
                total=200.0,
                customer_id="cus-t",
                customer_name="Tomo Sato",
            )
        )
    frames = {
        RecordKind.APPOINTMENT: appointments(appts),
        RecordKind.INVOICE: invoices(invs),
        RecordKind.CUSTOMER: customers(people),
    }
    detector = AppointmentToInvoiceDetector()
    (in_utc,) = detector.detect(frames, context())
    (in_tokyo,) = detector.detect(frames, context(timezone="Asia/Tokyo"))
    assert in_utc.metrics["median_lag_days"] == 1.0
    assert in_tokyo.metrics["median_lag_days"] == 0.0
    assert in_tokyo.period_start == date(2024, 9, 6)


def _booked_with_copies(origin_of_copy: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Three Calendly bookings, each invoiced by hand, and the host calendar's copy of each.

    An occasional client: the copies sit in the same calendar export, with the origin the
    store gives a row whose source said nothing about how it was made.
    """
    appts, invs = appointment_series(
        "cus-o", "Ola Nowak", "ola@example.com", rng=rng(8), count=3, lag_days=(0, 1)
    )
    for row in appts:
        row["origin"] = "booking_link"
        row["source"] = "exports"
    copies = [
        {**row, "source_id": f"gcal-{row['source_id']}", "origin": origin_of_copy} for row in appts
    ]
    return [*appts, *copies], invs


@pytest.mark.parametrize("origin_of_copy", ["unknown", ""])
def test_booking_tool_copies_do_not_turn_three_sessions_into_six(origin_of_copy: str) -> None:
    appts, invs = _booked_with_copies(origin_of_copy)
    assert detect(appts, invs, [customer("cus-o", "Ola Nowak", "ola@example.com")]) == []


def test_one_invoice_after_two_rows_of_a_session_counts_once() -> None:
    # Copies the mirror rules cannot tie (both typed by hand): six rows, three invoices typed.
    appts, invs = _booked_with_copies("manual")
    for row in appts:
        row["origin"] = "manual"
    people = [customer("cus-o", "Ola Nowak", "ola@example.com")]
    assert detect(appts, invs, people) == []
    assert len(detect(appts, invs, people, min_pairs=3)) == 1
