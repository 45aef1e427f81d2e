"""Xero objects to canonical rows: contacts, invoices, bills, payments, journals, templates.

Xero writes timestamps as ``/Date(1541176290160+0000)/`` (milliseconds since the epoch in
UTC; the offset is informational). Calendar fields (``Date``, ``DueDate``) are midnight UTC
of the calendar day and are kept as plain dates, not shifted into the business timezone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from busywork.store.doc_types import CREDIT_NOTE
from busywork.store.records import Origin, RecordKind

Pair = tuple[RecordKind, dict[str, Any]]
_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_INVOICE_STATUS = {
    "DRAFT": "draft",
    "SUBMITTED": "draft",
    "AUTHORISED": "open",
    "PAID": "paid",
    "VOIDED": "void",
}
_BILL_STATUS = {
    "DRAFT": "draft",
    "SUBMITTED": "awaiting_approval",
    "AUTHORISED": "approved",
    "PAID": "paid",
    "VOIDED": "void",
}
#: Statuses that mean the object no longer exists for the business.
DELETED_STATUSES = frozenset({"DELETED"})
#: Journals have no status column: a voided journal is as good as deleted.
DELETED_JOURNAL_STATUSES = frozenset({"DELETED", "VOIDED"})


def ms_epoch(value: Any) -> int:
    """Milliseconds since the epoch from a Xero ``/Date(…)/`` value.

    Raises:
        ValueError: the value is not in that form.
    """
    match = _MS_DATE.match(str(value).strip())
    if match is None:
        raise ValueError(f"{value!r} is not a Xero /Date(…)/ value")
    return int(match.group(1))


def xero_datetime(value: Any) -> str | None:
    """A ``/Date(…)/`` value as ISO-8601 UTC text (None and "" stay None)."""
    if value in (None, ""):
        return None
    return datetime.fromtimestamp(ms_epoch(value) / 1000, UTC).isoformat()


def xero_date(value: Any) -> str | None:
    """A ``/Date(…)/`` calendar value as ``YYYY-MM-DD`` (the UTC day Xero means)."""
    if value in (None, ""):
        return None
    return datetime.fromtimestamp(ms_epoch(value) / 1000, UTC).date().isoformat()


def is_deleted(obj: Mapping[str, Any], statuses: frozenset[str] = DELETED_STATUSES) -> bool:
    """True when the object's status says it is gone."""
    return str(obj.get("Status", "")).upper() in statuses


def map_contact(contact: Mapping[str, Any]) -> Iterator[Pair]:
    """A contact as a customer, a vendor, or both (neither flag set: a customer)."""
    row = {
        "source_id": contact["ContactID"],
        "name": contact["Name"],
        "email": contact.get("EmailAddress") or None,
        "origin": Origin.MANUAL.value,
        "updated_at": xero_datetime(contact.get("UpdatedDateUTC")),
    }
    if contact.get("IsCustomer") or not contact.get("IsSupplier"):
        phones = [p.get("PhoneNumber") for p in contact.get("Phones") or [] if p.get("PhoneNumber")]
        yield RecordKind.CUSTOMER, {**row, "phone": phones[0] if phones else None}
    if contact.get("IsSupplier"):
        yield RecordKind.VENDOR, row


def map_invoice(
    invoice: Mapping[str, Any], history: Mapping[str, Mapping[str, Any]] | None = None
) -> Iterator[Pair]:
    """ACCREC: a sales invoice with its lines; ACCPAY: a bill.

    ``history`` holds, per bill id, what the bill's history says
    (:func:`connectors.xero_history.bill_history`):
    when it was entered and when it was approved.
    """
    kind = invoice["Type"]
    template = invoice.get("RepeatingInvoiceID") or None
    origin = (Origin.TEMPLATE if template else Origin.MANUAL).value
    contact = invoice.get("Contact") or {}
    common = {
        "source_id": invoice["InvoiceID"],
        "number": invoice.get("InvoiceNumber") or None,
        "issued_on": xero_date(invoice["Date"]),
        "due_on": xero_date(invoice.get("DueDate")),
        "paid_at": xero_datetime(invoice.get("FullyPaidOnDate")),
        "total": invoice["Total"],
        "currency": invoice["CurrencyCode"],
        "description": invoice.get("Reference") or None,
        "origin": origin,
        "updated_at": xero_datetime(invoice.get("UpdatedDateUTC")),
    }
    status = str(invoice["Status"])
    if kind == "ACCPAY":
        if status not in _BILL_STATUS:
            raise ValueError(f"unknown bill status {status!r}")
        yield (
            RecordKind.BILL,
            {
                **common,
                "vendor_id": contact.get("ContactID"),
                "vendor_name": contact.get("Name"),
                "status": _BILL_STATUS[status],
                **(history or {}).get(str(invoice["InvoiceID"]), {}),
            },
        )
        return
    if kind != "ACCREC":
        raise ValueError(f"unknown invoice type {kind!r}")
    if status not in _INVOICE_STATUS:
        raise ValueError(f"unknown invoice status {status!r}")
    yield (
        RecordKind.INVOICE,
        {
            **common,
            "customer_id": contact.get("ContactID"),
            "customer_name": contact.get("Name"),
            "customer_email": contact.get("EmailAddress") or None,
            "status": _INVOICE_STATUS[status],
            "balance": invoice.get("AmountDue"),
            "template_id": template,
        },
    )
    for line_no, line in enumerate(invoice.get("LineItems") or [], start=1):
        yield (
            RecordKind.INVOICE_LINE,
            {
                "source_id": line.get("LineItemID") or f"{invoice['InvoiceID']}:{line_no}",
                "invoice_id": invoice["InvoiceID"],
                "line_no": line_no,
                "description": line.get("Description"),
                "item": line.get("ItemCode"),
                "quantity": line.get("Quantity"),
                "unit_price": line.get("UnitAmount"),
                "amount": line["LineAmount"],
                "origin": origin,
            },
        )


