"""A real calendar export: GOV.UK's England and Wales bank holidays, 2025 and 2026.

Sixteen all-day events with no attendee, on dates anyone can check against a printed
calendar. Nothing here is a client booking, so no scheduling finding may come from it, and
the report should say that scheduling could not be checked (nobody attended anything).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from connectors.ical import EventOptions, parse_object
from tests.real.scanning import REAL, kinds, scan

EXPORT = REAL / "uk_bank_holidays" / "england-and-wales-2025-2026.ics"
CALENDAR = "owner@business.example"
SCHEDULING = ("manual_scheduling", "calendar_overload", "no_show_reminders")


def appointments() -> pd.DataFrame:
    """The export read by the same iCalendar parser the CalDAV connector uses."""
    options = EventOptions(
        timezone=ZoneInfo("Europe/London"),
        window_start=datetime(2025, 1, 1, tzinfo=UTC),
        window_end=datetime(2027, 1, 1, tzinfo=UTC),
        calendar=CALENDAR,
    )
    rows = parse_object(EXPORT.read_text(encoding="utf-8"), options).rows
    return pd.DataFrame(list(rows))


def test_sixteen_all_day_holidays_without_attendees() -> None:
    frame = appointments()
    assert len(frame) == 16
    assert frame["attendee_email"].isna().all()
    assert set(frame["status"]) == {"confirmed"}
    starts = pd.to_datetime(frame["start_at"], utc=True).dt.tz_convert("Europe/London")
    assert date(2026, 8, 31) in set(starts.dt.date)  # Summer bank holiday 2026
    assert (pd.to_datetime(frame["end_at"]) - pd.to_datetime(frame["start_at"])).max() <= (
        pd.Timedelta(days=1)
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The holidays imported as a business's only appointments, scanned at the end of 2026."""
    return scan(
        {"appointments": appointments()},
        tmp_path_factory.mktemp("holidays"),
        datetime(2026, 12, 31, 23, 59),
    )


def test_public_holidays_are_not_a_scheduling_problem(report: dict[str, Any]) -> None:
    found = kinds(report)
    assert not [kind for kind in SCHEDULING if kind in found]


def test_scheduling_is_reported_as_not_checkable(report: dict[str, Any]) -> None:
    entry = report["detectors"]["manual_scheduling"]["coverage"]
    assert entry["checked"] is False
    assert "attendee" in entry["reason"]
