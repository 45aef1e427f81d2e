"""A generated business's books served as QuickBooks Online v3 (query language subset, CDC).

Shapes follow Intuit's schema (Finance.xsd) as served in JSON at minor version 75:
``Customer``, ``Vendor``, ``Invoice`` (sales lines, ``RecurDataRef`` for template-made
ones), ``Payment`` (``LinkedTxn`` to its invoice), ``Bill``, ``BillPayment``,
``JournalEntry``. What QuickBooks cannot say is left out, as it would be in a real company:
there is no paid date on an invoice and no draft status. Bills carry ``TxnApprovalInfo``
(the company approves its bills through a workflow).
"""

from __future__ import annotations

import re
import zlib
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from busywork.evalkit.vendor_server import Answer, Request, bearer_ok, records_by

REALM = "9341453050108021"
ACCESS_TOKEN = "qbo-eval-access"
REFRESH_TOKEN = "qbo-eval-refresh"
_SQL = re.compile(
    r"SELECT \* FROM (?P<entity>\w+)(?: WHERE (?P<where>.*?))?"
    r"(?: ORDERBY Metadata\.LastUpdatedTime)?"
    r" STARTPOSITION (?P<start>\d+) MAXRESULTS (?P<size>\d+)$"
)


def _text(value: Any) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _stamp(value: Any) -> str:
    moment = pd.Timestamp(value)
    return moment.tz_localize(UTC).isoformat() if moment.tzinfo is None else moment.isoformat()


def _day(value: Any) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _meta(row: dict[Any, Any]) -> dict[str, str]:
    created = row.get("created_at")
    updated = row.get("updated_at")
    created = created if created is not None and not pd.isna(created) else pd.Timestamp(0)
    updated = updated if updated is not None and not pd.isna(updated) else created
    return {"CreateTime": _stamp(created), "LastUpdatedTime": _stamp(updated)}


def _ref(value: Any, name: Any = None) -> dict[str, str] | None:
    if _text(value) is None:
        return None
    body = {"value": str(value)}
    if _text(name) is not None:
        body["name"] = str(name)
    return body


def _base(row: dict[Any, Any]) -> dict[str, Any]:
    return {"Id": str(row["source_id"]), "SyncToken": "0", "domain": "QBO", "sparse": False,
            "MetaData": _meta(row)}  # fmt: skip


def company(frames: dict[str, pd.DataFrame]) -> dict[str, list[dict[str, Any]]]:
    """Every QuickBooks entity of the business, by entity name."""
    entities: dict[str, list[dict[str, Any]]] = {}
    entities["Customer"] = [
        {**_base(r), "DisplayName": r["name"], "Active": True,
         "PrimaryEmailAddr": {"Address": r["email"]} if _text(r["email"]) else None,
         "PrimaryPhone": {"FreeFormNumber": r["phone"]} if _text(r.get("phone")) else None}
        for r in frames["customers"].to_dict("records")
    ]  # fmt: skip
    entities["Vendor"] = [
        {**_base(r), "DisplayName": r["name"], "Active": True,
         "PrimaryEmailAddr": {"Address": r["email"]} if _text(r["email"]) else None}
        for r in frames["vendors"].to_dict("records")
    ]  # fmt: skip
    grouped = records_by(frames["invoice_lines"], "invoice_id")
    entities["Invoice"] = [
        _invoice(r, grouped.get(str(r["source_id"]), []))
        for r in frames["invoices"].to_dict("records")
    ]
    payments = frames["payments"]
    entities["Payment"] = [
        {**_base(r), "TxnDate": _day(r["paid_at"]), "TotalAmt": float(r["amount"]),
         "CustomerRef": _ref(r["customer_id"]), "CurrencyRef": _ref(r["currency"]),
         "PaymentMethodRef": _ref(r["method"], r["method"]),
         "Line": [{"Amount": float(r["amount"]),
                   "LinkedTxn": [{"TxnId": str(r["invoice_id"]), "TxnType": "Invoice"}]}]}
        for r in payments[payments["invoice_id"].notna()].to_dict("records")
    ]  # fmt: skip
    entities["Bill"] = [_bill(r) for r in frames["bills"].to_dict("records")]
    entities["BillPayment"] = [
        {**_base(r), "TxnDate": _day(r["paid_at"]), "TotalAmt": float(r["amount"]),
         "VendorRef": _ref(r["vendor_id"]), "CurrencyRef": _ref(r["currency"]),
         "PayType": "Check",
         "Line": [{"Amount": float(r["amount"]),
                   "LinkedTxn": [{"TxnId": str(r["bill_id"]), "TxnType": "Bill"}]}]}
        for r in payments[payments["bill_id"].notna()].to_dict("records")
    ]  # fmt: skip
    journals = frames["journal_entries"]
    # Payroll run by an integration posts its own paychecks, not JournalEntry objects.
    keyed = journals[journals["origin"] != "integration"]
    entities["JournalEntry"] = [_journal(r) for r in keyed.to_dict("records")]
    entities["RecurringTransaction"] = []
    return {name: [_clean(e) for e in items] for name, items in entities.items()}


