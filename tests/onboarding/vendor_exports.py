"""Export folders shaped like Xero's, QuickBooks Online's and Shopify's, from a synthetic business.

The column names, date styles, title lines, line-level layout and encodings follow what
those tools write; the values come from :mod:`busywork.synth`, so a scan finds real work.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd

from busywork.synth import GeneratorSettings, generate


def business(seed: int = 5, months: int = 12, scale: float = 0.2) -> dict[str, pd.DataFrame]:
    """The synthetic business's frames."""
    return generate(GeneratorSettings(seed=seed, months=months, scale=scale)).frames


def _write(path: Path, header: list[str], rows: list[list[Any]], **options: Any) -> None:
    encoding = options.pop("encoding", "utf-8")
    title = options.pop("title", ())
    with path.open("w", newline="", encoding=encoding, errors="replace") as handle:
        writer = csv.writer(handle, **options)
        for line in title:
            writer.writerow([line])
        writer.writerow(header)
        writer.writerows(rows)


def _d(value: Any, fmt: str) -> str:
    return "" if pd.isna(value) else pd.Timestamp(value).strftime(fmt)


def _text(value: Any) -> str:
    return "" if pd.isna(value) else str(value)


def _money(value: Any, thousands: bool = False) -> str:
    if pd.isna(value):
        return ""
    return f"{value:,.2f}" if thousands else f"{value:.2f}"


XERO_SALES = [
    "ContactName",
    "EmailAddress",
    "POAddressLine1",
    "POCity",
    "POPostalCode",
    "POCountry",
    "InvoiceNumber",
    "Reference",
    "InvoiceDate",
    "DueDate",
    "Total",
    "TaxTotal",
    "InvoiceAmountPaid",
    "InvoiceAmountDue",
    "InventoryItemCode",
    "Description",
    "Quantity",
    "UnitAmount",
    "Discount",
    "LineAmount",
    "AccountCode",
    "TaxType",
    "TaxAmount",
    "TrackingName1",
    "TrackingOption1",
    "Currency",
    "Type",
    "Sent",
    "Status",
]
XERO_STATUS = {"open": "Awaiting Payment", "paid": "Paid", "void": "Voided", "draft": "Draft"}


def xero(folder: Path, frames: dict[str, pd.DataFrame]) -> Path:
    """Sales invoices (one row per line, dd/mm/yyyy), bills, cp1252 contacts, credit notes."""
    folder.mkdir(parents=True, exist_ok=True)
    invoices = frames["invoices"].set_index("source_id")
    rows = []
    for line in frames["invoice_lines"].itertuples():
        inv = invoices.loc[line.invoice_id]
        rows.append(
            [
                inv.customer_name,
                inv.customer_email,
                "",
                "",
                "",
                "GB",
                inv.number,
                "",
                _d(inv.issued_on, "%d/%m/%Y"),
                _d(inv.due_on, "%d/%m/%Y"),
                _money(inv.total),
                "0.00",
                _money(inv.total - inv.balance),
                _money(inv.balance),
                line.item,
                line.description,
                f"{line.quantity:g}",
                _money(line.unit_price),
                "",
                _money(line.amount),
                "200",
                "No VAT",
                "0.00",
                "",
                "",
                inv.currency,
                "Sales invoice",
                "Sent",
                XERO_STATUS[inv.status],
            ]
        )
    _write(folder / "Sales Invoices.csv", XERO_SALES, rows)
    bills = frames["bills"]
    bill_status = {
        "approved": "Awaiting Payment",
        "awaiting_approval": "Awaiting Approval",
        "paid": "Paid",
        "draft": "Draft",
        "void": "Voided",
    }
    _write(
        folder / "Bills.csv",
        [
            "ContactName",
            "InvoiceNumber",
            "Reference",
            "InvoiceDate",
            "DueDate",
            "Total",
            "Description",
            "Quantity",
            "UnitAmount",
            "AccountCode",
            "TaxType",
            "Currency",
            "Type",
            "Status",
        ],
        [
            [
                b.vendor_name,
                b.number,
                "",
                _d(b.issued_on, "%d/%m/%Y"),
                _d(b.due_on, "%d/%m/%Y"),
                _money(b.total),
                b.description,
                "1",
                _money(b.total),
                "429",
                "No VAT",
                b.currency,
                "Purchase invoice",
                bill_status[b.status],
            ]
            for b in bills.itertuples()
        ],
    )
    customers = frames["customers"].copy()
    customers.loc[customers.index[:3], "name"] = ["Zoë Brontë", "Café Olé Ltd", "Renée Müller"]
    _write(
        folder / "Contacts.csv",
        ["ContactName", "AccountNumber", "EmailAddress", "FirstName", "LastName", "PhoneNumber"],
        [
            [
                c.name,
                c.source_id,
                c.email,
                c.name.split(" ")[0],
                c.name.split(" ")[-1],
                _text(c.phone),
            ]
            for c in customers.itertuples()
        ],
        encoding="cp1252",
    )
    _write(
        folder / "Credit Notes.csv",
        ["ContactName", "InvoiceNumber", "InvoiceDate", "Total", "Currency", "Type", "Status"],
        [["Phoebe Khan", "CN-0001", "03/02/2026", "35.00", "GBP", "Sales credit note", "Paid"]],
    )
    return folder


