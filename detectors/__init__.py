"""Detectors: each module registers one detector class with the registry on import."""

from __future__ import annotations

from detectors.appointment_to_invoice import AppointmentToInvoiceDetector
from detectors.approval_backlog import ApprovalBacklogDetector
from detectors.calendar_overload import CalendarOverloadDetector
from detectors.duplicate_entry import DuplicateEntryDetector
from detectors.invoice_lag import InvoiceLagDetector
from detectors.manual_scheduling import ManualSchedulingDetector
from detectors.month_end_crunch import MonthEndCrunchDetector
from detectors.no_show_reminders import NoShowRemindersDetector
from detectors.payment_reminders import PaymentRemindersDetector
from detectors.recurring_bill import RecurringBillDetector
from detectors.recurring_invoice import RecurringInvoiceDetector
from detectors.recurring_journal_entry import RecurringJournalEntryDetector
from detectors.slow_collection import SlowCollectionDetector

__all__ = [
    "AppointmentToInvoiceDetector",
    "ApprovalBacklogDetector",
    "CalendarOverloadDetector",
    "DuplicateEntryDetector",
    "InvoiceLagDetector",
    "ManualSchedulingDetector",
    "MonthEndCrunchDetector",
    "NoShowRemindersDetector",
    "PaymentRemindersDetector",
    "RecurringBillDetector",
    "RecurringInvoiceDetector",
    "RecurringJournalEntryDetector",
    "SlowCollectionDetector",
]
