"""What to paste in a vendor's developer dashboard where no API opens a webhook for us."""

from __future__ import annotations

_SECRET = (
    "Then store its {what} (read from standard input, never the command line):\n"
    "  busywork webhooks secret -c <config.yaml> {connector} < {what_file}"
)

_TEXT = {
    "quickbooks": (
        "QuickBooks Online: developer.intuit.com → your app → Webhooks → Production (or\n"
        "Development) → Endpoint URL:\n  {url}\n"
        "Tick the entities Busywork reads: Invoice, Customer, CreditMemo, Payment, Bill,\n"
        "BillPayment, Vendor. Save, then copy the Verifier Token shown there.\n"
    )
    + _SECRET.format(what="verifier token", connector="{connector}", what_file="verifier.txt"),
    "xero": (
        "Xero: developer.xero.com → My Apps → your app → Webhooks → Delivery URL:\n  {url}\n"
        "Tick Invoices and Contacts, save, and copy the Webhooks key.\n"
    )
    + _SECRET.format(what="webhooks key", connector="{connector}", what_file="xero-key.txt")
    + "\nKeep busywork serve running, then press 'Send Intent To Receive' in Xero:"
    " the subscription turns active when Xero's check passes.",
}


def paste_instructions(vendor: str, connector: str, url: str) -> str:
    """The exact steps for ``vendor``, with this connector's endpoint URL."""
    return _TEXT[vendor].format(url=url, connector=connector)
