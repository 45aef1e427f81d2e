"""A generated business's machine-made invoices served as Stripe (API version 2023-08-16 shapes).

Subscription invoices and invoices an integration raised live in Stripe, each customer under
a Stripe id (``cus_<our id>``): the same client is then in QuickBooks and in Stripe under
two ids, as in a real business. Lists page newest first with ``starting_after`` and
``has_more``; amounts are integer minor units; times are epoch seconds.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from busywork.evalkit.vendor_server import Answer, Request, bearer_ok, records_by

API_KEY = "rk_test_evaluation"
#: Origins of invoices a machine made through Stripe.
STRIPE_ORIGINS = frozenset({"subscription", "integration"})
_REASON = {
    "subscription": "subscription_cycle",
    "integration": "automatic_pending_invoice_item_invoice",
}


def stripe_customer_id(customer_id: str) -> str:
    """Our customer id as Stripe would have it."""
    return f"cus_{customer_id}"


def _epoch(value: Any) -> int | None:
    if value is None or pd.isna(value):
        return None
    moment = pd.Timestamp(value)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment
    return int(moment.timestamp())


def _minor(amount: Any) -> int:
    return 0 if pd.isna(amount) else round(float(amount) * 100)


def stripe_objects(frames: dict[str, pd.DataFrame]) -> dict[str, list[dict[str, Any]]]:
    """``customers`` and ``invoices`` (with embedded lines), newest first as Stripe lists them."""
    invoices = frames["invoices"]
    mine = invoices[invoices["origin"].isin(STRIPE_ORIGINS)]
    lines = frames["invoice_lines"]
    lines_by_invoice = records_by(lines[lines["invoice_id"].isin(mine["source_id"])], "invoice_id")
    book = frames["customers"].set_index("source_id")
    customers: list[dict[str, Any]] = []
    for customer_id in sorted(set(mine["customer_id"].dropna())):
        known = book.loc[customer_id] if customer_id in book.index else None
        created = known["created_at"] if known is not None else mine["created_at"].min()
        customers.append(
            {
                "id": stripe_customer_id(str(customer_id)),
                "object": "customer",
                "created": _epoch(created),
                "email": None if known is None else known["email"],
                "name": None if known is None else known["name"],
                "phone": None,
                "currency": "gbp",
                "livemode": False,
                "metadata": {},
            }
        )
    documents = [
        _invoice(row, lines_by_invoice.get(str(row["source_id"]), []))
        for row in mine.to_dict("records")
    ]
    return {
        "customers": sorted(customers, key=lambda c: (c["created"] or 0, c["id"]), reverse=True),
        "invoices": sorted(documents, key=lambda i: (i["created"], i["id"]), reverse=True),
        "credit_notes": [],  # served empty: the API route does not model credit notes yet
    }


def _invoice(row: dict[Any, Any], lines: list[dict[Any, Any]]) -> dict[str, Any]:
    invoice_id = f"in_{row['source_id']}"
    currency = str(row["currency"]).lower()
    status = str(row["status"]) if not pd.isna(row["status"]) else "open"
    total = _minor(row["total"])
    remaining = 0 if status in ("paid", "void") else _minor(row["balance"]) or total
    paid_at = _epoch(row["paid_at"]) if status == "paid" else None
    subscription = row["template_id"] if row["origin"] == "subscription" else None
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": stripe_customer_id(str(row["customer_id"])),
        "customer_name": row["customer_name"],
        "customer_email": row["customer_email"],
        "number": row["number"],
        "status": status,
        "created": _epoch(row["created_at"]),
        "effective_at": _epoch(row["issued_on"]),
        "due_date": _epoch(row["due_on"]),
        "status_transitions": {"finalized_at": _epoch(row["issued_on"]), "paid_at": paid_at},
        "total": total,
        "amount_due": total,
        "amount_paid": total if status == "paid" else 0,
        "amount_remaining": remaining,
        "currency": currency,
        "description": None if pd.isna(row["description"]) else row["description"],
        "billing_reason": _REASON[str(row["origin"])],
        "collection_method": "charge_automatically",
        "subscription": None if subscription is None or pd.isna(subscription) else subscription,
        "charge": f"ch_{row['source_id']}" if status == "paid" else None,
        "livemode": False,
        "lines": {
            "object": "list",
            "url": f"/v1/invoices/{invoice_id}/lines",
            "has_more": False,
            "data": [
                {
                    "id": f"il_{line['source_id']}",
                    "object": "line_item",
                    "amount": _minor(line["amount"]),
                    "currency": currency,
                    "description": line["description"],
                    "quantity": int(line["quantity"]),
                    "price": {"unit_amount": _minor(line["unit_price"]), "product": line["item"]},
                }
                for line in lines
            ],
        },
    }


class StripeApi:
    """``/v1/customers``, ``/v1/invoices`` and ``/v1/events`` with Stripe's cursor paging."""

    prefix = "/stripe"

    def __init__(self, objects: dict[str, list[dict[str, Any]]]) -> None:
        self.objects = objects

    def handle(self, request: Request) -> Answer:
        """Serve a list endpoint, or a Stripe-shaped error."""
        if not bearer_ok(request, API_KEY):
            error = {"type": "invalid_request_error", "message": "Invalid API Key provided"}
            return 401, {"error": error}
        feed = request.path.strip("/").removeprefix("v1/")
        if feed == "events":
            return 200, {"object": "list", "url": "/v1/events", "has_more": False, "data": []}
        if feed not in self.objects:
            error = {"type": "invalid_request_error", "message": "Unrecognized request URL"}
            return 404, {"error": error}
        items = self.objects[feed]
        after = request.arg("starting_after")
        if after:
            ids = [item["id"] for item in items]
            if after not in ids:
                error = {"type": "invalid_request_error", "message": f"No such object: '{after}'"}
                return 400, {"error": error}
            items = items[ids.index(after) + 1 :]
        limit = int(request.arg("limit") or 10)
        return 200, {
            "object": "list",
            "url": f"/v1/{feed}",
            "has_more": len(items) > limit,
            "data": items[:limit],
        }
