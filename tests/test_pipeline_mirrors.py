"""End to end: a booking tool's copies in one calendar export are stored and read as copies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from config.loader import parse_config
from worker import Worker

AS_OF = datetime(2026, 3, 31, 23, 59, tzinfo=UTC)
CONFIG = """\
business: {id: clinic, name: Heron Physio, timezone: Europe/London, currency: GBP}
storage: {url: "sqlite:///store.db"}
connectors:
  - {name: exports, type: csv, path: data}
goals:
  - {id: time, name: Less admin, objective: owner_time}
"""
KINDS = {"appointment_to_invoice", "manual_scheduling"}


def _write(folder: Path, stem: str, rows: list[dict[str, Any]]) -> None:
    pd.DataFrame(rows).to_csv(folder / f"{stem}.csv", index=False)


def _clinic(folder: Path) -> None:
    """Three clients who each booked three sessions online, every session invoiced by hand.

    The host calendar's copy of each booking sits in the same export with a blank origin,
    the way a Google Calendar export next to a Calendly one looks once merged.
    """
    appointments, invoices, customers = [], [], []
    for person, (name, email) in enumerate(
        [("Ola Nowak", "ola@example.com"), ("Ben Hart", "ben@example.net"),
         ("Ida Lund", "ida@example.org")]
    ):  # fmt: skip
        customers.append({"source_id": f"C{person}", "origin": "booking_link", "name": name,
                          "email": email})  # fmt: skip
        for visit in range(3):
            day = date(2026, 1, 5) + timedelta(weeks=3 * visit, days=person)
            start = datetime(day.year, day.month, day.day, 10)
            booking = {
                "source_id": f"APT-{person}{visit}", "origin": "booking_link",
                "title": f"Physio: {name}", "start_at": start, "end_at": start + timedelta(hours=1),
                "status": "confirmed", "attendee_email": email, "attendee_name": name,
            }  # fmt: skip
            appointments += [booking, {**booking, "source_id": f"gcal-APT-{person}{visit}",
                                       "origin": None}]  # fmt: skip
            invoices.append({
                "source_id": f"INV-{person}{visit}", "origin": "manual",
                "customer_id": f"C{person}", "customer_name": name, "customer_email": email,
                "number": f"INV-{person}{visit}",
                "status": "paid", "issued_on": day + timedelta(days=1),
                "due_on": day + timedelta(days=15), "total": 65.0, "currency": "GBP",
            })  # fmt: skip
    data = folder / "data"
    data.mkdir()
    _write(data, "appointments", appointments)
    _write(data, "invoices", invoices)
    _write(data, "customers", customers)


def test_copies_with_a_blank_origin_are_not_extra_sessions_nor_hand_bookings(
    tmp_path: Path,
) -> None:
    _clinic(tmp_path)
    worker = Worker([parse_config(CONFIG, base_dir=tmp_path)], as_of=AS_OF)
    try:
        [result] = worker.run_once()
    finally:
        worker.engine.dispose()
    assert result.document is not None
    reported = {item["kind"] for item in result.document["recommendations"]}
    assert reported & KINDS == set()
