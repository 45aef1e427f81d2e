"""The fake vendor server: real HTTP on 127.0.0.1, routing by prefix, vendor-shaped answers."""

from __future__ import annotations

import pandas as pd
import requests

from busywork.evalkit import fake_calendars, fake_quickbooks, fake_stripe, fake_xero
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


def _sales(origin: str, status: str = "paid") -> pd.DataFrame:
    stamp = pd.Timestamp("2026-02-01 09:00")
    return pd.DataFrame(
        {
            "source_id": ["INV-1"],
            "origin": [origin],
            "created_at": [stamp],
            "updated_at": [stamp],
            "customer_id": ["C0001"],
            "customer_name": ["Ann Lee"],
            "customer_email": ["ann@example.com"],
            "number": ["INV-1"],
            "status": [status],
            "issued_on": [stamp.normalize()],
            "due_on": [stamp.normalize() + pd.Timedelta(days=14)],
            "paid_at": [stamp + pd.Timedelta(days=3)],
            "total": [120.5],
            "balance": [0.0],
            "currency": ["GBP"],
            "template_id": ["sub_9" if origin == "subscription" else None],
            "description": ["Monthly plan"],
        }
    )


def _frames(origin: str) -> dict[str, pd.DataFrame]:
    empty = pd.DataFrame(
        columns=[
            "source_id",
            "invoice_id",
            "line_no",
            "description",
            "item",
            "quantity",
            "unit_price",
            "amount",
        ]
    )
    customers = pd.DataFrame(
        {
            "source_id": ["C0001"],
            "name": ["Ann Lee"],
            "email": ["ann@example.com"],
            "created_at": [pd.Timestamp("2025-01-01")],
            "updated_at": [pd.Timestamp("2025-01-01")],
        }
    )
    return {"invoices": _sales(origin), "invoice_lines": empty, "customers": customers}


def test_subscription_invoices_are_served_by_stripe_in_minor_units_with_cursor_paging() -> None:
    objects = fake_stripe.stripe_objects(_frames("subscription"))
    [invoice] = objects["invoices"]
    assert (invoice["total"], invoice["currency"], invoice["subscription"]) == (
        12050,
        "gbp",
        "sub_9",
    )
    assert invoice["customer"] == "cus_C0001"
    assert invoice["status_transitions"]["paid_at"] == 1_770_195_600
    assert fake_stripe.stripe_objects(_frames("manual"))["invoices"] == []
    api = fake_stripe.StripeApi({"invoices": [{"id": f"in_{n}"} for n in range(3)]})
    with VendorServer([api]) as server:
        auth = {"Authorization": f"Bearer {fake_stripe.API_KEY}"}
        url = f"{server.url}/stripe/v1/invoices"
        first = requests.get(url, params={"limit": 2}, headers=auth, timeout=5).json()
        rest = requests.get(
            url, params={"limit": 2, "starting_after": "in_1"}, headers=auth, timeout=5
        ).json()
        stale = requests.get(url, params={"starting_after": "in_9"}, headers=auth, timeout=5)
    assert ([i["id"] for i in first["data"]], first["has_more"]) == (["in_0", "in_1"], True)
    assert ([i["id"] for i in rest["data"]], rest["has_more"]) == (["in_2"], False)
    assert stale.status_code == 400


def test_xero_serves_ms_json_dates_and_filters_by_if_modified_since() -> None:
    frames = _frames("template")
    frames |= {
        "vendors": pd.DataFrame(columns=["source_id", "name", "email", "updated_at"]),
        "bills": pd.DataFrame(columns=list(_sales("manual").columns)),
        "payments": pd.DataFrame(columns=["source_id", "invoice_id", "bill_id"]),
        "journal_entries": pd.DataFrame(
            {
                "source_id": ["JE-1"],
                "posted_on": [pd.Timestamp("2026-02-01")],
                "accounts": ["Depreciation|Fixed Assets"],
                "amount": [250.0],
                "memo": ["Monthly depreciation"],
                "updated_at": [pd.Timestamp("2026-02-01 03:00")],
                "origin": ["manual"],
            }
        ),
    }
    feeds = fake_xero.organisation(frames)
    [invoice] = feeds["Invoices"]
    assert invoice["Date"] == "/Date(1769904000000+0000)/"
    assert (invoice["Type"], invoice["Status"], invoice["AmountDue"]) == ("ACCREC", "PAID", 0.0)
    [journal] = feeds["ManualJournals"]
    codes = [line["AccountCode"] for line in journal["JournalLines"]]
    assert codes == [fake_xero.account_code("Depreciation"), fake_xero.account_code("fixed assets")]
    with VendorServer([fake_xero.XeroApi(feeds)]) as server:
        headers = {
            "Authorization": f"Bearer {fake_xero.ACCESS_TOKEN}",
            "xero-tenant-id": fake_xero.TENANT,
        }
        url = f"{server.url}/xero/Invoices"
        recent = requests.get(
            url, headers={**headers, "If-Modified-Since": "2026-02-01T09:00:01"}, timeout=5
        ).json()
        everything = requests.get(url, headers=headers, params={"page": 1}, timeout=5).json()
        wrong_tenant = requests.get(url, headers={**headers, "xero-tenant-id": "x"}, timeout=5)
    assert recent == {"Invoices": []}
    assert len(everything["Invoices"]) == 1
    assert wrong_tenant.status_code == 403
