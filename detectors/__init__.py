"""Detectors: each module registers one detector class with the registry on import."""

from __future__ import annotations

from detectors.appointment_to_invoice import AppointmentToInvoiceDetector
from detectors.recurring_invoice import RecurringInvoiceDetector
from detectors.slow_collection import SlowCollectionDetector

__all__ = ["AppointmentToInvoiceDetector", "RecurringInvoiceDetector", "SlowCollectionDetector"]
