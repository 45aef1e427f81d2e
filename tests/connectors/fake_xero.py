"""A fake Xero Accounting API for `responses`: If-Modified-Since, order, page and OAuth."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses

BASE = "https://api.xero.test/api.xro/2.0"
TOKEN_URL = "https://identity.xero.test/connect/token"
TENANT = "fe79f7dd-b6d4-4a92-ba7b-538af6289c58"
T0 = 1_541_176_290_000


def ms_date(ms: int) -> str:
    return f"/Date({ms}+0000)/"


def contact(n: int, *, supplier: bool = False, updated: int = T0) -> dict[str, Any]:
    """Shaped like the spec's GET /Contacts example."""
    return {
        "ContactID": f"c{n:05d}-0000-0000-0000-000000000000",
        "ContactStatus": "ACTIVE",
        "Name": f"Contact {n}",
        "EmailAddress": f"c{n}@example.com",
        "Addresses": [],
        "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "847-1294"}],
        "UpdatedDateUTC": ms_date(updated + 1000 * n),
        "ContactGroups": [],
        "IsSupplier": supplier,
        "IsCustomer": not supplier,
        "HasAttachments": False,
        "HasValidationErrors": False,
    }


def invoice(
    n: int,
    *,
    kind: str = "ACCREC",
    status: str = "AUTHORISED",
    updated: int = T0,
    repeating: str | None = None,
) -> dict[str, Any]:
    """Shaped like the spec's GET /Invoices example."""
    day = 1_539_993_600_000 + 86_400_000 * (n % 300)
    body: dict[str, Any] = {
        "Type": kind,
        "InvoiceID": f"i{n:05d}-0000-0000-0000-000000000000",
        "InvoiceNumber": f"INV-{n:04d}",
        "Reference": "Red Fish, Blue Fish",
        "Payments": [],
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
        "AmountDue": 0.0 if status == "PAID" else 46.0,
        "AmountPaid": 46.0 if status == "PAID" else 0.0,
        "AmountCredited": 0.0,
        "CurrencyRate": 1.0,
        "HasErrors": False,
        "IsDiscounted": False,
        "HasAttachments": False,
        "Contact": {
            "ContactID": f"c{n % 40:05d}-0000-0000-0000-000000000000",
            "Name": f"Contact {n % 40}",
            "Addresses": [],
            "Phones": [],
            "ContactGroups": [],
            "ContactPersons": [],
            "HasValidationErrors": False,
        },
        "DateString": "2018-10-20T00:00:00",
        "Date": ms_date(day),
        "DueDateString": "2018-12-30T00:00:00",
        "DueDate": ms_date(day + 30 * 86_400_000),
        "Status": status,
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {
                "LineItemID": f"l{n:05d}-0000-0000-0000-000000000000",
                "Description": "Consulting",
                "Quantity": 1.0,
                "UnitAmount": 40.0,
                "LineAmount": 40.0,
                "AccountCode": "200",
            }
        ],
        "SubTotal": 40.0,
        "TotalTax": 6.0,
        "Total": 46.0,
        "UpdatedDateUTC": ms_date(updated + 1000 * n),
        "CurrencyCode": "NZD",
    }
    if repeating:
        body["RepeatingInvoiceID"] = repeating
    return body


def credit_note(
    n: int, *, kind: str = "ACCRECCREDIT", status: str = "AUTHORISED", updated: int = T0
) -> dict[str, Any]:
    """Shaped like the spec's GET /CreditNotes example (for the invoice(n) it cancels)."""
    day = 1_539_993_600_000 + 86_400_000 * (n % 300 + 2)
    return {
        "CreditNoteID": f"n{n:05d}-0000-0000-0000-000000000000",
        "CreditNoteNumber": f"CN-{n:04d}",
        "Payments": [],
        "ID": f"n{n:05d}-0000-0000-0000-000000000000",
        "CurrencyRate": 1.0,
        "Type": kind,
        "Reference": "Red Fish, Blue Fish",
        "RemainingCredit": 46.0 if status == "AUTHORISED" else 0.0,
        "Allocations": [],
        "HasAttachments": False,
        "Contact": {
            "ContactID": f"c{n % 40:05d}-0000-0000-0000-000000000000",
            "Name": f"Contact {n % 40}",
            "Addresses": [],
            "Phones": [],
            "ContactGroups": [],
            "ContactPersons": [],
            "HasValidationErrors": False,
        },
        "DateString": "2018-10-22T00:00:00",
        "Date": ms_date(day),
        "Status": status,
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {
                "LineItemID": f"m{n:05d}-0000-0000-0000-000000000000",
                "Description": "Consulting",
                "Quantity": 1.0,
                "UnitAmount": 40.0,
                "LineAmount": 40.0,
                "AccountCode": "200",
            }
        ],
        "SubTotal": 40.0,
        "TotalTax": 6.0,
        "Total": 46.0,
        "UpdatedDateUTC": ms_date(updated + 1000 * n),
        "CurrencyCode": "NZD",
    }


