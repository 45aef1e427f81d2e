"""Per-vendor verification of inbound notifications, keyed by connector type."""

from __future__ import annotations

from busywork.inbound.vendors import calendly, google, msgraph, quickbooks, stripe, xero
from busywork.inbound.vendors.base import Verifier

#: Connector type → (vendor name, verifier). CalDAV and CSV have no push: not listed.
VERIFIERS: dict[str, tuple[str, Verifier]] = {
    "stripe": ("stripe", stripe.verify),
    "quickbooks": ("quickbooks", quickbooks.verify),
    "xero": ("xero", xero.verify),
    "google_calendar": ("google", google.verify),
    "msgraph_calendar": ("msgraph", msgraph.verify),
    "calendly": ("calendly", calendly.verify),
}
BY_VENDOR: dict[str, Verifier] = dict(VERIFIERS.values())
