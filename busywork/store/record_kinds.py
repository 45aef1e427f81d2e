"""The record kinds and the values their columns may hold, without the tables that store them.

Plain names only: a process that reads and validates exports (the import's read-ahead
helper) needs these, never SQLAlchemy. The tables are :mod:`busywork.store.records`, which
re-exports every name here.
"""

from __future__ import annotations

import enum


class Origin(enum.StrEnum):
    """How a record came to exist; anything but ``manual``/``unknown`` is already automated."""

    MANUAL = "manual"
    TEMPLATE = "template"
    RECURRING = "recurring"
    SUBSCRIPTION = "subscription"
    BOOKING_LINK = "booking_link"
    INTEGRATION = "integration"
    UNKNOWN = "unknown"


AUTOMATED_ORIGINS = frozenset(
    {
        Origin.TEMPLATE,
        Origin.RECURRING,
        Origin.SUBSCRIPTION,
        Origin.BOOKING_LINK,
        Origin.INTEGRATION,
    }
)


class RecordKind(enum.StrEnum):
    """The record kinds connectors produce and detectors consume."""

    CUSTOMER = "customer"
    VENDOR = "vendor"
    INVOICE = "invoice"
    INVOICE_LINE = "invoice_line"
    PAYMENT = "payment"
    BILL = "bill"
    APPOINTMENT = "appointment"
    JOURNAL_ENTRY = "journal_entry"
    RECURRING_TEMPLATE = "recurring_template"


#: What a recurring template creates, and how it runs.
TEMPLATE_DOCUMENTS = frozenset({"invoice", "bill", "journal_entry"})
TEMPLATE_SCHEDULES = frozenset({"automated", "reminded", "unscheduled"})
TEMPLATE_UNITS = frozenset({"day", "week", "month", "year"})

#: Allowed values of the status columns; anything else is rejected at ingest.
STATUSES: dict[RecordKind, frozenset[str]] = {
    RecordKind.INVOICE: frozenset({"draft", "open", "paid", "void"}),
    RecordKind.BILL: frozenset({"draft", "awaiting_approval", "approved", "paid", "void"}),
    RecordKind.APPOINTMENT: frozenset({"confirmed", "tentative", "cancelled", "no_show"}),
}

#: Allowed values of ``Appointment.cancelled_by`` (the business's side, or its client's).
CANCELLED_BY = frozenset({"host", "invitee"})

#: Columns the store manages itself; connectors never send them.
SYSTEM_COLUMNS = frozenset({"id", "business", "source", "content_hash", "deleted"})