def journal(n: int, *, status: str = "POSTED", updated: int = T0) -> dict[str, Any]:
    """Shaped like the spec's GET /ManualJournals example, with lines."""
    return {
        "Date": ms_date(1_553_126_400_000),
        "Status": status,
        "LineAmountTypes": "NoTax",
        "UpdatedDateUTC": ms_date(updated + 1000 * n),
        "ManualJournalID": f"j{n:05d}-0000-0000-0000-000000000000",
        "Narration": "Accrual",
        "JournalLines": [
            {"LineAmount": 100.0, "AccountCode": "400"},
            {"LineAmount": -100.0, "AccountCode": "800"},
        ],
        "ShowOnCashBasisReports": True,
        "HasAttachments": False,
    }


def repeating_invoice(
    n: int,
    *,
    kind: str = "ACCREC",
    status: str = "AUTHORISED",
    unit: str = "MONTHLY",
    end: int | None = None,
    contact_n: int | None = None,
) -> dict[str, Any]:
    """Shaped like the spec's GET /RepeatingInvoices example."""
    who = n % 40 if contact_n is None else contact_n
    schedule: dict[str, Any] = {
        "Period": 1,
        "Unit": unit,
        "DueDate": 10,
        "DueDateType": "OFFOLLOWINGMONTH",
        "StartDate": ms_date(1_555_286_400_000),
        "NextScheduledDate": ms_date(1_555_286_400_000),
    }
    if end is not None:
        schedule["EndDate"] = ms_date(end)
    return {
        "Schedule": schedule,
        "RepeatingInvoiceID": f"r{n:05d}-0000-0000-0000-000000000000",
        "ID": f"r{n:05d}-0000-0000-0000-000000000000",
        "Type": kind,
        "Reference": "[Week]",
        "HasAttachments": False,
        "ApprovedForSending": False,
        "SendCopy": False,
        "MarkAsSent": False,
        "IncludePDF": False,
        "Contact": {
            "ContactID": f"c{who:05d}-0000-0000-0000-000000000000",
            "Name": f"Contact {who}",
            "Addresses": [],
            "Phones": [],
            "ContactGroups": [],
            "ContactPersons": [],
            "HasValidationErrors": False,
        },
        "Status": status,
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {
                "Description": "Consulting",
                "UnitAmount": 40.0,
                "TaxType": "OUTPUT2",
                "TaxAmount": 6.0,
                "LineAmount": 40.0,
                "AccountCode": "200",
                "Tracking": [],
                "Quantity": 1.0,
                "LineItemID": f"l{n:05d}-1111-0000-0000-000000000000",
            }
        ],
        "SubTotal": 40.0,
        "TotalTax": 6.0,
        "Total": 46.0,
        "CurrencyCode": "NZD",
    }


def payment(n: int, invoice_body: dict[str, Any], *, updated: int = T0) -> dict[str, Any]:
    """Shaped like the spec's GET /Payments example, on ``invoice_body``."""
    kind = invoice_body["Type"]
    return {
        "PaymentID": f"p{n:05d}-0000-0000-0000-000000000000",
        "Date": ms_date(1_543_449_600_000),
        "BankAmount": 46.0,
        "Amount": 46.0,
        "CurrencyRate": 1.0,
        "PaymentType": "ACCPAYPAYMENT" if kind == "ACCPAY" else "ACCRECPAYMENT",
        "Status": "AUTHORISED",
        "UpdatedDateUTC": ms_date(updated + 1000 * n),
        "HasAccount": False,
        "IsReconciled": False,
        "Account": {"AccountID": "5690f1e8-1d00-4893-90c7-05530c8e64b2", "Code": "090"},
        "Invoice": {
            "Type": kind,
            "InvoiceID": invoice_body["InvoiceID"],
            "InvoiceNumber": invoice_body["InvoiceNumber"],
            "Contact": {
                "ContactID": invoice_body["Contact"]["ContactID"],
                "Name": invoice_body["Contact"]["Name"],
            },
            "CurrencyCode": "NZD",
        },
        "HasValidationErrors": False,
    }


