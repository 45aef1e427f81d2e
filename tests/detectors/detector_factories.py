"""Small builders for canonical record frames and planted scenarios used by detector tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind
from detectors.base import DetectionContext, Detector

BUSINESS = "harbour-studio"
AS_OF = datetime(2024, 12, 31, 17, 0)
TODAY = AS_OF.date()

INVOICE_COLUMNS = (
    "business",
    "source",
    "source_id",
    "origin",
    "customer_id",
    "customer_name",
    "customer_email",
    "number",
    "status",
    "issued_on",
    "due_on",
    "paid_at",
    "total",
    "balance",
    "currency",
    "template_id",
    "description",
    "doc_type",
    "created_at",
)
APPOINTMENT_COLUMNS = (
    "business",
    "source",
    "source_id",
    "origin",
    "title",
    "start_at",
    "end_at",
    "status",
    "attendee_email",
    "attendee_name",
    "series_id",
    "calendar",
    "cancelled_at",
    "cancelled_by",
    "mirror_id",
)
CUSTOMER_COLUMNS = ("business", "source", "source_id", "origin", "name", "email", "phone")
PAYMENT_COLUMNS = (
    "business",
    "source",
    "source_id",
    "origin",
    "invoice_id",
    "customer_id",
    "paid_at",
    "amount",
    "currency",
    "method",
)

DATE_COLUMNS = frozenset({"issued_on", "due_on", "posted_on"})
DATETIME_COLUMNS = frozenset(
    {"paid_at", "start_at", "end_at", "cancelled_at", "approved_at", "created_at", "updated_at"}
)
MONEY_COLUMNS = frozenset({"total", "balance", "amount", "quantity", "unit_price"})
COLUMNS: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.INVOICE: INVOICE_COLUMNS,
    RecordKind.APPOINTMENT: APPOINTMENT_COLUMNS,
    RecordKind.CUSTOMER: CUSTOMER_COLUMNS,
    RecordKind.PAYMENT: PAYMENT_COLUMNS,
}


def context(**overrides: Any) -> DetectionContext:
    """A detection context for the test business, in pounds, as of the end of 2024."""
    values: dict[str, Any] = {"business": BUSINESS, "as_of": AS_OF, "currency": "GBP"}
    values.update(overrides)
    return DetectionContext(**values)


def frame(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """A frame typed like the store hands to detectors (dates at midnight, money as float)."""
    data = pd.DataFrame(list(rows), columns=list(columns))
    for column in data.columns:
        if column in DATE_COLUMNS:
            data[column] = pd.to_datetime(data[column]).dt.normalize()
        elif column in DATETIME_COLUMNS:
            data[column] = pd.to_datetime(data[column])
        elif column in MONEY_COLUMNS:
            data[column] = pd.to_numeric(data[column]).astype("float64")
        else:
            data[column] = data[column].astype(object)
    return data


def invoice(
    source_id: str,
    *,
    issued_on: date,
    total: float,
    customer_id: str | None = "cus-1",
    customer_name: str | None = "Acme Ltd",
    customer_email: str | None = None,
    origin: str = "manual",
    status: str = "paid",
    due_on: date | None = None,
    paid_at: datetime | None = None,
    balance: float | None = None,
    currency: str = "GBP",
    description: str | None = None,
    source: str = "quickbooks",
    doc_type: str = "invoice",
    number: str | None = None,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """One invoice record as a row dict (a sales invoice unless ``doc_type`` says otherwise)."""
    return {
        "business": BUSINESS, "source": source, "source_id": source_id, "origin": origin,
        "customer_id": customer_id, "customer_name": customer_name,
        "customer_email": customer_email, "number": number or source_id, "status": status,
        "issued_on": issued_on, "due_on": due_on, "paid_at": paid_at, "total": total,
        "balance": 0.0 if balance is None and status == "paid" else balance,
        "currency": currency, "template_id": None, "description": description,
        "doc_type": doc_type, "created_at": created_at,
    }  # fmt: skip


def appointment(
    source_id: str,
    *,
    start_at: datetime,
    attendee_email: str | None,
    attendee_name: str | None,
    status: str = "confirmed",
    origin: str = "manual",
    source: str = "google_calendar",
    mirror_id: str | None = None,
) -> dict[str, Any]:
    """One appointment record (an hour long) as a row dict."""
    return {
        "business": BUSINESS, "source": source, "source_id": source_id, "origin": origin,
        "title": "Session", "start_at": start_at, "end_at": start_at + timedelta(hours=1),
        "status": status, "attendee_email": attendee_email, "attendee_name": attendee_name,
        "series_id": None, "calendar": "work", "cancelled_at": None, "cancelled_by": None,
        "mirror_id": mirror_id,
    }  # fmt: skip


def customer(source_id: str, name: str, email: str | None = None) -> dict[str, Any]:
    """One customer record as a row dict."""
    return {
        "business": BUSINESS, "source": "quickbooks", "source_id": source_id,
        "origin": "manual", "name": name, "email": email, "phone": None,
    }  # fmt: skip


def invoices(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """An invoice frame."""
    return frame(rows, INVOICE_COLUMNS)


def appointments(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """An appointment frame."""
    return frame(rows, APPOINTMENT_COLUMNS)


def customers(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A customer frame."""
    return frame(rows, CUSTOMER_COLUMNS)


