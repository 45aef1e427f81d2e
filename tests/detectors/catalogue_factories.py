"""Builders for the detector catalogue's scenarios: bills, journals and calendars."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind
from detectors.base import Detector
from tests.detectors.detector_factories import (
    BUSINESS,
    SCENARIOS,
    TODAY,
    appointment,
    appointment_series,
    appointments,
    customer,
    customers,
    frame,
    generic_frames,
    invoice,
    invoices,
)

BILL_COLUMNS = (
    "business",
    "source",
    "source_id",
    "origin",
    "created_at",
    "vendor_id",
    "vendor_name",
    "number",
    "status",
    "issued_on",
    "due_on",
    "approved_at",
    "paid_at",
    "total",
    "currency",
    "description",
)
JOURNAL_COLUMNS = (
    "business",
    "source",
    "source_id",
    "origin",
    "created_at",
    "posted_on",
    "accounts",
    "amount",
    "currency",
    "memo",
    "debit_account_id",
    "debit_account",
)


def bill(
    source_id: str,
    *,
    issued_on: date,
    total: float,
    vendor_id: str | None = "ven-1",
    vendor_name: str | None = "Harbour Estates",
    origin: str = "manual",
    status: str = "paid",
    number: str | None = None,
    created_at: datetime | None = None,
    approved_at: datetime | None = None,
    due_on: date | None = None,
    description: str | None = "Office rent",
    source: str = "xero",
) -> dict[str, Any]:
    """One bill record as a row dict (created the day it was issued unless told)."""
    created = created_at or datetime.combine(issued_on, time(10, 0))
    approved = approved_at
    if approved is None and status in ("approved", "paid"):
        approved = created + timedelta(hours=20)
    return {
        "business": BUSINESS, "source": source, "source_id": source_id, "origin": origin,
        "created_at": created, "vendor_id": vendor_id, "vendor_name": vendor_name,
        "number": number or source_id, "status": status, "issued_on": issued_on,
        "due_on": due_on or issued_on + timedelta(days=14), "approved_at": approved,
        "paid_at": approved + timedelta(days=5) if status == "paid" and approved else None,
        "total": total, "currency": "GBP", "description": description,
    }  # fmt: skip


def bills(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A bill frame."""
    return frame(rows, BILL_COLUMNS)


def journal(
    source_id: str,
    *,
    posted_on: date,
    accounts: str,
    amount: float,
    origin: str = "manual",
    created_at: datetime | None = None,
    memo: str | None = None,
    debit_account_id: str | None = None,
    debit_account: str | None = None,
    source: str = "xero",
) -> dict[str, Any]:
    """One journal entry as a row dict (keyed the day it is dated unless told)."""
    return {
        "business": BUSINESS, "source": source, "source_id": source_id, "origin": origin,
        "created_at": created_at or datetime.combine(posted_on, time(11, 0)),
        "posted_on": posted_on, "accounts": accounts, "amount": amount, "currency": "GBP",
        "memo": memo, "debit_account_id": debit_account_id, "debit_account": debit_account,
    }  # fmt: skip


