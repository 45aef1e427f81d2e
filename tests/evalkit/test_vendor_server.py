"""The fake vendor server: real HTTP on 127.0.0.1, routing by prefix, vendor-shaped answers."""

from __future__ import annotations

import pandas as pd
import requests

from busywork.evalkit import fake_calendars, fake_quickbooks
from busywork.evalkit.vendor_server import VendorServer


def _books() -> dict[str, list[dict[str, object]]]:
    return {
        "Invoice": [
            {"Id": str(n), "MetaData": {"LastUpdatedTime": f"2026-01-0{n}T10:00:00+00:00"}}
            for n in range(1, 6)
        ]
    }


def test_quickbooks_query_pages_by_start_position_and_refreshes_tokens() -> None:
    api = fake_quickbooks.QuickBooksApi(_books())
    with VendorServer([api]) as server:
        base = f"{server.url}/quickbooks/v3/company/{fake_quickbooks.REALM}/query"
        sql = "SELECT * FROM Invoice ORDERBY Metadata.LastUpdatedTime STARTPOSITION 3 MAXRESULTS 2"
        refused = requests.get(base, params={"query": sql}, timeout=5)
        assert refused.status_code == 401
        assert refused.json()["Fault"]["Error"][0]["code"] == "3200"
        token = requests.post(
            f"{server.url}/quickbooks{api.token_path}",
            data={"grant_type": "refresh_token", "refresh_token": fake_quickbooks.REFRESH_TOKEN},
            timeout=5,
        ).json()["access_token"]
        page = requests.get(
            base, params={"query": sql}, headers={"Authorization": f"Bearer {token}"}, timeout=5
        ).json()["QueryResponse"]
    assert [e["Id"] for e in page["Invoice"]] == ["3", "4"]
    assert page["startPosition"] == 3


def test_appointments_split_between_google_and_calendly_by_origin() -> None:
    frame = pd.DataFrame(
        {
            "source_id": ["APT-1", "APT-2"],
            "origin": ["manual", "booking_link"],
            "created_at": pd.to_datetime(["2026-01-01 09:00", "2026-01-01 09:00"]),
            "updated_at": pd.to_datetime(["2026-01-01 09:00", "2026-01-01 09:00"]),
            "title": ["Massage: Ann", "Consultation"],
            "start_at": pd.to_datetime(["2026-01-05 10:00", "2026-01-06 10:00"]),
            "end_at": pd.to_datetime(["2026-01-05 11:00", "2026-01-06 11:00"]),
            "status": ["no_show", "confirmed"],
            "attendee_email": ["ann@example.com", "bo@example.com"],
            "attendee_name": ["Ann", "Bo"],
            "series_id": [None, None],
            "calendar": ["lily@clinic.example", "lily@clinic.example"],
            "cancelled_at": pd.to_datetime([None, None]),
            "cancelled_by": [None, None],
        }
    )
    google = fake_calendars.google_events(frame)
    [event] = google["lily@clinic.example"]
    assert event["summary"].startswith(fake_calendars.NO_SHOW_MARK)
    assert event["start"]["dateTime"] == "2026-01-05T10:00:00.000000Z"
    [booked] = fake_calendars.calendly_events(frame)
    assert booked["_invitees"][0]["email"] == "bo@example.com"
    with VendorServer([fake_calendars.CalendlyApi([booked])]) as server:
        auth = {"Authorization": f"Bearer {fake_calendars.CALENDLY_TOKEN}"}
        body = requests.get(
            f"{server.url}/calendly/scheduled_events", params={"count": 1}, headers=auth, timeout=5
        ).json()
    assert "_invitees" not in body["collection"][0]
    assert body["pagination"]["next_page_token"] is None
