"""A real Zoom calendar export: the W3C Credible Web Community Group's weekly call, 2018.

One event with a weekly rule: Wednesdays 13:05-14:30 New York time, 23 May to 19 December
2018, 31 calls. A series made by a rule is not scheduling by hand, and a call without
attendees says nothing about anybody's bookings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from connectors.ical import EventOptions, parse_object
from tests.real.scanning import REAL, scan

EXPORT = REAL / "credweb_meetings" / "meetings.ics"
NEW_YORK = ZoneInfo("America/New_York")


def appointments() -> pd.DataFrame:
    """The series expanded over 2018 by the parser the CalDAV connector uses."""
    options = EventOptions(
        timezone=ZoneInfo("Europe/London"),
        window_start=datetime(2018, 1, 1, tzinfo=UTC),
        window_end=datetime(2019, 1, 1, tzinfo=UTC),
        calendar="chair@credweb.example",
    )
    parsed = parse_object(EXPORT.read_text(encoding="utf-8"), options)
    assert parsed.recurring
    return pd.DataFrame(list(parsed.rows))


def test_31_wednesday_calls_at_five_past_one_in_new_york() -> None:
    frame = appointments()
    starts = pd.to_datetime(frame["start_at"], utc=True).dt.tz_convert(NEW_YORK)
    assert len(frame) == 31
    assert set(starts.dt.day_name()) == {"Wednesday"}
    assert set(starts.dt.strftime("%H:%M")) == {"13:05"}
    assert (starts.min().date().isoformat(), starts.max().date().isoformat()) == (
        "2018-05-23",
        "2018-12-19",
    )
    assert set(frame["origin"]) == {"recurring"}
    assert frame["series_id"].nunique() == 1


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The calls imported as a business's only appointments, scanned at the end of 2018."""
    return scan(
        {"appointments": appointments()},
        tmp_path_factory.mktemp("credweb"),
        datetime(2018, 12, 31, 23, 59),
    )


def test_a_weekly_series_gives_no_finding(report: dict[str, Any]) -> None:
    assert report["recommendations"] == []


def test_booking_by_hand_is_reported_as_not_checkable(report: dict[str, Any]) -> None:
    entry = report["detectors"]["manual_scheduling"]["coverage"]
    assert entry["checked"] is False
    assert "attendee" in entry["reason"]
