"""A fake QuickBooks Online API for `responses`: the query language subset we send, and CDC."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses

from busywork.evalkit.fake_quickbooks import query_response

BASE = "https://quickbooks.api.test"
TOKEN_URL = "https://oauth.intuit.test/oauth2/v1/tokens/bearer"
REALM = "9341453050108021"
PACIFIC = timezone(timedelta(hours=-7))
T0 = datetime(2026, 9, 1, 8, 0, tzinfo=PACIFIC)
_SQL = re.compile(
    r"SELECT \* FROM (?P<entity>\w+)(?: WHERE (?P<where>.*?))?"
    r"(?P<order> ORDERBY Metadata\.LastUpdatedTime)?"
    r" STARTPOSITION (?P<start>\d+) MAXRESULTS (?P<size>\d+)$"
)
#: Entities the fake serves; RecurringTransaction only through /query, unfiltered.
ENTITIES = (
    "Customer",
    "Vendor",
    "Invoice",
    "CreditMemo",
    "RefundReceipt",
    "Payment",
    "Bill",
    "BillPayment",
    "JournalEntry",
    "RecurringTransaction",
)


def stamp(moment: datetime) -> str:
    return moment.isoformat()


def meta(n: int, updated: datetime = T0) -> dict[str, str]:
    return {"CreateTime": stamp(T0), "LastUpdatedTime": stamp(updated + timedelta(seconds=n))}


def customer(n: int, *, updated: datetime = T0, active: bool = True) -> dict[str, Any]:
    return {
        "Id": str(n),
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
        "MetaData": meta(n, updated),
        "DisplayName": f"Customer {n}",
        "PrimaryEmailAddr": {"Address": f"customer{n}@example.com"},
        "PrimaryPhone": {"FreeFormNumber": "(555) 555-5555"},
        "Active": active,
        "Balance": 0,
    }


def invoice(
    n: int, *, updated: datetime = T0, recur: str | None = None, paid: bool = False
) -> dict[str, Any]:
    """Shaped after Intuit's Invoice (Finance.xsd) as served in JSON at minor version 75."""
    body: dict[str, Any] = {
        "Id": str(1000 + n),
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
        "MetaData": meta(n, updated),
        "DocNumber": f"{1000 + n}",
        "TxnDate": "2026-08-24",
        "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
        "Line": [
            {
                "Id": "1",
                "LineNum": 1,
                "Description": "Weekly gardening",
                "Amount": 275.0,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": "5", "name": "Gardening"},
                    "UnitPrice": 275,
                    "Qty": 1,
                },
            },
            {"Amount": 275.0, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}},
        ],
        "CustomerRef": {"value": str(n % 20), "name": f"Customer {n % 20}"},
        "BillEmail": {"Address": f"customer{n % 20}@example.com"},
        "DueDate": "2026-09-23",
        "TotalAmt": 275.0,
        "Balance": 0 if paid else 275.0,
    }
    if recur:
        body["RecurDataRef"] = {"value": recur}
    return body


def credit_memo(
    n: int, *, entity: str = "CreditMemo", amount: float = 275.0, updated: datetime = T0
) -> dict[str, Any]:
    """Shaped after Intuit's CreditMemo or RefundReceipt (Finance.xsd: SalesTransaction)."""
    body: dict[str, Any] = {
        "Id": str(5000 + n),
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
        "MetaData": meta(n, updated),
        "DocNumber": f"CM-{n}",
        "TxnDate": "2026-08-26",
        "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
        "Line": [
            {
                "Id": "1",
                "LineNum": 1,
                "Description": "Weekly gardening (cancelled)",
                "Amount": amount,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": "5", "name": "Gardening"},
                    "UnitPrice": amount,
                    "Qty": 1,
                },
            },
            {"Amount": amount, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}},
        ],
        "CustomerRef": {"value": str(n % 20), "name": f"Customer {n % 20}"},
        "CustomerMemo": {"value": "Keyed with the wrong rate"},
        "TotalAmt": amount,
    }
    if entity == "CreditMemo":
        body["Balance"] = 0
        body["RemainingCredit"] = 0
    else:
        body["DepositToAccountRef"] = {"value": "35", "name": "Checking"}
        body["PaymentMethodRef"] = {"value": "1", "name": "Cash"}
    return body