# --- recurring invoices ---------------------------------------------------------------------


def recurring_run(
    customer_id: str,
    name: str,
    *,
    rng: np.random.Generator,
    periods: int = 12,
    cadence_days: float = 365.25 / 12,
    amount: float = 450.0,
    end: date = TODAY - timedelta(days=10),
    jitter_days: int = 3,
    noise: float = 0.03,
    skip_period: int | None = None,
    price_rise_at: int | None = None,
    origin: str = "manual",
    description: str | None = "Monthly retainer",
) -> list[dict[str, Any]]:
    """A run of ``periods`` invoices ending near ``end``, with jitter, noise, a skip or a rise."""
    rows = []
    for index in range(periods):
        if index == skip_period:
            continue
        offset = round((periods - 1 - index) * cadence_days)
        jitter = int(rng.integers(-jitter_days, jitter_days + 1)) if jitter_days else 0
        issued = end - timedelta(days=offset - jitter)
        price = amount * (1.08 if price_rise_at is not None and index >= price_rise_at else 1.0)
        total = round(price * (1 + rng.uniform(-noise, noise)), 2)
        rows.append(
            invoice(
                f"{customer_id}-inv-{index:02d}",
                issued_on=min(issued, TODAY),
                total=total,
                customer_id=customer_id,
                customer_name=name,
                origin=origin,
                description=description,
            )
        )
    return rows


def irregular_customer(
    customer_id: str, name: str, *, rng: np.random.Generator, count: int = 14
) -> list[dict[str, Any]]:
    """Manual invoices with gaps drawn from 10-90 days and totals varying by more than 40%."""
    gaps = rng.integers(10, 91, size=count)
    day = TODAY - timedelta(days=int(gaps.sum()) - int(gaps[-1]) + 5)
    rows = []
    for index, gap in enumerate(gaps):
        total = round(300.0 * rng.uniform(0.5, 1.6), 2)
        rows.append(
            invoice(
                f"{customer_id}-inv-{index:02d}",
                issued_on=day,
                total=total,
                customer_id=customer_id,
                customer_name=name,
            )
        )
        day += timedelta(days=int(gap))
    return rows


def background_customers(rng: np.random.Generator, count: int = 15) -> list[dict[str, Any]]:
    """Customers with at most three one-off invoices a year at random amounts."""
    rows = []
    for number in range(count):
        for year in (2023, 2024):
            for index in range(int(rng.integers(0, 4))):
                issued = date(year, 1, 1) + timedelta(days=int(rng.integers(0, 360)))
                rows.append(
                    invoice(
                        f"bg{number}-{year}-{index}",
                        issued_on=min(issued, TODAY),
                        total=round(float(rng.uniform(50, 3000)), 2),
                        customer_id=f"bg-{number}",
                        customer_name=f"Walk-in {number}",
                    )
                )
    return rows


# --- collections ----------------------------------------------------------------------------


