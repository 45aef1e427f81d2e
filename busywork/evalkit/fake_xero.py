"""A generated business's books served as Xero Accounting API 2.0.

Feeds ``Contacts``, ``Invoices`` (``ACCREC`` sales invoices and ``ACCPAY`` bills),
``Payments``, ``ManualJournals`` and ``RepeatingInvoices``, paged with ``page`` (100 a page,
a short page ends the feed), filtered by the ``If-Modified-Since`` header (naive UTC) and
ordered by ``UpdatedDateUTC``. Dates are Microsoft JSON dates, ``/Date(ms+0000)/``.
Journal lines name accounts by code, as Xero does; :func:`account_code` gives the code and
``Accounts`` (the chart, unpaged) the names. Journals an app posted (payroll, prepayment
release) carry the app's ``Url``, as the API's own apps do; those keyed by hand have none.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from busywork.evalkit.fake_quickbooks import journal_postings
from busywork.evalkit.vendor_server import Answer, Request, bearer_ok, records_by

TENANT = "eval-tenant-0001"
ACCESS_TOKEN = "xero-eval-access"
REFRESH_TOKEN = "xero-eval-refresh"
PAGE_SIZE = 100
#: Where an app that posts journals (payroll, prepayments) links each one back to.
APP_URL = "https://app.example.com/journals"
#: Feeds Xero serves whole, without ``If-Modified-Since`` or paging.
UNPAGED = frozenset({"Accounts", "RepeatingInvoices"})
FEEDS = (
    "Accounts",
    "Contacts",
    "Invoices",
    "CreditNotes",
    "Payments",
    "ManualJournals",
    "RepeatingInvoices",
)
_INVOICE_STATUS = {"draft": "DRAFT", "open": "AUTHORISED", "paid": "PAID", "void": "VOIDED"}
_BILL_STATUS = {
    "draft": "DRAFT",
    "awaiting_approval": "SUBMITTED",
    "approved": "AUTHORISED",
    "paid": "PAID",
    "void": "VOIDED",
}


def account_code(name: str) -> str:
    """A stable three-digit account code for an account name (Xero's chart uses codes)."""
    return str(200 + zlib.crc32(name.strip().lower().encode()) % 700)


def _ms(value: Any) -> int | None:
    if value is None or pd.isna(value):
        return None
    moment = pd.Timestamp(value)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment
    return int(moment.timestamp() * 1000)


def _date(value: Any) -> str | None:
    ms = _ms(value)
    return None if ms is None else f"/Date({ms}+0000)/"


def _text(value: Any) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def organisation(frames: dict[str, pd.DataFrame]) -> dict[str, list[dict[str, Any]]]:
    """Every Xero object of the business, by feed."""
    contacts = [
        {"ContactID": r["source_id"], "Name": r["name"], "EmailAddress": _text(r["email"]),
         "IsCustomer": True, "IsSupplier": False, "ContactStatus": "ACTIVE",
         "UpdatedDateUTC": _date(r["updated_at"])}
        for r in frames["customers"].to_dict("records")
    ] + [
        {"ContactID": r["source_id"], "Name": r["name"], "EmailAddress": _text(r["email"]),
         "IsCustomer": False, "IsSupplier": True, "ContactStatus": "ACTIVE",
         "UpdatedDateUTC": _date(r["updated_at"])}
        for r in frames["vendors"].to_dict("records")
    ]  # fmt: skip
    by_invoice = records_by(frames["invoice_lines"], "invoice_id")
    invoices = [
        _sales(r, by_invoice.get(str(r["source_id"]), []))
        for r in frames["invoices"].to_dict("records")
    ] + [_bill(r) for r in frames["bills"].to_dict("records")]
    kinds = {i["InvoiceID"]: i for i in invoices}
    payments = [
        _payment(r, kinds.get(str(r["invoice_id"] if _text(r["invoice_id"]) else r["bill_id"])))
        for r in frames["payments"].to_dict("records")
    ]
    journals = [_journal(r) for r in frames["journal_entries"].to_dict("records")]
    names = {
        part.strip()
        for cell in frames["journal_entries"]["accounts"].dropna()
        for part in str(cell).split("|")
        if part.strip()
    }
    return {
        "Accounts": [
            {
                "AccountID": f"acc-{account_code(name)}",
                "Code": account_code(name),
                "Name": name,
                "Status": "ACTIVE",
            }
            for name in sorted(names)
        ],
        "Contacts": contacts,
        "Invoices": invoices,
        "Payments": [p for p in payments if p is not None],
        "ManualJournals": journals,
        "RepeatingInvoices": [],
        # The generator's credit notes travel as negative invoices in the CSV route; the
        # API route does not serve them as Xero credit notes yet.
        "CreditNotes": [],
    }


def _template(row: dict[Any, Any]) -> str | None:
    if _text(row.get("template_id")):
        return str(row["template_id"])
    return f"RPT-{row['source_id']}" if row["origin"] in ("recurring", "template") else None


def _sales(row: dict[Any, Any], lines: list[dict[Any, Any]]) -> dict[str, Any]:
    # No status: paid at checkout (Xero always knows), on a day the export did not keep.
    status = (
        _INVOICE_STATUS.get(str(row["status"]), "AUTHORISED") if _text(row["status"]) else "PAID"
    )
    total = float(row["total"])
    due = 0.0 if status in ("PAID", "VOIDED") else total
    if status == "AUTHORISED" and not pd.isna(row["balance"]):
        due = float(row["balance"])
    return {
        "InvoiceID": row["source_id"],
        "Type": "ACCREC",
        "InvoiceNumber": _text(row["number"]),
        "Reference": _text(row["description"]),
        "Contact": {"ContactID": row["customer_id"], "Name": row["customer_name"],
                    "EmailAddress": _text(row["customer_email"])}
        if _text(row["customer_id"]) else {"Name": "Cash sale"},
        "Date": _date(row["issued_on"]),
        "DueDate": _date(row["due_on"]),
        "Status": status,
        "LineItems": [
            {"LineItemID": line["source_id"], "Description": _text(line["description"]),
             "Quantity": float(line["quantity"]), "UnitAmount": float(line["unit_price"]),
             "ItemCode": _text(line["item"]), "LineAmount": float(line["amount"])}
            for line in lines
        ],
        "Total": total,
        "AmountDue": due,
        "AmountPaid": total - due,
        "CurrencyCode": row["currency"],
        "FullyPaidOnDate": _date(row["paid_at"]) if status == "PAID" else None,
        "RepeatingInvoiceID": _template(row),
        "UpdatedDateUTC": _date(row["updated_at"]),
    }  # fmt: skip


def _bill(row: dict[Any, Any]) -> dict[str, Any]:
    status = _BILL_STATUS.get(str(row["status"]), "AUTHORISED")
    total = float(row["total"])
    return {
        "InvoiceID": row["source_id"],
        "Type": "ACCPAY",
        "InvoiceNumber": _text(row["number"]),
        "Reference": _text(row["description"]),
        "Contact": {"ContactID": row["vendor_id"], "Name": row["vendor_name"]},
        "Date": _date(row["issued_on"]),
        "DueDate": _date(row["due_on"]),
        "Status": status,
        "LineItems": [],
        "Total": total,
        "AmountDue": 0.0 if status in ("PAID", "VOIDED") else total,
        "CurrencyCode": row["currency"],
        "FullyPaidOnDate": _date(row["paid_at"]) if status == "PAID" else None,
        "RepeatingInvoiceID": _template(row),
        "UpdatedDateUTC": _date(row["updated_at"]),
    }


def _payment(row: dict[Any, Any], document: dict[str, Any] | None) -> dict[str, Any] | None:
    if document is None:
        return None
    return {
        "PaymentID": row["source_id"],
        "Date": _date(row["paid_at"]),
        "Amount": float(row["amount"]),
        "Status": "AUTHORISED",
        "PaymentType": "ACCPAYPAYMENT" if document["Type"] == "ACCPAY" else "ACCRECPAYMENT",
        "Invoice": {
            "InvoiceID": document["InvoiceID"],
            "Type": document["Type"],
            "CurrencyCode": row["currency"],
            "Contact": {"ContactID": document["Contact"].get("ContactID")},
        },
        "UpdatedDateUTC": _date(row["updated_at"]),
    }


def _journal(row: dict[Any, Any]) -> dict[str, Any]:
    postings = journal_postings(str(row["accounts"]), float(row["amount"]))
    return {
        "ManualJournalID": row["source_id"],
        "Date": _date(row["posted_on"]),
        "Narration": _text(row["memo"]),
        "Status": "POSTED",
        "Url": None if row["origin"] == "manual" else f"{APP_URL}/{row['source_id']}",
        "JournalLines": [
            {"AccountCode": account_code(account), "LineAmount": amount}
            for account, amount in postings
        ],
        "UpdatedDateUTC": _date(row["updated_at"]),
    }


def histories(frames: dict[str, pd.DataFrame]) -> dict[str, list[dict[str, Any]]]:
    """Each bill's and manual journal's history records, by id (``…/{id}/History``).

    ``Created`` when the bill or journal was entered, ``Approved`` when a bill was approved,
    ``Paid`` when paid: the changes Xero records, each with its ``DateUTC``.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for row in frames["journal_entries"].to_dict("records"):
        out[str(row["source_id"])] = [
            {"Changes": "Created", "DateUTC": _date(row["created_at"]), "User": "Eval User",
             "Details": ""}
        ] if _date(row["created_at"]) is not None else []  # fmt: skip
    for row in frames["bills"].to_dict("records"):
        changes = [("Created", row["created_at"]), ("Approved", row["approved_at"])]
        if row["status"] == "paid":
            changes.append(("Paid", row["paid_at"]))
        out[str(row["source_id"])] = [
            {"Changes": change, "DateUTC": _date(when), "User": "Eval User", "Details": ""}
            for change, when in changes
            if _date(when) is not None
        ]
    return out


class XeroApi:
    """The feeds, bills' histories and the identity server's token endpoint."""

    prefix = "/xero"
    token_path = "/connect/token"

    def __init__(
        self,
        feeds: dict[str, list[dict[str, Any]]],
        history: dict[str, list[dict[str, Any]]] | None = None,
    ) -> None:
        self.feeds = {name: sorted(items, key=_updated) for name, items in feeds.items()}
        self.history = history or {}
        self.access_token = ACCESS_TOKEN

    def handle(self, request: Request) -> Answer:
        """Serve the token endpoint and the feeds."""
        if request.path == self.token_path:
            if request.form.get("refresh_token", [""])[-1] != REFRESH_TOKEN:
                return 400, {"error": "invalid_grant"}
            self.access_token = f"{ACCESS_TOKEN}-fresh"
            return 200, {
                "access_token": self.access_token,
                "refresh_token": REFRESH_TOKEN,
                "expires_in": 1800,
                "token_type": "Bearer",
            }
        if not bearer_ok(request, self.access_token):
            return 401, {"Type": None, "Title": "Unauthorized", "Status": 401}
        if request.headers.get("xero-tenant-id") != TENANT:
            return 403, {"Type": None, "Title": "Forbidden", "Detail": "AuthenticationUnsuccessful"}
        feed = request.path.strip("/")
        parts = feed.split("/")
        if len(parts) == 3 and parts[0] in ("Invoices", "ManualJournals") and parts[2] == "History":
            return 200, {"HistoryRecords": self.history.get(parts[1], [])}
        if feed not in self.feeds:
            return 404, {"Type": None, "Title": "Not Found", "Status": 404}
        items = self.feeds[feed]
        since = request.headers.get("if-modified-since")
        if since:
            bound = int(datetime.fromisoformat(since).replace(tzinfo=UTC).timestamp() * 1000)
            items = [o for o in items if _updated(o) >= bound]
        if feed in UNPAGED:
            return 200, {feed: items}
        page = int(request.arg("page") or 1)
        chunk = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return 200, {feed: chunk}


def _updated(obj: dict[str, Any]) -> int:
    text = str(obj.get("UpdatedDateUTC") or "/Date(0+0000)/")
    return int(text[6:].split("+", maxsplit=1)[0].split(")", maxsplit=1)[0])