def bill(n: int, *, updated: datetime = T0, paid: bool = False) -> dict[str, Any]:
    """Shaped after Intuit's Bill (Finance.xsd)."""
    return {
        "Id": str(2000 + n),
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
        "MetaData": meta(n, updated),
        "DocNumber": f"B-{n}",
        "TxnDate": "2026-08-20",
        "DueDate": "2026-09-19",
        "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
        "VendorRef": {"value": str(50 + n % 5), "name": f"Vendor {n % 5}"},
        "APAccountRef": {"value": "33", "name": "Accounts Payable (A/P)"},
        "Line": [
            {
                "Id": "1",
                "LineNum": 1,
                "Amount": 120.0,
                "DetailType": "AccountBasedExpenseLineDetail",
                "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "7", "name": "Rent"}},
            }
        ],
        "TotalAmt": 120.0,
        "Balance": 0 if paid else 120.0,
    }


def bill_payment(
    n: int, bills: list[int], *, updated: datetime = T0, paid_on: str = "2026-08-28"
) -> dict[str, Any]:
    """Shaped after Intuit's BillPayment (Finance.xsd): one line per bill it settles."""
    return {
        "Id": str(3000 + n),
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
        "MetaData": meta(n, updated),
        "DocNumber": f"{7000 + n}",
        "TxnDate": paid_on,
        "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
        "VendorRef": {"value": str(50 + bills[0] % 5), "name": f"Vendor {bills[0] % 5}"},
        "PayType": "Check",
        "CheckPayment": {
            "BankAccountRef": {"value": "35", "name": "Checking"},
            "PrintStatus": "NotSet",
        },
        "Line": [
            {"Amount": 120.0, "LinkedTxn": [{"TxnId": str(2000 + b), "TxnType": "Bill"}]}
            for b in bills
        ],
        "TotalAmt": 120.0 * len(bills),
    }


def payment(
    n: int,
    invoices: list[int],
    *,
    updated: datetime = T0,
    paid_on: str = "2026-08-30",
    amount: float = 275.0,
) -> dict[str, Any]:
    """Shaped after Intuit's Payment (Finance.xsd): one line per invoice it is applied to."""
    return {
        "Id": str(5000 + n),
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
        "MetaData": meta(n, updated),
        "TxnDate": paid_on,
        "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
        "CustomerRef": {"value": str(invoices[0] % 20) if invoices else "1", "name": "Customer"},
        "DepositToAccountRef": {"value": "35"},
        "PaymentMethodRef": {"value": "2", "name": "Check"},
        "ProcessPayment": False,
        "UnappliedAmt": 0 if invoices else amount,
        "Line": [
            {
                "Amount": amount,
                "LinkedTxn": [{"TxnId": str(1000 + i), "TxnType": "Invoice"}],
                "LineEx": {"any": []},
            }
            for i in invoices
        ],
        "TotalAmt": amount * max(1, len(invoices)),
    }


def recurring(
    n: int,
    entity: str = "Invoice",
    *,
    active: bool = True,
    recur_type: str = "Automated",
    interval: str = "Monthly",
    end: str | None = None,
    party: str | None = None,
) -> dict[str, Any]:
    """Shaped after Intuit's RecurringTransaction: the template wrapped under its type."""
    schedule: dict[str, Any] = {
        "IntervalType": interval,
        "NumInterval": 1,
        "DayOfMonth": 1,
        "StartDate": "2026-01-01",
        "NextDate": "2026-10-01",
        "PreviousDate": "2026-09-01",
    }
    if end is not None:
        schedule["EndDate"] = end
    body: dict[str, Any] = {
        "Id": str(4000 + n),
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
        "MetaData": meta(n),
        "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
        "RecurringInfo": {
            "Name": f"Template {n}",
            "RecurType": recur_type,
            "Active": active,
            "ScheduleInfo": schedule,
        },
        "TxnDate": "2026-09-01",
        "TotalAmt": 275.0,
    }
    if entity == "Invoice":
        body["CustomerRef"] = {"value": party or str(n % 20), "name": f"Customer {n % 20}"}
        body["Line"] = [
            {
                "Id": "1",
                "Amount": 275.0,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "5", "name": "Gardening"}},
            }
        ]
    elif entity == "Bill":
        body["VendorRef"] = {"value": party or str(50 + n % 5), "name": f"Vendor {n % 5}"}
    elif entity == "JournalEntry":
        del body["TotalAmt"]
        body["Line"] = [
            {
                "Id": str(i),
                "Amount": 500.0,
                "DetailType": "JournalEntryLineDetail",
                "JournalEntryLineDetail": {
                    "PostingType": posting,
                    "AccountRef": {"value": str(60 + i), "name": account},
                },
            }
            for i, (posting, account) in enumerate(
                [("Debit", "Depreciation"), ("Credit", "Accumulated Depreciation")]
            )
        ]
    return {entity: body}