def collection_history(
    *,
    planted: bool,
    rng: np.random.Generator,
    months: int = 12,
    per_month: int = 10,
    currency: str = "GBP",
) -> list[dict[str, Any]]:
    """A year of invoices paid 20-70 days late (planted) or 0-5 days late (a few up to 10)."""
    rows = []
    start = TODAY - timedelta(days=round(months * 30.44))
    count = months * per_month
    for index in range(count):
        issued = start + timedelta(days=int(index * months * 30.44 / count))
        terms = int(rng.choice([14, 30]))
        due = issued + timedelta(days=terms)
        if planted:
            late = int(rng.integers(20, 71))
        else:
            late = int(rng.integers(0, 6)) if rng.random() < 0.9 else int(rng.integers(6, 11))
        paid = datetime.combine(due + timedelta(days=late), time(11, 30))
        total = round(float(rng.uniform(200, 2000)), 2)
        settled = paid <= AS_OF
        rows.append(
            invoice(
                f"ar-{index:03d}",
                issued_on=issued,
                due_on=due,
                total=total,
                customer_id=f"cus-{index % 7}",
                customer_name=f"Client {index % 7}",
                status="paid" if settled else "open",
                paid_at=paid if settled else None,
                balance=0.0 if settled else total,
                currency=currency,
            )
        )
    return rows


# --- appointments ---------------------------------------------------------------------------