def map_credit_note(note: Mapping[str, Any]) -> Iterator[Pair]:
    """ACCRECCREDIT: a customer credit note, as an invoice row of type ``credit_note``.

    Its money is negated (a credit note reduces what the customer owes); ``RemainingCredit``
    is the part not yet allocated. Supplier credit notes (``ACCPAYCREDIT``) are not read:
    bills have no document types.
    """
    kind = str(note["Type"])
    if kind == "ACCPAYCREDIT":
        return
    if kind != "ACCRECCREDIT":
        raise ValueError(f"unknown credit note type {kind!r}")
    status = str(note["Status"])
    if status not in _INVOICE_STATUS:
        raise ValueError(f"unknown credit note status {status!r}")
    contact = note.get("Contact") or {}
    note_id = note["CreditNoteID"]
    remaining = note.get("RemainingCredit")
    yield (
        RecordKind.INVOICE,
        {
            "source_id": note_id,
            "number": note.get("CreditNoteNumber") or None,
            "customer_id": contact.get("ContactID"),
            "customer_name": contact.get("Name"),
            "customer_email": contact.get("EmailAddress") or None,
            "status": _INVOICE_STATUS[status],
            "issued_on": xero_date(note["Date"]),
            "paid_at": xero_datetime(note.get("FullyPaidOnDate")),
            "total": -float(note["Total"]),
            "balance": None if remaining is None else -float(remaining) + 0.0,
            "currency": note["CurrencyCode"],
            "description": note.get("Reference") or None,
            "doc_type": CREDIT_NOTE,
            "origin": Origin.MANUAL.value,
            "updated_at": xero_datetime(note.get("UpdatedDateUTC")),
        },
    )
    for line_no, line in enumerate(note.get("LineItems") or [], start=1):
        yield (
            RecordKind.INVOICE_LINE,
            {
                "source_id": line.get("LineItemID") or f"{note_id}:{line_no}",
                "invoice_id": note_id,
                "line_no": line_no,
                "description": line.get("Description"),
                "item": line.get("ItemCode"),
                "quantity": line.get("Quantity"),
                "unit_price": line.get("UnitAmount"),
                "amount": -float(line["LineAmount"]),
                "origin": Origin.MANUAL.value,
            },
        )


#: Payment types on invoices (received) and bills (paid out); credit-note and prepayment
#: refunds settle neither.
_PAYMENT_TYPES = {"ACCREC": "ACCRECPAYMENT", "ACCPAY": "ACCPAYPAYMENT"}


def map_payment(payment: Mapping[str, Any]) -> Iterator[Pair]:
    """A payment received against a sales invoice, or paid against a bill (``ACCPAY``)."""
    invoice = payment.get("Invoice") or {}
    payment_type = payment.get("PaymentType") or _PAYMENT_TYPES.get(str(invoice.get("Type")), "")
    if payment_type not in _PAYMENT_TYPES.values():
        return
    contact = (invoice.get("Contact") or {}).get("ContactID")
    on_bill = payment_type == "ACCPAYPAYMENT"
    yield (
        RecordKind.PAYMENT,
        {
            "source_id": payment["PaymentID"],
            "invoice_id": None if on_bill else invoice.get("InvoiceID"),
            "customer_id": None if on_bill else contact,
            "bill_id": invoice.get("InvoiceID") if on_bill else None,
            "vendor_id": contact if on_bill else None,
            "paid_at": xero_datetime(payment["Date"]),
            "amount": payment["Amount"],
            "currency": invoice["CurrencyCode"],
            "origin": (
                Origin.INTEGRATION if payment.get("BatchPaymentID") else Origin.MANUAL
            ).value,
            "updated_at": xero_datetime(payment.get("UpdatedDateUTC")),
        },
    )