def journals(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A journal entry frame."""
    return frame(rows, JOURNAL_COLUMNS)


def monthly_bills(
    vendor_id: str,
    name: str,
    *,
    rng: np.random.Generator,
    months: int = 14,
    amount: float,
    spread: float = 0.0,
    origin: str = "manual",
    day: int = 1,
    irregular: bool = False,
) -> list[dict[str, Any]]:
    """A vendor's bills every month (or at random gaps when ``irregular``)."""
    rows = []
    issued = date(TODAY.year - 1, TODAY.month, day) - timedelta(days=30 * (months - 13))
    for index in range(months):
        if irregular:
            issued += timedelta(days=int(rng.integers(5, 70)))
        else:
            month = (issued.month % 12) + 1 if index else issued.month
            year = issued.year + (1 if index and month == 1 else 0)
            issued = date(year, month, day)
        if issued > TODAY:
            break
        total = round(amount * (1 + rng.uniform(-spread, spread)), 2)
        rows.append(
            bill(
                f"{vendor_id}-b{index:02d}",
                issued_on=issued,
                total=total,
                vendor_id=vendor_id,
                vendor_name=name,
                origin=origin,
            )
        )
    return rows


def recurring_bill_scenario(seed: int = 0) -> dict[RecordKind, pd.DataFrame]:
    """Rent keyed by hand monthly; a rule-made software bill; irregular postage."""
    rng = np.random.default_rng(seed)
    rows = monthly_bills("ven-rent", "Harbour Estates", rng=rng, amount=2400.0)
    rows += monthly_bills("ven-gas", "Gas Co", rng=rng, amount=180.0, spread=0.2, day=12)
    rows += monthly_bills("ven-xero", "Xero", rng=rng, amount=42.0, origin="recurring")
    rows += monthly_bills(
        "ven-post", "Royal Mail", rng=rng, amount=60.0, spread=0.6, irregular=True
    )
    return {RecordKind.BILL: bills(rows)}


def journal_scenario(seed: int = 0) -> dict[RecordKind, pd.DataFrame]:
    """Depreciation by hand monthly; payroll by integration; accruals that vary."""
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(12):
        month_end = date(2024, index + 1, 28)
        rows.append(
            journal(
                f"dep-{index:02d}",
                posted_on=month_end,
                accounts="Fixed Assets|Depreciation",
                amount=350.0,
            )
        )
        rows.append(
            journal(
                f"pay-{index:02d}",
                posted_on=month_end,
                origin="integration",
                accounts="Wages|Net Wages",
                amount=9200.0,
            )
        )
        rows.append(
            journal(
                f"acc-{index:02d}",
                posted_on=month_end,
                accounts="Accruals|Utilities",
                amount=round(float(rng.uniform(200, 900)), 2),
            )
        )
    return {RecordKind.JOURNAL_ENTRY: journals(rows)}


def late_payer_rows(seed: int = 0) -> list[dict[str, Any]]:
    """Ten customers paying on time and one monthly customer paying 30-50 days late."""
    rng = np.random.default_rng(seed)
    rows = []
    for number in range(10):
        for index in range(10):
            issued = TODAY - timedelta(days=30 * index + 3 * number + 40)
            due = issued + timedelta(days=14)
            paid = datetime.combine(due + timedelta(days=int(rng.integers(0, 3))), time(10))
            rows.append(
                invoice(
                    f"c{number}-{index}",
                    issued_on=issued,
                    due_on=due,
                    paid_at=paid,
                    total=200.0,
                    customer_id=f"cus-{number}",
                    customer_name=f"Prompt {number}",
                )
            )
    for index in range(10):
        issued = TODAY - timedelta(days=30 * index + 60)
        due = issued + timedelta(days=14)
        paid = datetime.combine(due + timedelta(days=int(rng.integers(30, 51))), time(10))
        rows.append(
            invoice(
                f"late-{index}",
                issued_on=issued,
                due_on=due,
                paid_at=paid,
                total=500.0,
                customer_id="cus-late",
                customer_name="Slowpay Ltd",
            )
        )
    return rows


def payment_scenario(seed: int = 0) -> dict[RecordKind, pd.DataFrame]:
    """The late payer among prompt ones, plus a template customer just as late."""
    rows = late_payer_rows(seed)
    templated = [
        {**row, "source_id": f"tpl-{n}", "customer_id": "cus-tpl", "customer_name": "Tpl Co",
         "origin": "template"}
        for n, row in enumerate(r for r in rows if r["customer_id"] == "cus-late")
    ]  # fmt: skip
    return {RecordKind.INVOICE: invoices(rows + templated)}


def weekly(
    email: str,
    name: str,
    *,
    weeks: int = 12,
    origin: str = "manual",
    series: str | None = None,
    hour: int = 10,
    skip: Iterable[int] = (4,),
    calendar: str = "work",
) -> list[dict[str, Any]]:
    """A client booked every Tuesday at ``hour`` for ``weeks`` weeks (some skipped)."""
    rows = []
    last_tuesday = TODAY - timedelta(days=(TODAY.weekday() - 1) % 7)
    for index in range(weeks):
        if index in set(skip):
            continue
        start = datetime.combine(last_tuesday - timedelta(weeks=weeks - 1 - index), time(hour))
        row = appointment(
            f"{email[:4]}-{index:02d}",
            start_at=start,
            attendee_email=email,
            attendee_name=name,
            origin=origin,
        )
        rows.append({**row, "series_id": series, "calendar": calendar})
    return rows


def scheduling_scenario(seed: int = 0) -> dict[RecordKind, pd.DataFrame]:
    """One client booked weekly by hand, one as a series, one by booking link, one random."""
    rng = np.random.default_rng(seed)
    rows = weekly("ann@example.com", "Ann Lee")
    rows += weekly("bob@example.com", "Bob Ray", series="SER-1", hour=11)
    rows += weekly("cat@example.com", "Cat Day", origin="booking_link", hour=14)
    for index in range(12):
        day = TODAY - timedelta(days=int(rng.integers(1, 150)))
        start = datetime.combine(day, time(int(rng.integers(9, 16))))
        rows.append(
            appointment(
                f"dan-{index:02d}",
                start_at=start,
                attendee_email="dan@example.com",
                attendee_name="Dan Fox",
            )
        )
    return {RecordKind.APPOINTMENT: appointments(rows)}


def sessions(
    calendar: str,
    *,
    count: int,
    misses: int,
    seed: int = 0,
    origin: str = "manual",
    days: int = 150,
) -> list[dict[str, Any]]:
    """``count`` client sessions on a calendar in the last ``days`` days, ``misses`` no-shows."""
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(count):
        day = TODAY - timedelta(days=int(rng.integers(1, days)))
        start = datetime.combine(day, time(9 + index % 7))
        row = appointment(
            f"{calendar}-{index:03d}",
            start_at=start,
            attendee_email=f"client{index}@example.com",
            attendee_name=f"Client {index}",
            origin=origin,
            status="no_show" if index < misses else "confirmed",
        )
        rows.append({**row, "calendar": calendar})
    return rows


def cancel_late(rows: list[dict[str, Any]], count: int, *, by: str | None = "host") -> None:
    """Turn the first ``count`` of ``rows`` into cancellations made ``by`` someone 3 h ahead."""
    for row in rows[:count]:
        row.update(status="cancelled", cancelled_at=row["start_at"] - timedelta(hours=3))
        row["cancelled_by"] = by


def no_show_scenario(seed: int = 0) -> dict[RecordKind, pd.DataFrame]:
    """A third of sessions missed; a normal calendar; one whose late cancellations the host made.

    clinic-c's sessions were cancelled at three hours' notice as often as clinic-a's were
    missed, but by the practitioner: not a client's miss, so no finding.
    """
    rows = sessions("clinic-a", count=60, misses=20, seed=seed)
    rows += sessions("clinic-b", count=60, misses=3, seed=seed + 1)
    cancelled_by_host = sessions("clinic-c", count=60, misses=0, seed=seed + 2)
    cancel_late(cancelled_by_host, 20)
    return {RecordKind.APPOINTMENT: appointments(rows + cancelled_by_host)}


def duplicate_scenario(seed: int = 0) -> dict[RecordKind, pd.DataFrame]:
    """Two bills of one vendor keyed twice; a decoy with voided copies; two sessions a day."""
    rng = np.random.default_rng(seed)
    post = monthly_bills("ven-post", "Royal Mail", rng=rng, amount=60.0, spread=0.6, irregular=True)
    copies = [
        {**row, "source_id": f"{row['source_id']}-again",
         "created_at": row["created_at"] + timedelta(hours=2)}
        for row in post[2:4]
    ]  # fmt: skip
    paper = monthly_bills("ven-pap", "Viking", rng=rng, amount=80.0, spread=0.6, irregular=True)
    voided = [
        {**row, "source_id": f"{row['source_id']}-again", "status": "void"} for row in paper[1:3]
    ]
    day = TODAY - timedelta(days=20)
    same_day = [
        invoice(f"sess-{n}", issued_on=day, total=45.0, customer_id="cus-ben",
                customer_name="Ben Fox", description=f"Session on {day}")
        for n in range(2)
    ]  # fmt: skip
    return {
        RecordKind.BILL: bills(post + copies + paper + voided),
        RecordKind.INVOICE: invoices(same_day),
    }


def backlog_bills(*, stuck_days: int, seed: int = 0) -> list[dict[str, Any]]:
    """Two bills a working day for 80 days, approved the next day until ``stuck_days`` ago."""
    rng = np.random.default_rng(seed)
    rows = []
    for offset in range(80, 0, -1):
        day = TODAY - timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for n in range(2):
            created = datetime.combine(day, time(10 + n))
            stuck = offset <= stuck_days
            rows.append(
                bill(
                    f"bill-{offset:03d}-{n}",
                    issued_on=day - timedelta(days=2),
                    total=round(float(rng.uniform(50, 900)), 2),
                    vendor_id=f"ven-{n}",
                    vendor_name=f"Vendor {n}",
                    status="awaiting_approval" if stuck else "paid",
                    created_at=created,
                    due_on=day + timedelta(days=14),
                )
            )
    return rows


def overload_rows(calendar: str, *, hours_per_day: int, weeks: int = 10) -> list[dict[str, Any]]:
    """Back-to-back one-hour internal meetings from 09:00 on every weekday of the last weeks."""
    rows = []
    for offset in range(7 * weeks, 0, -1):
        day = TODAY - timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for hour in range(hours_per_day):
            start = datetime.combine(day, time(9 + hour))
            row = appointment(f"{calendar}-{offset:03d}-{hour}", start_at=start,
                              attendee_email=None, attendee_name=None)  # fmt: skip
            rows.append({**row, "calendar": calendar, "title": "Internal"})
    return rows


def crunch_rows(*, crunch: bool, seed: int = 0) -> list[dict[str, Any]]:
    """Six months of one-off journals, keyed evenly or mostly just after each month ends."""
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(150):
        posted = TODAY - timedelta(days=int(rng.integers(5, 175)))
        keyed = posted
        if crunch and rng.random() < 0.85:
            first = (pd.Timestamp(posted) + pd.offsets.MonthBegin(1)).date()
            keyed = np.busday_offset(first, int(rng.integers(0, 3)), roll="forward").astype(date)
        if keyed > TODAY:
            keyed = posted
        rows.append(journal(f"je-{index:03d}", posted_on=posted, accounts="Suspense|Sales",
                            amount=50.0, created_at=datetime.combine(keyed, time(11))))  # fmt: skip
    return rows


def lag_frames(lag_days: tuple[int, int], origin: str = "manual") -> dict[RecordKind, pd.DataFrame]:
    """Four customers with eight fortnightly sessions each, invoiced ``lag_days`` later."""
    rng = np.random.default_rng(3)
    appts: list[dict[str, Any]] = []
    invs: list[dict[str, Any]] = []
    people = []
    for n in range(4):
        a, i = appointment_series(
            f"cus-{n}", f"Client Number{n}", f"c{n}@example.com", rng=rng, lag_days=lag_days,
            invoice_origin=origin,
        )  # fmt: skip
        appts += a
        invs += i
        people.append(customer(f"cus-{n}", f"Client Number{n}", f"c{n}@example.com"))
    return {
        RecordKind.APPOINTMENT: appointments(appts),
        RecordKind.INVOICE: invoices(invs),
        RecordKind.CUSTOMER: customers(people),
    }


def _backlog_scenario() -> dict[RecordKind, pd.DataFrame]:
    return {RecordKind.BILL: bills(backlog_bills(stuck_days=30))}


def _overload_scenario() -> dict[RecordKind, pd.DataFrame]:
    rows = overload_rows("busy@studio.example", hours_per_day=8)
    rows += overload_rows("calm@studio.example", hours_per_day=3)
    return {RecordKind.APPOINTMENT: appointments(rows)}


def _crunch_scenario() -> dict[RecordKind, pd.DataFrame]:
    return {RecordKind.JOURNAL_ENTRY: journals(crunch_rows(crunch=True))}


#: A planted scenario (with its decoys) for every detector kind.
ALL_SCENARIOS = {
    **SCENARIOS,
    "recurring_bill": recurring_bill_scenario,
    "recurring_journal_entry": journal_scenario,
    "payment_reminders": payment_scenario,
    "duplicate_entry": duplicate_scenario,
    "manual_scheduling": scheduling_scenario,
    "no_show_reminders": no_show_scenario,
    "invoice_lag": lambda: lag_frames((7, 11)),
    "approval_backlog": _backlog_scenario,
    "calendar_overload": _overload_scenario,
    "month_end_crunch": _crunch_scenario,
}


def scenario_frames(detector: type[Detector]) -> dict[RecordKind, pd.DataFrame]:
    """The planted scenario for a known detector kind, else generic rows for its columns."""
    builder = ALL_SCENARIOS.get(detector.kind)
    return builder() if builder is not None else generic_frames(detector)