def _invoice(row: dict[Any, Any], lines: list[dict[Any, Any]]) -> dict[str, Any]:
    void = row["status"] == "void"
    total = 0.0 if void else float(row["total"])
    balance = row["balance"]
    if pd.isna(balance):
        # No status either: paid at checkout (QuickBooks always knows the balance), with no
        # payment recorded against it, as a shop's till does not.
        settled = row["status"] == "paid" or _text(row["status"]) is None
        balance = 0.0 if settled else total
    body = {
        **_base(row),
        "DocNumber": _text(row["number"]),
        "TxnDate": _day(row["issued_on"]),
        "DueDate": _day(row["due_on"]),
        "CurrencyRef": _ref(row["currency"]),
        "CustomerRef": _ref(row["customer_id"], row["customer_name"]),
        "BillEmail": {"Address": row["customer_email"]} if _text(row["customer_email"]) else None,
        "CustomerMemo": _ref(row["description"]),
        "TotalAmt": total,
        "Balance": 0.0 if void else float(balance),
        "PrivateNote": "Voided" if void else None,
        "RecurDataRef": _ref(row["template_id"]),
        "Line": [
            {"Id": str(n), "LineNum": int(line["line_no"]),
             "Description": _text(line["description"]), "Amount": float(line["amount"]),
             "DetailType": "SalesItemLineDetail",
             "SalesItemLineDetail": {"ItemRef": _ref(line["item"], line["item"]),
                                     "Qty": float(line["quantity"]),
                                     "UnitPrice": float(line["unit_price"])}}
            for n, line in enumerate(lines, start=1)
        ],
    }  # fmt: skip
    return body


def _bill(row: dict[Any, Any]) -> dict[str, Any]:
    void = row["status"] == "void"
    total = 0.0 if void else float(row["total"])
    return {
        **_base(row),
        "DocNumber": _text(row["number"]),
        "TxnDate": _day(row["issued_on"]),
        "DueDate": _day(row["due_on"]),
        "CurrencyRef": _ref(row["currency"]),
        "VendorRef": _ref(row["vendor_id"], row["vendor_name"]),
        "TotalAmt": total,
        "Balance": 0.0 if void or row["status"] == "paid" else total,
        "PrivateNote": "Voided" if void else _text(row["description"]),
        "RecurDataRef": _template(row),
        "TxnApprovalInfo": _approval(row),
        "Line": [{"Id": "1", "Amount": total, "DetailType": "AccountBasedExpenseLineDetail"}],
    }


def _approval(row: dict[Any, Any]) -> dict[str, str] | None:
    """Where a bill stands in the company's approval workflow, and since when.

    The business approves its bills, so QuickBooks runs a bill approval workflow: a bill
    waits (``PENDING_APPROVAL`` since it was entered) until approved (``APPROVED`` at its
    approval). Drafts and voided bills are not in the workflow.
    """
    if row["status"] == "awaiting_approval":
        return {"ApprovalStatus": "PENDING_APPROVAL", "LastChangedDate": _stamp(row["created_at"])}
    approved = row.get("approved_at")
    if row["status"] in ("approved", "paid") and approved is not None and not pd.isna(approved):
        return {"ApprovalStatus": "APPROVED", "LastChangedDate": _stamp(approved)}
    return None


def _journal(row: dict[Any, Any]) -> dict[str, Any]:
    postings = journal_postings(str(row["accounts"]), float(row["amount"]))
    return {
        **_base(row),
        "TxnDate": _day(row["posted_on"]),
        "CurrencyRef": _ref(row["currency"]),
        "PrivateNote": _text(row["memo"]),
        "RecurDataRef": _template(row),
        "Line": [
            {"Id": str(n), "Amount": abs(amount), "DetailType": "JournalEntryLineDetail",
             "JournalEntryLineDetail": {"PostingType": "Debit" if amount > 0 else "Credit",
                                        "AccountRef": {"value": account_id(account),
                                                       "name": account}}}
            for n, (account, amount) in enumerate(postings)
        ],
    }  # fmt: skip


