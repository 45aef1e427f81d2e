"""The appointments a client could miss, what counts as a miss, and the text read for them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from detectors._misses import client_appointments
from tests.detectors.detector_factories import AS_OF, appointment, appointments

_NOW = pd.Timestamp(AS_OF)
_WINDOW = pd.Timedelta(days=30)


def _at(days_ago: float) -> datetime:
    return AS_OF - timedelta(days=days_ago)


def _frame() -> pd.DataFrame:
    rows = [
        appointment("kept", start_at=_at(3), attendee_email="Ann@X.com ", attendee_name=None),
        appointment("no-show", start_at=_at(4), attendee_email=None, attendee_name="Bob Ray"),
        appointment("late", start_at=_at(5), attendee_email="ann@x.com", attendee_name="Ann"),
        appointment("unsaid", start_at=_at(6), attendee_email="cy@y.com", attendee_name=None),
        appointment("by-host", start_at=_at(7), attendee_email="di@y.com", attendee_name=None),
        appointment("staff", start_at=_at(8), attendee_email="sam@work.co", attendee_name=None),
        appointment("nobody", start_at=_at(9), attendee_email=None, attendee_name=None),
        appointment("old", start_at=_at(60), attendee_email="ann@x.com", attendee_name=None),
        appointment("ahead", start_at=_at(-2), attendee_email="ann@x.com", attendee_name=None),
    ]
    raw = appointments(rows)
    raw["calendar"] = "owner@work.co"
    raw.loc[1, "status"] = "no_show"
    for row, by in ((2, "invitee"), (3, None), (4, "host")):
        raw.loc[row, "status"] = "cancelled"
        raw.loc[row, "cancelled_at"] = raw.loc[row, "start_at"] - pd.Timedelta(hours=2)
        raw.loc[row, "cancelled_by"] = by
    return raw


def test_only_appointments_a_client_could_miss_in_the_window_are_kept() -> None:
    misses = client_appointments(_frame(), _NOW, _WINDOW, late_cancel_hours=24.0)
    rows = misses.rows(misses.frame["row"].to_numpy() >= 0)
    # Not the host's cancellation, the colleague, the attendee-less one or those outside.
    assert list(rows["source_id"]) == ["kept", "no-show", "late", "unsaid"]
    assert list(rows["no_show"]) == [False, True, False, False]
    assert list(rows["late_cancel"]) == [False, False, True, False]
    assert list(rows["unattributed"]) == [False, False, False, True]
    assert list(rows["miss"]) == [False, True, True, False]
    assert rows["who_code"].iloc[0] == rows["who_code"].iloc[2]  # one address, two spellings


def test_rows_read_the_text_of_the_chosen_rows_only() -> None:
    misses = client_appointments(_frame(), _NOW, _WINDOW, late_cancel_hours=24.0)
    chosen = misses.frame["miss"].to_numpy()
    rows = misses.rows(chosen)
    assert list(rows["source_id"]) == ["no-show", "late"]
    assert list(rows["email"].fillna("-")) == ["-", "ann@x.com"]
    assert list(rows["name"]) == ["Bob Ray", "Ann"]
    assert list(rows["source"]) == ["google_calendar"] * 2
    assert rows.index.equals(misses.frame.index[chosen])


def test_an_early_cancellation_is_no_miss() -> None:
    misses = client_appointments(_frame(), _NOW, _WINDOW, late_cancel_hours=1.0)
    assert not misses.frame["late_cancel"].any()
    assert not misses.frame["unattributed"].any()