def fault(code: str, message: str, status: int = 400) -> tuple[int, dict[str, str], str]:
    body = {
        "Fault": {
            "Error": [{"Message": message, "Detail": f"{message} detail", "code": code}],
            "type": "ValidationFault",
        },
        "time": "2026-09-01T08:00:00.000-07:00",
    }
    return status, {}, json.dumps(body)


class FakeQuickBooks:
    """Entities served by /query (keyset-friendly) and /cdc (with deleted stubs)."""

    def __init__(self) -> None:
        self.entities: dict[str, list[dict[str, Any]]] = {name: [] for name in ENTITIES}
        self.deleted: dict[str, list[dict[str, Any]]] = {name: [] for name in self.entities}
        self.requests: list[requests.PreparedRequest] = []
        self.now = T0 + timedelta(days=1)
        self.valid_token = "qbo-access-1"
        self.refresh_token = "qbo-refresh-1"
        self.issued = 1
        self.intercept: Callable[[requests.PreparedRequest], Any] | None = None

    def delete(self, entity: str, ident: str, when: datetime) -> None:
        self.entities[entity] = [obj for obj in self.entities[entity] if obj["Id"] != ident]
        self.deleted[entity].append(
            {
                "domain": "QBO",
                "status": "Deleted",
                "Id": ident,
                "MetaData": {"LastUpdatedTime": stamp(when)},
            }
        )

    def install(self, mock: responses.RequestsMock) -> None:
        prefix = f"{BASE}/v3/company/{REALM}"
        mock.add_callback(responses.GET, f"{prefix}/query", callback=self._wrap(self._query))
        mock.add_callback(responses.GET, f"{prefix}/cdc", callback=self._wrap(self._cdc))
        mock.add_callback(responses.POST, TOKEN_URL, callback=self._token)

    def _token(self, request: requests.PreparedRequest) -> Any:
        form = parse_qs(str(request.body))
        if form["refresh_token"][0] != self.refresh_token:
            return 400, {}, json.dumps({"error": "invalid_grant"})
        self.issued += 1
        self.valid_token, self.refresh_token = (
            f"qbo-access-{self.issued}",
            f"qbo-refresh-{self.issued}",
        )
        body = {
            "access_token": self.valid_token,
            "refresh_token": self.refresh_token,
            "expires_in": 3600,
            "x_refresh_token_expires_in": 8726400,
        }
        return 200, {}, json.dumps(body)

    def _wrap(
        self, handler: Callable[[dict[str, list[str]]], dict[str, Any]]
    ) -> Callable[[requests.PreparedRequest], Any]:
        def answer(request: requests.PreparedRequest) -> Any:
            self.requests.append(request)
            if self.intercept is not None:
                override = self.intercept(request)
                if override is not None:
                    return override
            if request.headers.get("Authorization") != f"Bearer {self.valid_token}":
                return fault(
                    "3200", "message=AuthenticationFailed; errorCode=003200; statusCode=401", 401
                )
            query = parse_qs(urlsplit(request.url or "").query)
            body = handler(query)
            body["time"] = stamp(self.now)
            return 200, {}, json.dumps(body)

        return answer

    def _ordered(self, entity: str) -> list[dict[str, Any]]:
        if entity == "RecurringTransaction":
            return list(self.entities[entity])  # wrappers: no top-level MetaData
        return sorted(
            self.entities[entity],
            key=lambda obj: datetime.fromisoformat(obj["MetaData"]["LastUpdatedTime"]),
        )

    def _query(self, query: dict[str, list[str]]) -> dict[str, Any]:
        match = _SQL.match(query["query"][0])
        assert match, query["query"][0]
        if match["entity"] == "RecurringTransaction":
            assert not match["where"], "filters are not documented for templates"
            assert not match["order"], "ordering is not documented for templates"
        items = self._ordered(match["entity"])
        return {"QueryResponse": query_response(match["entity"], items, query["query"][0])}

    def _cdc(self, query: dict[str, list[str]]) -> dict[str, Any]:
        since = datetime.fromisoformat(query["changedSince"][0])
        responses_: list[dict[str, Any]] = []
        for entity in query["entities"][0].split(","):
            assert entity != "RecurringTransaction", "CDC is not documented for templates"
            changed = [
                obj
                for obj in self._ordered(entity) + self.deleted[entity]
                if datetime.fromisoformat(obj["MetaData"]["LastUpdatedTime"]) > since
            ][:1000]
            if changed:
                responses_.append(
                    {
                        entity: changed,
                        "startPosition": 1,
                        "maxResults": len(changed),
                        "totalCount": len(changed),
                    }
                )
            else:
                responses_.append({})
        return {"CDCResponse": [{"QueryResponse": responses_}]}

    @staticmethod
    def utc(moment: datetime) -> datetime:
        return moment.astimezone(UTC)