def account_id(name: str) -> str:
    """A stable numeric Account ``Id`` for an account name (QuickBooks names accounts by id)."""
    return str(1 + zlib.crc32(name.strip().lower().encode()) % 997)


def journal_postings(accounts: str, amount: float) -> list[tuple[str, float]]:
    """Every account of a journal with its signed amount: the first debited, the rest credited.

    The credits share ``amount`` in pence, the last taking the remainder, so they balance.
    """
    names = [part.strip() for part in accounts.split("|") if part.strip()]
    pence = round(amount * 100)
    credits = len(names) - 1 or 1
    share = pence // credits
    parts = [share] * (credits - 1) + [pence - share * (credits - 1)]
    return [(names[0], amount)] + [
        (name, -part / 100) for name, part in zip(names[1:] or names, parts, strict=False)
    ]


def _template(row: dict[Any, Any]) -> dict[str, str] | None:
    """A scheduled transaction made by QuickBooks' recurring template carries its reference."""
    if row["origin"] not in ("recurring", "template"):
        return None
    return {"value": f"TPL-{row['source_id']}"}


def _clean(entity: dict[str, Any]) -> dict[str, Any]:
    """Drop absent fields: QuickBooks omits them rather than sending null."""
    return {key: value for key, value in entity.items() if value is not None}


class QuickBooksApi:
    """``/v3/company/{realm}/query``, ``/cdc`` and the OAuth token endpoint."""

    prefix = "/quickbooks"
    token_path = "/oauth2/v1/tokens/bearer"

    def __init__(self, entities: dict[str, list[dict[str, Any]]]) -> None:
        self.entities = {
            name: sorted(items, key=lambda e: e.get("MetaData", {}).get("LastUpdatedTime", ""))
            for name, items in entities.items()
        }
        self.access_token = ACCESS_TOKEN
        self.refreshes = 0

    def handle(self, request: Request) -> Answer:
        """Route to the token endpoint, ``query`` or ``cdc``."""
        if request.path == self.token_path:
            return self._token(request)
        if not bearer_ok(request, self.access_token):
            fault = {"Error": [{"Message": "AuthenticationFailed", "code": "3200"}]}
            return 401, {"Fault": fault, "time": _now()}
        company = f"/v3/company/{REALM}"
        if request.path == f"{company}/query":
            return 200, {"QueryResponse": self._query(request.arg("query") or ""), "time": _now()}
        if request.path == f"{company}/cdc":
            empty: list[dict[str, Any]] = [{} for _ in (request.arg("entities") or "").split(",")]
            return 200, {"CDCResponse": [{"QueryResponse": empty}], "time": _now()}
        return 404, {"Fault": {"Error": [{"Message": "not found", "code": "610"}]}}

    def _token(self, request: Request) -> Answer:
        if request.form.get("refresh_token", [""])[-1] != REFRESH_TOKEN:
            return 400, {"error": "invalid_grant"}
        self.refreshes += 1
        self.access_token = f"{ACCESS_TOKEN}-{self.refreshes}"
        return 200, {
            "access_token": self.access_token,
            "refresh_token": REFRESH_TOKEN,
            "expires_in": 3600,
            "x_refresh_token_expires_in": 8726400,
        }

    def _query(self, sql: str) -> dict[str, Any]:
        match = _SQL.match(sql)
        if match is None:
            return {"startPosition": 1, "maxResults": 0}
        return query_response(match["entity"], self.entities.get(match["entity"], []), sql)


def query_response(entity: str, ordered: list[dict[str, Any]], sql: str) -> dict[str, Any]:
    """The ``QueryResponse`` of ``sql`` over ``ordered`` (sorted by ``LastUpdatedTime``).

    Honours the subset of the query language connectors send: a ``Metadata.LastUpdatedTime
    >= '…'`` bound and ``STARTPOSITION`` (1-based) with ``MAXRESULTS``.

    Raises:
        ValueError: ``sql`` is not of that form.
    """
    match = _SQL.match(sql)
    if match is None:
        raise ValueError(f"not a query this fake understands: {sql!r}")
    items = ordered
    bound = re.search(r"Metadata\.LastUpdatedTime >= '([^']+)'", match["where"] or "")
    if bound:
        since = datetime.fromisoformat(bound.group(1))
        items = [
            e for e in items if datetime.fromisoformat(e["MetaData"]["LastUpdatedTime"]) >= since
        ]
    start, size = int(match["start"]), int(match["size"])
    chunk = items[start - 1 : start - 1 + size]
    result: dict[str, Any] = {"startPosition": start, "maxResults": len(chunk)}
    if chunk:
        result[entity] = chunk
    return result


def _now() -> str:
    return datetime.now(UTC).isoformat()