def debit_account_code(lines: list[Mapping[str, Any]]) -> str | None:
    """The ``AccountCode`` of a manual journal's largest debit (positive) line, if any."""
    debits = [
        (float(line["LineAmount"]), str(line["AccountCode"]))
        for line in lines
        if line.get("AccountCode") and float(line["LineAmount"]) > 0
    ]
    # max() keeps the first of equal amounts: the journal's own line order breaks ties.
    return max(debits, key=lambda pair: pair[0])[1] if debits else None


def journal_mapper(
    currency: str,
    account_names: Mapping[str, str] | None = None,
    entered: Mapping[str, str | None] | None = None,
) -> Any:
    """Maps a manual journal, in the organisation's base ``currency``.

    ``entered`` holds, per journal id, when its history says it was keyed in (``created_at``).

    Journal lines carry account codes; ``account_names`` (``/Accounts``: code -> name) names
    them, so the accounts a journal touches read as they do in the chart of accounts. A code
    the chart does not know stays a code. A journal with a ``Url`` was posted by an app (Xero
    shows the link as "Go to [app]"), so it is ``integration``, not keyed by hand.
    """
    names = dict(account_names or {})
    times = dict(entered or {})

    def map_journal(journal: Mapping[str, Any]) -> Iterator[Pair]:
        lines = journal.get("JournalLines") or []
        codes = {str(line["AccountCode"]) for line in lines if line.get("AccountCode")}
        amount = sum(float(line["LineAmount"]) for line in lines if float(line["LineAmount"]) > 0)
        debit = debit_account_code(lines)
        by_app = bool(str(journal.get("Url") or "").strip())
        yield (
            RecordKind.JOURNAL_ENTRY,
            {
                "source_id": journal["ManualJournalID"],
                "posted_on": xero_date(journal["Date"]),
                "accounts": "|".join(sorted(names.get(code, code) for code in codes)),
                "amount": amount,
                # The subject of a journal finding is the debited account: its code and name.
                "debit_account_id": debit,
                "debit_account": None if debit is None else names.get(debit, debit),
                "currency": currency,
                "memo": journal.get("Narration") or None,
                "origin": (Origin.INTEGRATION if by_app else Origin.MANUAL).value,
                "created_at": times.get(str(journal["ManualJournalID"])),
                "updated_at": xero_datetime(journal.get("UpdatedDateUTC")),
            },
        )

    return map_journal


def account_names(accounts: list[Any]) -> dict[str, str]:
    """Code -> name of every account in a ``/Accounts`` response that has both."""
    return {
        str(account["Code"]): str(account["Name"])
        for account in accounts
        if isinstance(account, Mapping) and account.get("Code") and account.get("Name")
    }


_UNITS = {"WEEKLY": "week", "MONTHLY": "month"}
_DOCUMENTS = {"ACCREC": "invoice", "ACCPAY": "bill"}


def map_repeating_invoice(template: Mapping[str, Any]) -> Iterator[Pair]:
    """A repeating invoice (``ACCREC``) or bill (``ACCPAY``) as a recurring template.

    Xero runs every repeating invoice on its schedule: ``AUTHORISED`` ones create approved
    invoices, ``DRAFT`` ones create drafts for someone to approve; both are active.
    """
    document = _DOCUMENTS.get(str(template["Type"]))
    if document is None:
        raise ValueError(f"unknown repeating invoice type {template['Type']!r}")
    schedule = template.get("Schedule") or {}
    contact = template.get("Contact") or {}
    yield (
        RecordKind.RECURRING_TEMPLATE,
        {
            "source_id": template["RepeatingInvoiceID"],
            "document": document,
            "name": template.get("Reference") or None,
            "counterparty_id": contact.get("ContactID"),
            "counterparty_name": contact.get("Name"),
            "schedule": "automated",
            "cadence_unit": _UNITS.get(str(schedule.get("Unit"))),
            "cadence_every": schedule.get("Period"),
            "next_on": xero_date(schedule.get("NextScheduledDate")),
            "end_on": xero_date(schedule.get("EndDate")),
            "active": not is_deleted(template),
            "total": template.get("Total"),
            "currency": template.get("CurrencyCode"),
            "origin": Origin.MANUAL.value,
        },
    )
