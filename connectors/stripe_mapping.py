"""Stripe objects to canonical rows: customers, invoices and credit notes, invoice payments.

Credit notes are invoice rows of type ``credit_note`` (``refund`` when they refund money)
with their amounts negated.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from busywork.store.doc_types import CREDIT_NOTE, REFUND
from busywork.store.records import Origin, RecordKind

Pair = tuple[RecordKind, dict[str, Any]]

#: Currencies Stripe counts in whole units (https://docs.stripe.com/currencies#zero-decimal).
ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()  # noqa: SIM905
)
#: Currencies with three decimals in Stripe's minor units.
THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])
_STATUS = {
    "draft": "draft",
    "open": "open",
    "paid": "paid",
    "void": "void",
    "uncollectible": "open",
}
#: ``billing_reason`` values that mean the invoice was made by a machine, not a person.
_AUTOMATED_REASONS = {
    "subscription": Origin.SUBSCRIPTION,
    "subscription_create": Origin.SUBSCRIPTION,
    "subscription_cycle": Origin.SUBSCRIPTION,
    "subscription_threshold": Origin.SUBSCRIPTION,
    "subscription_update": Origin.SUBSCRIPTION,
    "automatic_pending_invoice_item_invoice": Origin.INTEGRATION,
}


def from_minor(amount: Any, currency: str) -> float:
    """``amount`` in Stripe minor units as a decimal amount of ``currency``."""
    if amount is None or isinstance(amount, bool) or not isinstance(amount, int | float):
        raise ValueError(f"amount {amount!r} is not a number")
    code = currency.lower()
    exponent = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
    return float(Decimal(int(amount)).scaleb(-exponent))


def timestamp(value: Any) -> str | None:
    """An epoch-seconds value as ISO-8601 UTC text (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"timestamp {value!r} is not epoch seconds")
    return datetime.fromtimestamp(value, UTC).isoformat()


def _ref(value: Any) -> str | None:
    # Expandable fields are an id, or the object itself when expanded.
    if isinstance(value, Mapping):
        return str(value["id"])
    return None if value is None else str(value)


def map_customer(customer: Mapping[str, Any]) -> Iterator[Pair]:
    """A Stripe customer; a deleted stub yields nothing (deletions come from events)."""
    if customer.get("deleted"):
        return
    yield (
        RecordKind.CUSTOMER,
        {
            "source_id": customer["id"],
            "name": customer.get("name") or customer.get("email") or customer["id"],
            "email": customer.get("email"),
            "phone": customer.get("phone"),
            "origin": Origin.MANUAL.value,
            "created_at": timestamp(customer["created"]),
        },
    )


def invoice_origin(invoice: Mapping[str, Any]) -> tuple[Origin, str | None]:
    """How the invoice was made, and the subscription behind it if any."""
    parent = invoice.get("parent") or {}
    subscription = _ref(invoice.get("subscription")) or _ref(
        (parent.get("subscription_details") or {}).get("subscription")
    )
    if subscription:
        return Origin.SUBSCRIPTION, subscription
    reason = invoice.get("billing_reason")
    return _AUTOMATED_REASONS.get(str(reason), Origin.MANUAL), None