class FakeXero:
    """Feeds ordered by UpdatedDateUTC, filtered by If-Modified-Since (>=), 100 per page."""

    def __init__(self) -> None:
        self.feeds: dict[str, list[dict[str, Any]]] = {
            "Accounts": [],
            "Contacts": [],
            "Invoices": [],
            "CreditNotes": [],
            "Payments": [],
            "ManualJournals": [],
            "RepeatingInvoices": [],
        }
        self.requests: list[requests.PreparedRequest] = []
        self.valid_token = "access-0001"
        self.refresh_token = "refresh-0001"
        self.issued = 1
        self.token_requests: list[str] = []
        self.intercept: Callable[[requests.PreparedRequest], Any] | None = None
        #: Added to every successful response (rate-limit header scenarios).
        self.extra_headers: dict[str, str] = {}
        #: ``HistoryRecords`` per bill or journal id (``…/{id}/History``); none by default.
        self.history: dict[str, list[dict[str, Any]]] = {}

    def install(self, mock: responses.RequestsMock) -> None:
        for feed in self.feeds:
            mock.add_callback(responses.GET, f"{BASE}/{feed}", callback=self._lister(feed))
        mock.add_callback(responses.POST, TOKEN_URL, callback=self._token)
        mock.add_callback(
            responses.GET,
            re.compile(rf"{re.escape(BASE)}/(Invoices|ManualJournals)/[^/]+/History"),
            callback=self._history,
        )

    def _history(self, request: requests.PreparedRequest) -> Any:
        self.requests.append(request)
        if request.headers.get("Authorization") != f"Bearer {self.valid_token}":
            return 401, {}, json.dumps({"Title": "Unauthorized", "Status": 401})
        ident = urlsplit(request.url or "").path.split("/")[-2]
        body = {"Id": "b8e1b7c5-6d67-4a66-8a43-1b5c5bfb4e2a", "Status": "OK"}
        return (
            200,
            self._limits(),
            json.dumps({**body, "HistoryRecords": self.history.get(ident, [])}),
        )

    def _token(self, request: requests.PreparedRequest) -> Any:
        form = parse_qs(str(request.body))
        self.token_requests.append(form["refresh_token"][0])
        if form["refresh_token"][0] != self.refresh_token:
            return 400, {}, json.dumps({"error": "invalid_grant"})
        self.issued += 1
        self.valid_token = f"access-{self.issued:04d}"
        self.refresh_token = f"refresh-{self.issued:04d}"
        body = {
            "access_token": self.valid_token,
            "refresh_token": self.refresh_token,
            "expires_in": 1800,
        }
        return 200, {}, json.dumps(body)

    def _lister(self, feed: str) -> Callable[[requests.PreparedRequest], Any]:
        def answer(request: requests.PreparedRequest) -> Any:
            self.requests.append(request)
            if self.intercept is not None:
                override = self.intercept(request)
                if override is not None:
                    return override
            if request.headers.get("Authorization") != f"Bearer {self.valid_token}":
                body = {"Title": "Unauthorized", "Status": 401, "Detail": "TokenExpired"}
                return 401, {}, json.dumps(body)
            if request.headers.get("xero-tenant-id") != TENANT:
                return 403, {}, json.dumps({"Detail": "AuthenticationUnsuccessful"})
            if feed in ("Accounts", "RepeatingInvoices"):
                # Unpaged and without If-Modified-Since in the vendor's spec.
                assert "If-Modified-Since" not in request.headers
                assert not urlsplit(request.url or "").query
                body = {"Id": "b336833d-a3a8-4a67-ab4c-6280b3ad87b0", "Status": "OK"}
                return 200, self._limits(), json.dumps({**body, feed: self.feeds[feed]})
            items = sorted(self.feeds[feed], key=lambda item: item["UpdatedDateUTC"])
            ims = request.headers.get("If-Modified-Since")
            if ims:
                since = datetime.strptime(str(ims), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
                floor = int(since.timestamp() * 1000)
                items = [item for item in items if _ms(item["UpdatedDateUTC"]) >= floor]
            page = int(parse_qs(urlsplit(request.url or "").query).get("page", ["1"])[0])
            chunk = items[(page - 1) * 100 : page * 100]
            body = {
                "Id": "900c500b-e83c-4ce2-902a-b8ba04751748",
                "Status": "OK",
                "ProviderName": "Busywork tests",
                "DateTimeUTC": "/Date(1552326816230)/",
                "pagination": {
                    "page": page,
                    "pageSize": 100,
                    "pageCount": max(1, -(-len(items) // 100)),
                    "itemCount": len(items),
                },
                feed: chunk,
            }
            return 200, self._limits(), json.dumps(body)

        return answer

    def _limits(self) -> dict[str, str]:
        return {"X-MinLimit-Remaining": "59", "X-DayLimit-Remaining": "4999", **self.extra_headers}


def _ms(value: str) -> int:
    return int(value[6:].split("+", maxsplit=1)[0].split(")", maxsplit=1)[0])
