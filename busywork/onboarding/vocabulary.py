"""The header words real exports use for each of our columns, per record kind.

Headers are compared normalised (lower case, letters and digits only): Xero's
``InvoiceNumber``, QuickBooks' ``Invoice #`` / ``No.`` and Shopify's ``Name`` all have a
place here. The first synonym found in a file wins, so the list order is the preference.
"""

from __future__ import annotations

import re

#: Our column -> their normalised headers, per kind (the stems of the CSV connector).
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "invoices": {
        "source_id": (
            "invoicenumber",
            "invoiceno",
            "invoice",
            "docnumber",
            "refnumber",
            "num",
            "no",
            "number",
            "name",
            "orderid",
            "id",
        ),
        "customer_id": ("customerid", "contactid", "customernumber", "accountnumber"),
        "customer_name": ("contactname", "customername", "customer", "billingname", "client"),
        "customer_email": ("emailaddress", "customeremail", "email"),
        "issued_on": ("invoicedate", "issuedate", "txndate", "date", "createdat", "orderdate"),
        "due_on": ("duedate", "due"),
        "paid_at": ("paidat", "datepaid", "paiddate"),
        "total": ("total", "invoicetotal", "totalamount", "amount"),
        "balance": ("invoiceamountdue", "openbalance", "amountdue", "balance", "outstanding"),
        "currency": ("currency", "currencycode"),
        "status": ("status", "financialstatus", "invoicestatus"),
    },
    "invoice_lines": {
        "invoice_id": (
            "invoicenumber",
            "invoiceno",
            "invoice",
            "docnumber",
            "num",
            "no",
            "name",
            "orderid",
        ),
        "description": ("description", "lineitemname", "itemdescription", "productservice"),
        "item": ("inventoryitemcode", "lineitemsku", "itemcode", "sku", "stockcode", "item"),
        "quantity": ("quantity", "lineitemquantity", "qty"),
        "unit_price": ("unitamount", "lineitemprice", "unitprice", "rate", "price"),
        "amount": ("lineamount", "lineitemamount", "linetotal"),
    },
    "bills": {
        "source_id": (
            "billnumber",
            "billno",
            "invoicenumber",
            "reference",
            "docnumber",
            "num",
            "no",
            "number",
            "id",
        ),
        "vendor_name": ("contactname", "supplier", "vendor", "vendorname", "payee", "suppliername"),
        "issued_on": ("billdate", "invoicedate", "txndate", "date"),
        "due_on": ("duedate", "due"),
        "total": ("total", "billtotal", "totalamount", "amount"),
        "currency": ("currency", "currencycode"),
        "status": ("status", "billstatus"),
    },
    "payments": {
        "source_id": (
            "paymentid",
            "paymentnumber",
            "transactionid",
            "reference",
            "ref",
            "num",
            "no",
            "id",
        ),
        "paid_at": ("paymentdate", "paidat", "datepaid", "transactiondate", "date"),
        "amount": ("amountpaid", "paymentamount", "amountreceived", "amount", "net"),
        "invoice_id": ("invoicenumber", "invoiceno", "invoice", "appliedtoinvoice", "order"),
        "currency": ("currency", "currencycode"),
        "method": ("paymentmethod", "method", "cardbrand"),
    },
    "customers": {
        "source_id": ("customerid", "contactid", "accountnumber", "id", "emailaddress", "email"),
        "name": (
            "contactname",
            "customername",
            "displayname",
            "customer",
            "name",
            "company",
            "defaultaddresscompany",
        ),
        "email": ("emailaddress", "email"),
        "phone": ("phone", "phonenumber", "mobile", "mobilenumber", "defaultaddressphone"),
    },
    "journal_entries": {
        "source_id": (
            "journalnumber",
            "journalno",
            "journal",
            "num",
            "no",
            "transactionid",
            "entryno",
            "reference",
        ),
        "posted_on": ("date", "journaldate", "posteddate", "txndate"),
        "accounts": ("account", "accountname", "accountcode", "fullname"),
        "amount": ("debit", "debitamount", "dr"),
        "memo": ("memodescription", "description", "memo", "narration"),
        "currency": ("currency", "currencycode"),
    },
    "appointments": {
        "source_id": ("appointmentid", "bookingid", "id"),
        "start_at": ("starttime", "start", "startdate", "appointmentstart"),
        "end_at": ("endtime", "end", "enddate", "appointmentend"),
        "title": ("type", "service", "appointmenttype", "title", "eventtype"),
        "attendee_email": ("email", "clientemail", "inviteeemail"),
        "attendee_name": ("name", "client", "clientname", "inviteename"),
        "status": ("status",),
    },
}

#: A credit-note export has an invoice's columns, some under their own names (Xero).
SYNONYMS["credit_notes"] = {
    **SYNONYMS["invoices"],
    "source_id": ("creditnotenumber", "creditnoteno", "creditmemono", "creditnote")
    + SYNONYMS["invoices"]["source_id"],
    "issued_on": ("creditnotedate", "creditdate") + SYNONYMS["invoices"]["issued_on"],
    "balance": ("remainingcredit", "creditremaining", "unusedcredit")
    + SYNONYMS["invoices"]["balance"],
}

#: Words in a file name that say what it holds (checked on the normalised name).
NAME_HINTS: dict[str, tuple[str, ...]] = {
    "credit_notes": ("creditnote", "credits", "refund"),
    "bills": ("bill", "purchase", "payable", "supplier", "expense"),
    "payments": ("payment", "receipt", "payout", "transaction"),
    "journal_entries": ("journal", "ledger"),
    "appointments": ("appointment", "booking", "schedule", "calendar"),
    "customers": ("contact", "customer", "client"),
    "invoices": ("invoice", "order", "sales"),
}

#: Status words of common tools, mapped to ours (bills have no "open": unpaid is approved).
STATUS_VALUES: dict[str, dict[str, str]] = {
    "invoices": {
        "awaiting payment": "open",
        "authorised": "open",
        "submitted": "draft",
        "sent": "open",
        "overdue": "open",
        "pending": "open",
        "authorized": "open",
        "partially_paid": "open",
        "partially paid": "open",
        "unpaid": "open",
        "open": "open",
        "paid": "paid",
        "closed": "paid",
        "deposited": "paid",
        "draft": "draft",
        "voided": "void",
        "void": "void",
        "deleted": "void",
        "refunded": "void",
    },
    "bills": {
        "awaiting payment": "approved",
        "awaiting approval": "awaiting_approval",
        "open": "approved",
        "overdue": "approved",
        "unpaid": "approved",
        "paid": "paid",
        "draft": "draft",
        "voided": "void",
        "void": "void",
        "deleted": "void",
    },
    "appointments": {
        "canceled": "cancelled",
        "cancelled": "cancelled",
        "no-show": "no_show",
        "no show": "no_show",
        "confirmed": "confirmed",
        "booked": "confirmed",
        "completed": "confirmed",
        "scheduled": "confirmed",
    },
}

#: A credit note's statuses are an invoice's (Xero: Paid once fully allocated).
STATUS_VALUES["credit_notes"] = STATUS_VALUES["invoices"]


def normalise(header: str) -> str:
    """``"Invoice #"`` -> ``"invoice"``; ``"*ContactName"`` -> ``"contactname"``."""
    return re.sub(r"[^a-z0-9]", "", header.lower())
