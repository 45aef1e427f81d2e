"""A fake Stripe API for `responses`: customers, invoices and events with real paging rules."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses

BASE = "https://api.stripe.test"


def customer(n: int, *, created: int = 1_700_000_000) -> dict[str, Any]:
    """A customer shaped like Stripe's 2023-08-16 fixture."""
    return {
        "id": f"cus_{n:06d}",
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": created + n,
        "currency": "gbp",
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": f"client{n}@example.com",
        "invoice_prefix": f"P{n:06d}",
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": f"Client {n}",
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def invoice(
    n: int,
    *,
    created: int = 1_700_000_000,
    status: str = "open",
    total: int = 12_000,
    currency: str = "gbp",
    subscription: str | None = None,
    billing_reason: str = "manual",
) -> dict[str, Any]:
    """An invoice shaped like Stripe's 2023-08-16 fixture, with one embedded line."""
    paid = status == "paid"
    return {
        "id": f"in_{n:06d}",
        "object": "invoice",
        "account_country": "GB",
        "amount_due": total,
        "amount_paid": total if paid else 0,
        "amount_remaining": 0 if paid else total,
        "amount_shipping": 0,
        "attempt_count": 1 if paid else 0,
        "attempted": paid,
        "automatic_tax": {"enabled": False, "status": None},
        "billing_reason": billing_reason,
        "charge": f"ch_{n:06d}" if paid else None,
        "collection_method": "send_invoice",
        "created": created + n,
        "currency": currency,
        "customer": f"cus_{n % 50:06d}",
        "customer_email": f"client{n % 50}@example.com",
        "customer_name": f"Client {n % 50}",
        "default_tax_rates": [],
        "description": None,
        "due_date": created + n + 30 * 86400,
        "effective_at": created + n,
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": f"il_{n:06d}",
                    "object": "line_item",
                    "amount": total,
                    "currency": currency,
                    "description": "Monthly bookkeeping",
                    "discountable": True,
                    "livemode": False,
                    "metadata": {},
                    "period": {"end": created + n, "start": created + n},
                    "price": {
                        "active": True,
                        "billing_scheme": "per_unit",
                        "created": created,
                        "currency": currency,
                        "id": "price_1",
                        "livemode": False,
                        "metadata": {},
                        "object": "price",
                        "product": "prod_1",
                        "type": "one_time",
                        "unit_amount": total,
                    },
                    "proration": False,
                    "quantity": 1,
                    "type": "invoiceitem",
                }
            ],
            "has_more": False,
            "url": f"/v1/invoices/in_{n:06d}/lines",
        },
        "livemode": False,
        "metadata": {},
        "number": f"INV-{n:04d}",
        "paid": paid,
        "paid_out_of_band": False,
        "payment_intent": None,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": created + n,
        "period_start": created + n,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "starting_balance": 0,
        "status": status,
        "status_transitions": {
            "finalized_at": None if status == "draft" else created + n,
            "marked_uncollectible_at": None,
            "paid_at": created + n + 86400 if paid else None,
            "voided_at": None,
        },
        "subscription": subscription,
        "subtotal": total,
        "total": total,
        "total_tax_amounts": [],
    }


def credit_note(
    n: int, *, amount: int = 12000, refund: str | None = None, created: int = 1_700_000_000
) -> dict[str, Any]:
    """Shaped after the 2023-08-16 ``credit_note`` fixture, crediting ``invoice(n)``."""
    return {
        "id": f"cn_{n:06d}",
        "object": "credit_note",
        "amount": amount,
        "amount_shipping": 0,
        "created": created + n,
        "currency": "gbp",
        "customer": f"cus_{n % 20:06d}",
        "customer_balance_transaction": None,
        "discount_amount": 0,
        "discount_amounts": [],
        "effective_at": created + n,
        "invoice": f"in_{n:06d}",
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": f"cnli_{n:06d}",
                    "object": "credit_note_line_item",
                    "amount": amount,
                    "amount_excluding_tax": amount,
                    "description": "Consulting (credited)",
                    "discount_amount": 0,
                    "discount_amounts": [],
                    "invoice_line_item": f"il_{n:06d}",
                    "livemode": False,
                    "quantity": 1,
                    "tax_amounts": [],
                    "tax_rates": [],
                    "type": "invoice_line_item",
                    "unit_amount": None,
                    "unit_amount_decimal": None,
                    "unit_amount_excluding_tax": str(amount),
                }
            ],
            "has_more": False,
            "url": f"/v1/credit_notes/cn_{n:06d}/lines",
        },
        "livemode": False,
        "memo": "Billed twice",
        "metadata": {},
        "number": f"ABCD-{n:04d}-CN-01",
        "out_of_band_amount": None,
        "pdf": f"https://pay.stripe.test/credit_notes/cn_{n:06d}/pdf",
        "reason": "duplicate",
        "refund": refund,
        "shipping_cost": None,
        "status": "issued",
        "subtotal": amount,
        "subtotal_excluding_tax": amount,
        "tax_amounts": [],
        "total": amount,
        "total_excluding_tax": amount,
        "type": "post_payment" if refund else "pre_payment",
        "voided_at": None,
    }


class FakeStripe:
    """Lists newest first with ``starting_after``/``has_more``; events filtered by ``created``."""

    def __init__(self, base: str = BASE) -> None:
        self.base = base
        self.customers: list[dict[str, Any]] = []
        self.invoices: list[dict[str, Any]] = []
        self.credit_notes: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.requests: list[requests.PreparedRequest] = []
        #: Called before answering; may return a response tuple to send instead (failures).
        self.intercept: Callable[[requests.PreparedRequest], Any] | None = None

    def add_event(self, kind: str, obj: dict[str, Any], created: int) -> None:
        n = len(self.events)
        self.events.append(
            {
                "id": f"evt_{n:06d}",
                "object": "event",
                "api_version": "2023-08-16",
                "created": created,
                "data": {"object": copy.deepcopy(obj)},
                "livemode": False,
                "pending_webhooks": 0,
                "request": {"id": None, "idempotency_key": None},
                "type": kind,
            }
        )

    def install(self, mock: responses.RequestsMock) -> None:
        for name in ("customers", "invoices", "credit_notes", "events"):
            mock.add_callback(responses.GET, f"{self.base}/v1/{name}", callback=self._lister(name))

    def _lister(self, name: str) -> Callable[[requests.PreparedRequest], Any]:
        def answer(request: requests.PreparedRequest) -> Any:
            self.requests.append(request)
            if self.intercept is not None:
                override = self.intercept(request)
                if override is not None:
                    return override
            query = parse_qs(urlsplit(request.url or "").query)
            items = sorted(
                getattr(self, name), key=lambda item: (item["created"], item["id"]), reverse=True
            )
            if "created[gte]" in query:
                since = int(query["created[gte]"][0])
                items = [item for item in items if item["created"] >= since]
            if "types[]" in query:
                items = [item for item in items if item["type"] in query["types[]"]]
            if "starting_after" in query:
                ids = [item["id"] for item in items]
                items = items[ids.index(query["starting_after"][0]) + 1 :]
            limit = int(query.get("limit", ["10"])[0])
            body = {
                "object": "list",
                "url": f"/v1/{name}",
                "has_more": len(items) > limit,
                "data": items[:limit],
            }
            return 200, {"Content-Type": "application/json"}, json.dumps(body)

        return answer