def appointment_series(
    customer_id: str,
    name: str,
    email: str | None,
    *,
    rng: np.random.Generator,
    count: int = 8,
    invoice_origin: str | None = "manual",
    lag_days: tuple[int, int] = (1, 5),
    uninvoiced: Sequence[int] = (),
    attendee_name: str | None = None,
    attendee_email: str | None = None,
    total: float = 120.0,
    every_days: int = 14,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Appointments with one customer, each followed by an invoice unless listed in uninvoiced.

    ``invoice_origin=None`` means no invoices at all; ``"integration"`` invoices are issued
    the same day, as a calendar-to-accounting integration does.
    """
    appts, invs = [], []
    first = datetime.combine(TODAY, time(10, 0)) - timedelta(days=every_days * count + 30)
    for index in range(count):
        start = first + timedelta(days=every_days * index)
        appt_id = f"{customer_id}-appt-{index:02d}"
        appts.append(
            appointment(
                appt_id,
                start_at=start,
                attendee_email=attendee_email if attendee_email is not None else email,
                attendee_name=attendee_name or name,
            )
        )
        if invoice_origin is None or index in uninvoiced:
            continue
        lag = 0 if invoice_origin == "integration" else int(rng.integers(*lag_days, endpoint=True))
        invs.append(
            invoice(
                f"{customer_id}-inv-{index:02d}",
                issued_on=start.date() + timedelta(days=lag),
                total=total,
                customer_id=customer_id,
                customer_name=name,
                customer_email=email,
                origin=invoice_origin,
            )
        )
    return appts, invs


# --- generic frames for conformance tests ---------------------------------------------------


def empty_frames(detector: type[Detector]) -> dict[RecordKind, pd.DataFrame]:
    """Zero-row frames with every column the detector declares, typed like the store."""
    return {
        kind: frame([], _all_columns(kind, columns))
        for kind, columns in detector.required_columns.items()
    }


def generic_frames(detector: type[Detector], rows: int = 24) -> dict[RecordKind, pd.DataFrame]:
    """A few plausible rows for any detector's declared columns, guessed from column names."""
    rng = np.random.default_rng(7)
    result = {}
    for kind, columns in detector.required_columns.items():
        records = []
        for index in range(rows):
            day = TODAY - timedelta(days=15 * (rows - index))
            record: dict[str, Any] = {}
            for column in _all_columns(kind, columns):
                record[column] = _guess(column, index, day, rng)
            records.append(record)
        result[kind] = frame(records, _all_columns(kind, columns))
    return result


def _all_columns(kind: RecordKind, declared: Sequence[str]) -> tuple[str, ...]:
    base = COLUMNS.get(kind, ("business", "source", "source_id", "origin"))
    return tuple(dict.fromkeys([*base, *declared]))


def _guess(column: str, index: int, day: date, rng: np.random.Generator) -> Any:
    """A plausible value for ``column`` of the ``index``-th generic record."""
    if column in DATE_COLUMNS:
        return day + (timedelta(days=30) if column == "due_on" else timedelta())
    if column in DATETIME_COLUMNS:
        hours = 24 * 40 if column == "paid_at" else 10 + (column == "end_at")
        return datetime.combine(day, time()) + timedelta(hours=hours)
    if column in MONEY_COLUMNS:
        return round(float(rng.uniform(50, 500)), 2)
    values: dict[str, Any] = {
        "business": BUSINESS, "source": "quickbooks" if index % 3 else "xero",
        "source_id": f"rec-{index:03d}", "origin": "manual" if index % 4 else "template",
        "status": "paid" if index % 5 else "open", "currency": "GBP",
        "customer_id": f"cus-{index % 3}", "customer_name": f"Customer {index % 3}",
        "customer_email": f"c{index % 3}@example.com",
        "attendee_email": f"c{index % 3}@example.com",
        "attendee_name": f"Customer {index % 3}", "name": f"Customer {index % 3}",
        "email": f"c{index % 3}@example.com", "invoice_id": f"rec-{index:03d}",
        "doc_type": "invoice",
    }  # fmt: skip
    return values.get(column, f"{column}-{index % 4}")


# --- planted scenarios, one per detector kind -----------------------------------------------


def recurring_scenario(seed: int = 0) -> dict[RecordKind, pd.DataFrame]:
    """A monthly manual customer (one skip, one price rise) among every decoy."""
    rng = np.random.default_rng(seed)
    rows = recurring_run("cus-acme", "Acme Ltd", rng=rng, skip_period=4, price_rise_at=7)
    rows += recurring_run("cus-tmpl", "Template Co", rng=rng, origin="template")
    rows += recurring_run("cus-subs", "Subscriber Co", rng=rng, origin="subscription")
    rows += irregular_customer("cus-odd", "Odd Jobs Ltd", rng=rng)
    rows += background_customers(rng)
    return {RecordKind.INVOICE: invoices(rows)}


def collection_scenario(seed: int = 0, *, planted: bool = True) -> dict[RecordKind, pd.DataFrame]:
    """A year of invoices paid late (planted) or on time."""
    rng = np.random.default_rng(seed)
    return {RecordKind.INVOICE: invoices(collection_history(planted=planted, rng=rng))}


def appointment_scenario(seed: int = 0) -> dict[RecordKind, pd.DataFrame]:
    """One customer invoiced by hand after appointments (two never invoiced) and the decoys."""
    rng = np.random.default_rng(seed)
    jane_appts, jane_invs = appointment_series(
        "cus-jane", "Jane Smith", "jane@example.com", rng=rng, count=10, uninvoiced=(3, 7),
        attendee_email=" Jane.Smith@Example.COM ",
    )  # fmt: skip
    auto_appts, auto_invs = appointment_series(
        "cus-auto", "Auto Clinic", "desk@autoclinic.example", rng=rng, count=9,
        invoice_origin="integration",
    )  # fmt: skip
    staff_appts, _ = appointment_series(
        "staff", "Team Standup", "team@harbour.example", rng=rng, count=25,
        invoice_origin=None, every_days=5,
    )  # fmt: skip
    people = [
        customer("cus-jane", "Jane Smith", "jane.smith@example.com"),
        customer("cus-auto", "Auto Clinic", "desk@autoclinic.example"),
        customer("cus-bob", "Bob Stone", "bob@example.com"),
    ]
    return {
        RecordKind.APPOINTMENT: appointments(jane_appts + auto_appts + staff_appts),
        RecordKind.INVOICE: invoices(jane_invs + auto_invs),
        RecordKind.CUSTOMER: customers(people),
    }


SCENARIOS = {
    "recurring_invoice": recurring_scenario,
    "slow_collection": collection_scenario,
    "appointment_to_invoice": appointment_scenario,
}


def scenario_frames(detector: type[Detector]) -> dict[RecordKind, pd.DataFrame]:
    """The planted scenario for a known detector kind, else generic rows for its columns."""
    builder = SCENARIOS.get(detector.kind)
    return builder() if builder is not None else generic_frames(detector)