def quickbooks(folder: Path, frames: dict[str, pd.DataFrame]) -> Path:
    """Report exports: title lines, mm/dd/yyyy dates, 1,234.56 amounts; journal debits/credits."""
    folder.mkdir(parents=True, exist_ok=True)
    title = ["Harbour Physio LLC", "Invoice List", "All Dates", ""]
    status = {"open": "Open", "paid": "Paid", "void": "Voided", "draft": "Draft"}
    _write(
        folder / "Invoice List.csv",
        [
            "Date",
            "Transaction type",
            "No.",
            "Customer",
            "Memo/Description",
            "Due date",
            "Amount",
            "Open balance",
            "Currency",
            "Status",
        ],
        [
            [
                _d(i.issued_on, "%m/%d/%Y"),
                "Invoice",
                i.number,
                i.customer_name,
                i.description,
                _d(i.due_on, "%m/%d/%Y"),
                _money(i.total, True),
                _money(i.balance, True),
                "USD",
                status[i.status],
            ]
            for i in frames["invoices"].itertuples()
        ],
        title=title,
    )
    invoices = frames["invoices"].set_index("source_id")
    payments = frames["payments"]
    payments = payments[payments["invoice_id"].notna()]
    _write(
        folder / "Received Payments.csv",
        ["Date", "Transaction type", "No.", "Customer", "Invoice No.", "Payment method", "Amount"],
        [
            [
                _d(p.paid_at, "%m/%d/%Y"),
                "Payment",
                p.source_id,
                invoices.loc[p.invoice_id].customer_name,
                invoices.loc[p.invoice_id].number,
                str(p.method).replace("_", " ").title(),
                _money(p.amount, True),
            ]
            for p in payments.itertuples()
        ],
        title=["Harbour Physio LLC", "Received Payments", "All Dates", ""],
    )
    rows = []
    for j in frames["journal_entries"].itertuples():
        debit, credit = str(j.accounts).split("|")[:2]
        rows.append(
            [
                _d(j.posted_on, "%m/%d/%Y"),
                "Journal Entry",
                j.source_id,
                "",
                j.memo,
                debit,
                _money(j.amount, True),
                "",
            ]
        )
        rows.append(
            [
                _d(j.posted_on, "%m/%d/%Y"),
                "Journal Entry",
                j.source_id,
                "",
                j.memo,
                credit,
                "",
                _money(j.amount, True),
            ]
        )
    _write(
        folder / "Journal.csv",
        [
            "Date",
            "Transaction Type",
            "Num",
            "Name",
            "Memo/Description",
            "Account",
            "Debit",
            "Credit",
        ],
        rows,
        title=["Harbour Physio LLC", "Journal", "All Dates", ""],
    )
    _write(
        folder / "Customer Contact List.csv",
        ["Customer", "Phone Numbers", "Email", "Full Name", "Billing Address"],
        [[c.name, _text(c.phone), c.email, c.name, ""] for c in frames["customers"].itertuples()],
    )
    return folder


SHOPIFY = [
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Fulfillment Status",
    "Fulfilled at",
    "Accepts Marketing",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Discount Code",
    "Discount Amount",
    "Shipping Method",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem compare at price",
    "Lineitem sku",
    "Lineitem requires shipping",
    "Lineitem taxable",
    "Lineitem fulfillment status",
    "Billing Name",
    "Billing City",
    "Billing Country",
    "Payment Method",
    "Id",
]


def shopify(folder: Path, frames: dict[str, pd.DataFrame]) -> Path:
    """orders_export_1.csv (order fields on the first line row only) and customers_export.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    invoices = frames["invoices"].set_index("source_id")
    financial = {"open": "pending", "paid": "paid", "void": "voided", "draft": "pending"}
    rows, seen = [], set()
    fmt = "%Y-%m-%d %H:%M:%S +0100"
    for line in frames["invoice_lines"].itertuples():
        inv = invoices.loc[line.invoice_id]
        name = "#" + str(inv.number).split("-")[-1].lstrip("0")
        first = line.invoice_id not in seen
        seen.add(line.invoice_id)
        order = (
            [
                inv.customer_email,
                financial[inv.status],
                _d(inv.paid_at, fmt),
                "fulfilled",
                _d(inv.issued_on, fmt),
                "no",
                "EUR",
                _money(inv.total),
                "0.00",
                "0.00",
                _money(inv.total),
                "",
                "0.00",
                "",
                _d(inv.issued_on, fmt),
            ]
            if first
            else [""] * 2 + [""] * 13
        )
        if not first:
            order[14] = _d(inv.issued_on, fmt)  # Shopify repeats "Created at" on every row
        rows.append(
            [
                name,
                *order,
                f"{line.quantity:g}",
                line.description,
                _money(line.unit_price),
                "",
                line.item,
                "true",
                "false",
                "fulfilled",
                inv.customer_name if first else "",
                "",
                "",
                "Shopify Payments" if first else "",
                str(abs(hash(name)) % 10**12),
            ]
        )
    _write(folder / "orders_export_1.csv", SHOPIFY, rows)
    _write(
        folder / "customers_export.csv",
        [
            "Customer ID",
            "First Name",
            "Last Name",
            "Email",
            "Accepts Email Marketing",
            "Default Address Company",
            "Default Address City",
            "Phone",
            "Total Spent",
            "Total Orders",
            "Note",
            "Tax Exempt",
            "Tags",
        ],
        [
            [
                c.source_id,
                c.name.split(" ")[0],
                c.name.split(" ")[-1],
                c.email,
                "no",
                "",
                "",
                _text(c.phone),
                "",
                "",
                "",
                "no",
                "",
            ]
            for c in frames["customers"].itertuples()
        ],
    )
    return folder