def map_invoice(invoice: Mapping[str, Any]) -> Iterator[Pair]:
    """A Stripe invoice, its embedded lines and, once paid, the payment that settled it."""
    currency = str(invoice["currency"])
    status = _STATUS.get(str(invoice["status"]))
    if status is None:
        raise ValueError(f"unknown invoice status {invoice['status']!r}")
    origin, subscription = invoice_origin(invoice)
    transitions = invoice.get("status_transitions") or {}
    issued = invoice.get("effective_at") or transitions.get("finalized_at") or invoice["created"]
    yield (
        RecordKind.INVOICE,
        {
            "source_id": invoice["id"],
            "customer_id": _ref(invoice.get("customer")),
            "customer_name": invoice.get("customer_name"),
            "customer_email": invoice.get("customer_email"),
            "number": invoice.get("number"),
            "status": status,
            "issued_on": timestamp(issued),
            "due_on": timestamp(invoice.get("due_date")),
            "paid_at": timestamp(transitions.get("paid_at")),
            "total": from_minor(invoice["total"], currency),
            "balance": from_minor(invoice.get("amount_remaining", 0), currency),
            "currency": currency.upper(),
            "template_id": subscription,
            "description": (invoice.get("description") or None),
            "origin": origin.value,
            "created_at": timestamp(invoice["created"]),
        },
    )
    for line_no, line in enumerate((invoice.get("lines") or {}).get("data") or [], start=1):
        yield map_line(invoice, line, line_no)
    paid = invoice.get("amount_paid") or 0
    if status == "paid" and paid > 0 and transitions.get("paid_at"):
        automatic = invoice.get("collection_method") == "charge_automatically"
        yield (
            RecordKind.PAYMENT,
            {
                "source_id": _ref(invoice.get("charge"))
                or _ref(invoice.get("payment_intent"))
                or f"{invoice['id']}:payment",
                "invoice_id": invoice["id"],
                "customer_id": _ref(invoice.get("customer")),
                "paid_at": timestamp(transitions["paid_at"]),
                "amount": from_minor(paid, currency),
                "currency": currency.upper(),
                "method": "card" if automatic else None,
                "origin": (Origin.INTEGRATION if automatic else Origin.MANUAL).value,
            },
        )


def map_line(invoice: Mapping[str, Any], line: Mapping[str, Any], line_no: int) -> Pair:
    """One invoice line item."""
    currency = str(line.get("currency") or invoice["currency"])
    price = line.get("price") or {}
    unit = price.get("unit_amount")
    origin, _ = invoice_origin(invoice)
    return (
        RecordKind.INVOICE_LINE,
        {
            "source_id": line["id"],
            "invoice_id": invoice["id"],
            "line_no": line_no,
            "description": line.get("description"),
            "item": _ref(price.get("product")) if price else None,
            "quantity": line.get("quantity"),
            "unit_price": None if unit is None else from_minor(unit, currency),
            "amount": from_minor(line["amount"], currency),
            "origin": origin.value,
        },
    )


def map_credit_note(note: Mapping[str, Any]) -> Iterator[Pair]:
    """A credit note: an invoice row of type ``credit_note`` (``refund`` when it refunds money).

    Stripe applies a credit note when it is issued (to the invoice, the customer's balance
    or a refund), so an issued note is settled (``paid``) with nothing left; a voided one
    is ``void``. Its total and lines are negated: it reduces what the customer owes.
    """
    currency = str(note["currency"])
    status = {"issued": "paid", "void": "void"}.get(str(note["status"]))
    if status is None:
        raise ValueError(f"unknown credit note status {note['status']!r}")
    note_id = str(note["id"])
    yield (
        RecordKind.INVOICE,
        {
            "source_id": note_id,
            "customer_id": _ref(note.get("customer")),
            "number": note.get("number"),
            "status": status,
            "issued_on": timestamp(note.get("effective_at") or note["created"]),
            "total": -from_minor(note["total"], currency),
            "balance": 0.0,
            "currency": currency.upper(),
            "description": note.get("memo") or None,
            "doc_type": REFUND if note.get("refund") else CREDIT_NOTE,
            "origin": Origin.MANUAL.value,
            "created_at": timestamp(note["created"]),
        },
    )
    for line_no, line in enumerate((note.get("lines") or {}).get("data") or [], start=1):
        unit = line.get("unit_amount")
        yield (
            RecordKind.INVOICE_LINE,
            {
                "source_id": line["id"],
                "invoice_id": note_id,
                "line_no": line_no,
                "description": line.get("description"),
                "quantity": line.get("quantity"),
                "unit_price": None if unit is None else -from_minor(unit, currency),
                "amount": -from_minor(line["amount"], currency),
                "origin": Origin.MANUAL.value,
            },
        )
