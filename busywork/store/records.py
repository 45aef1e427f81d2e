"""Canonical business records: one SQLModel table per record kind, shared by every connector.

Every record carries the tenant key (``business``), where it came from (``source`` = the
connector name, ``source_id`` = the vendor's id) and ``origin``: how it was created, which is
what tells manual work from work that is already automated. Timestamps are naive UTC;
calendar dates (issue date, due date) are plain dates in the business's own timezone.
The record kinds and the values their columns may hold are
:mod:`busywork.store.record_kinds`, found here as well.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from busywork.store.record_kinds import (
    AUTOMATED_ORIGINS,
    CANCELLED_BY,
    STATUSES,
    SYSTEM_COLUMNS,
    TEMPLATE_DOCUMENTS,
    TEMPLATE_SCHEDULES,
    TEMPLATE_UNITS,
    Origin,
    RecordKind,
)

#: The tables, and the names of record_kinds callers have always found here.
__all__ = [
    "AUTOMATED_ORIGINS",
    "CANCELLED_BY",
    "MONEY",
    "RECORD_MODELS",
    "STATUSES",
    "SYSTEM_COLUMNS",
    "TEMPLATE_DOCUMENTS",
    "TEMPLATE_SCHEDULES",
    "TEMPLATE_UNITS",
    "Appointment",
    "Bill",
    "Customer",
    "Invoice",
    "InvoiceLine",
    "JournalEntry",
    "Origin",
    "Payment",
    "RecordBase",
    "RecordKind",
    "RecurringTemplate",
    "Vendor",
]

MONEY = sa.Numeric(18, 4, asdecimal=False)


class RecordBase(SQLModel):
    """Columns every canonical record has."""

    kind: ClassVar[RecordKind]
    #: Columns whose change is reported as a status event (``invoice.paid`` ...), if any.
    status_column: ClassVar[str | None] = None

    id: int | None = Field(default=None, primary_key=True)
    #: Tenant key; queries by business use the unique (business, source, source_id) index.
    business: str = Field(max_length=64)
    source: str = Field(max_length=64)
    source_id: str = Field(max_length=128)
    origin: str = Field(default=Origin.UNKNOWN.value, max_length=16)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted: bool = Field(default=False)
    #: Hash of the record's content, to tell a real change from a re-delivery.
    content_hash: str = Field(max_length=32)


def _unique(name: str, *subject: str) -> tuple[sa.UniqueConstraint | sa.Index, ...]:
    """The natural key, and an index on the subject column re-detection narrows by, if any."""
    key = sa.UniqueConstraint("business", "source", "source_id", name=f"uq_{name}_key")
    if not subject:
        return (key,)
    return key, sa.Index(f"ix_{name}_business_{subject[0]}", "business", *subject)


class Customer(RecordBase, table=True):
    """Someone the business invoices."""

    __tablename__ = "customer"
    __table_args__ = _unique("customer")
    kind: ClassVar[RecordKind] = RecordKind.CUSTOMER

    name: str = Field(max_length=256)
    email: str | None = Field(default=None, max_length=256)
    phone: str | None = Field(default=None, max_length=64)


class Vendor(RecordBase, table=True):
    """Someone who bills the business."""

    __tablename__ = "vendor"
    __table_args__ = _unique("vendor")
    kind: ClassVar[RecordKind] = RecordKind.VENDOR

    name: str = Field(max_length=256)
    email: str | None = Field(default=None, max_length=256)


class Invoice(RecordBase, table=True):
    """A customer document: a sales invoice, or a credit note, refund, fee … (``doc_type``).

    ``doc_type`` is one of :data:`busywork.store.doc_types.DOC_TYPES`; only ``invoice``
    rows are sales. Credit notes and refunds carry a negative total.
    """

    __tablename__ = "invoice"
    __table_args__ = _unique("invoice", "customer_id")
    kind: ClassVar[RecordKind] = RecordKind.INVOICE
    status_column: ClassVar[str | None] = "status"

    customer_id: str | None = Field(default=None, max_length=128)
    customer_name: str | None = Field(default=None, max_length=256)
    customer_email: str | None = Field(default=None, max_length=256)
    number: str | None = Field(default=None, max_length=64)
    status: str = Field(default="open", max_length=16)
    issued_on: date
    due_on: date | None = None
    paid_at: datetime | None = None
    total: float = Field(sa_type=MONEY)
    balance: float | None = Field(default=None, sa_type=MONEY)
    currency: str = Field(max_length=3)
    template_id: str | None = Field(default=None, max_length=128)
    description: str | None = Field(default=None, max_length=512)
    doc_type: str = Field(default="invoice", max_length=16)


class InvoiceLine(RecordBase, table=True):
    """One line of a sales invoice; ``source_id`` is ``<invoice id>:<line no>`` when not given."""

    __tablename__ = "invoice_line"
    __table_args__ = _unique("invoice_line")
    kind: ClassVar[RecordKind] = RecordKind.INVOICE_LINE

    invoice_id: str = Field(max_length=128, index=True)
    line_no: int = 1
    description: str | None = Field(default=None, max_length=512)
    item: str | None = Field(default=None, max_length=128)
    quantity: float | None = None
    unit_price: float | None = Field(default=None, sa_type=MONEY)
    amount: float = Field(sa_type=MONEY)


class Payment(RecordBase, table=True):
    """Money moved against an invoice (received) or a bill (paid out).

    A payment settles at most one document: ``invoice_id`` (with ``customer_id``) or
    ``bill_id`` (with ``vendor_id``). A vendor payment that settles several bills becomes
    one row per bill.
    """

    __tablename__ = "payment"
    __table_args__ = _unique("payment")
    kind: ClassVar[RecordKind] = RecordKind.PAYMENT

    invoice_id: str | None = Field(default=None, max_length=128)
    customer_id: str | None = Field(default=None, max_length=128)
    paid_at: datetime
    amount: float = Field(sa_type=MONEY)
    currency: str = Field(max_length=3)
    method: str | None = Field(default=None, max_length=32)
    bill_id: str | None = Field(default=None, max_length=128)
    vendor_id: str | None = Field(default=None, max_length=128)


class Bill(RecordBase, table=True):
    """A purchase bill (accounts payable)."""

    __tablename__ = "bill"
    __table_args__ = _unique("bill", "vendor_id")
    kind: ClassVar[RecordKind] = RecordKind.BILL
    status_column: ClassVar[str | None] = "status"

    vendor_id: str | None = Field(default=None, max_length=128)
    vendor_name: str | None = Field(default=None, max_length=256)
    number: str | None = Field(default=None, max_length=64)
    status: str = Field(default="open", max_length=24)
    issued_on: date
    due_on: date | None = None
    approved_at: datetime | None = None
    paid_at: datetime | None = None
    total: float = Field(sa_type=MONEY)
    currency: str = Field(max_length=3)
    description: str | None = Field(default=None, max_length=512)


class Appointment(RecordBase, table=True):
    """A calendar event with (usually) one external attendee."""

    __tablename__ = "appointment"
    __table_args__ = _unique("appointment")
    kind: ClassVar[RecordKind] = RecordKind.APPOINTMENT
    status_column: ClassVar[str | None] = "status"

    title: str | None = Field(default=None, max_length=512)
    start_at: datetime
    end_at: datetime
    status: str = Field(default="confirmed", max_length=16)
    attendee_email: str | None = Field(default=None, max_length=256)
    attendee_name: str | None = Field(default=None, max_length=256)
    series_id: str | None = Field(default=None, max_length=256)
    calendar: str | None = Field(default=None, max_length=256)
    cancelled_at: datetime | None = None
    #: Who cancelled: ``host`` or ``invitee``; None when not cancelled or the source cannot tell.
    cancelled_by: str | None = Field(default=None, max_length=16)
    #: The id of this same booking's copy in another connected calendar, when the source
    #: names it (Calendly's ``calendar_event.external_id``: the Google or Outlook event it
    #: wrote). Detectors count the pair once.
    mirror_id: str | None = Field(default=None, max_length=128)


class JournalEntry(RecordBase, table=True):
    """A manual journal; ``accounts`` is the sorted, ``|``-joined set of accounts it touches.

    ``debit_account_id``/``debit_account`` name the account the journal debits (the largest
    debit line): its id in the source (QuickBooks Account ``Id``, Xero ``AccountCode``) and
    its name, when the source gives them. A journal finding is about that account.
    """

    __tablename__ = "journal_entry"
    __table_args__ = _unique("journal_entry")
    kind: ClassVar[RecordKind] = RecordKind.JOURNAL_ENTRY

    posted_on: date
    accounts: str = Field(max_length=512)
    amount: float = Field(sa_type=MONEY)
    currency: str = Field(max_length=3)
    memo: str | None = Field(default=None, max_length=512)
    debit_account_id: str | None = Field(default=None, max_length=128)
    debit_account: str | None = Field(default=None, max_length=256)


class RecurringTemplate(RecordBase, table=True):
    """A schedule in the accounting tool that creates invoices, bills or journals by itself.

    ``document`` is what it creates (one of :data:`TEMPLATE_DOCUMENTS`); ``counterparty_*``
    is the customer (invoices) or vendor (bills); ``accounts`` the sorted, ``|``-joined
    accounts a journal template posts to. ``schedule`` says how it runs (one of
    :data:`TEMPLATE_SCHEDULES`: ``automated`` creates the document, ``reminded`` reminds
    someone to, ``unscheduled`` is a saved template used by hand). The cadence is
    ``cadence_every`` × ``cadence_unit`` (day, week, month or year).
    """

    __tablename__ = "recurring_template"
    __table_args__ = _unique("recurring_template")
    kind: ClassVar[RecordKind] = RecordKind.RECURRING_TEMPLATE

    document: str = Field(max_length=16)
    name: str | None = Field(default=None, max_length=256)
    counterparty_id: str | None = Field(default=None, max_length=128)
    counterparty_name: str | None = Field(default=None, max_length=256)
    accounts: str | None = Field(default=None, max_length=512)
    schedule: str = Field(default="automated", max_length=16)
    cadence_unit: str | None = Field(default=None, max_length=8)
    cadence_every: int | None = None
    next_on: date | None = None
    end_on: date | None = None
    active: bool = Field(default=True)
    total: float | None = Field(default=None, sa_type=MONEY)
    currency: str | None = Field(default=None, max_length=3)


RECORD_MODELS: dict[RecordKind, type[RecordBase]] = {
    model.kind: model
    for model in (
        Customer,
        Vendor,
        Invoice,
        InvoiceLine,
        Payment,
        Bill,
        Appointment,
        JournalEntry,
        RecurringTemplate,
    )
}
