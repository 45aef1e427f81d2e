"""Mess in the documents: no payment data, credit notes, web orders, fees, no customer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from busywork.synth.mess_rows import (
    ANY,
    append,
    decoy,
    drop_planted,
    quiet_customers,
    uncheckable,
)

Frames = dict[str, pd.DataFrame]
Truth = dict[str, Any]
#: Kinds that need to know when (or whether) an invoice was paid.
PAYMENT_KINDS = {"slow_collection", "payment_reminders"}


def _line(invoice: dict[str, Any], no: int, text: str, qty: float, price: float) -> dict[str, Any]:
    return {
        "source_id": f"{invoice['source_id']}:{no}",
        "origin": invoice["origin"],
        "created_at": invoice["created_at"],
        "updated_at": invoice["created_at"],
        "invoice_id": invoice["source_id"],
        "line_no": no,
        "description": text,
        "item": text.upper().replace(" ", "-")[:16],
        "quantity": qty,
        "unit_price": price,
        "amount": round(qty * price, 2),
    }


def _document(
    source_id: str, *, when: pd.Timestamp, total: float, currency: str, **more: Any
) -> dict[str, Any]:
    """An invoice-file row; ``more`` fills the customer, number, status and description."""
    return {
        "source_id": source_id,
        "origin": more.pop("origin", "manual"),
        "created_at": when,
        "updated_at": when,
        "number": more.pop("number", source_id),
        "issued_on": when.normalize(),
        "total": total,
        "currency": currency,
        **more,
    }


def checkout_shop(frames: Frames, truth: Truth, rng: np.random.Generator) -> None:
    """A shop paid at checkout: the export has no payments, no paid date, no status, no balance.

    Nothing about payment speed can be said, so every payment finding is a decoy.
    """
    del rng
    invoices = frames["invoices"]
    invoices["status"] = invoices["status"].mask(np.ones(len(invoices), dtype=np.bool_))
    invoices["paid_at"] = pd.NaT
    invoices["balance"] = np.nan
    payments = frames["payments"]
    frames["payments"] = payments[payments["invoice_id"].isna()].reset_index(drop=True)
    drop_planted(truth, PAYMENT_KINDS)
    why = "paid at checkout: the export holds no payment data"
    decoy(truth, "slow_collection", None, truth["business"]["name"], why, of="business")
    decoy(truth, "payment_reminders", ANY, "any customer", why, of="customer")
    for kind in sorted(PAYMENT_KINDS):
        uncheckable(truth, kind, "no payment dates, statuses or balances in the invoices")


def credit_notes(frames: Frames, truth: Truth, rng: np.random.Generator) -> None:
    """Credit notes and refunds among the invoices.

    Two customers get an invoice cancelled by a credit note and keyed again (not a
    duplicate); one gets a monthly loyalty credit note (not a recurring invoice).
    """
    invoices = frames["invoices"]
    quiet = quiet_customers(frames, truth)
    if len(quiet) < 3:
        return
    chosen = [str(c) for c in rng.choice(quiet, size=3, replace=False)]
    documents: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for n, customer in enumerate(chosen[:2], start=1):
        original = invoices[invoices["customer_id"] == customer].iloc[0].to_dict()
        when = pd.Timestamp(original["created_at"]) + pd.Timedelta(days=2, hours=1)
        party = {k: original[k] for k in ("customer_id", "customer_name", "customer_email")}
        credit = _document(
            f"CN-{n:05d}",
            when=when,
            total=-float(original["total"]),
            currency=original["currency"],
            status="paid",
            balance=0.0,
            description=f"Credit note for {original['number']}",
            **party,
        )
        again = _document(
            f"{original['source_id']}-R",
            when=when + pd.Timedelta(minutes=7),
            total=float(original["total"]),
            currency=original["currency"],
            status="open",
            balance=float(original["total"]),
            due_on=when.normalize() + pd.Timedelta(days=14),
            description=original["description"],
            **party,
        )
        documents += [credit, again]
        lines += [
            _line(credit, 1, "Credit", 1, -float(original["total"])),
            _line(again, 1, str(original["description"]), 1, float(original["total"])),
        ]
        why = f"{original['number']} cancelled by credit note {credit['number']} and keyed again"
        decoy(
            truth, "duplicate_entry", customer, str(original["customer_name"]), why, of="customer"
        )
    rebate = chosen[2]
    row = invoices[invoices["customer_id"] == rebate].iloc[0].to_dict()
    start = pd.Timestamp(invoices["issued_on"].min()) + pd.Timedelta(days=20)
    for month in range(8):
        when = (start + pd.DateOffset(months=month)).replace(hour=10)
        credit = _document(
            f"CN-{rebate}-{month:02d}",
            when=when,
            total=-25.0,
            currency=row["currency"],
            status="paid",
            balance=0.0,
            description="Loyalty rebate",
            customer_id=rebate,
            customer_name=row["customer_name"],
            customer_email=row["customer_email"],
        )
        documents.append(credit)
        lines.append(_line(credit, 1, "Loyalty rebate", 1, -25.0))
    why = "monthly credit notes (loyalty rebates) are not sales invoices"
    decoy(truth, "recurring_invoice", rebate, str(row["customer_name"]), why, of="customer")
    frames["invoices"] = append(invoices, documents)
    frames["invoice_lines"] = append(frames["invoice_lines"], lines)


def web_shop(frames: Frames, truth: Truth, rng: np.random.Generator) -> None:
    """Web-shop orders: order numbers, many lines, placed round the clock, origin unknown.

    One shopper reorders the same basket monthly: the shop made those orders, nobody typed
    them, so no recurring-invoice finding may claim they were keyed by hand.
    """
    invoices = frames["invoices"]
    currency = str(invoices["currency"].iloc[0])
    start = pd.Timestamp(invoices["issued_on"].min())
    days = int((pd.Timestamp(invoices["issued_on"].max()) - start).days) or 1
    skus = [f"SKU-{n:04d}" for n in rng.choice(9000, size=40, replace=False)]
    customers: list[dict[str, Any]] = []
    documents: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []

    def order(number: int, shopper: str, when: pd.Timestamp, basket: list[tuple[str, int]]) -> None:
        total = round(sum(q * 4.5 for _, q in basket), 2)
        document = _document(
            f"WEB-{number}",
            when=when,
            total=total,
            currency=currency,
            number=f"#{number}",
            origin=None,
            status="paid",
            balance=0.0,
            paid_at=when,
            customer_id=shopper,
            customer_name=f"Web shopper {shopper[-3:]}",
            description=None,
        )
        documents.append(document)
        lines.extend(_line(document, i, sku, q, 4.5) for i, (sku, q) in enumerate(basket, 1))
        payments.append(
            {
                "source_id": f"WEBPAY-{number}",
                "origin": None,
                "created_at": when,
                "updated_at": when,
                "invoice_id": document["source_id"],
                "customer_id": shopper,
                "paid_at": when,
                "amount": total,
                "currency": currency,
                "method": "card",
            }
        )

    shoppers = [f"WS{n:03d}" for n in range(25)]
    for shopper in shoppers:
        customers.append(
            {
                "source_id": shopper,
                "origin": None,
                "created_at": start,
                "updated_at": start,
                "name": f"Web shopper {shopper[-3:]}",
                "email": f"{shopper.lower()}@shopper.example",
            }
        )
    number = 100_200
    for _ in range(int(rng.integers(80, 140))):
        moment = start + pd.Timedelta(seconds=int(rng.integers(0, days * 86_400)))
        size = int(rng.integers(3, 13))
        picks = rng.choice(len(skus), size=size, replace=False)
        basket = [(skus[int(p)], int(rng.integers(1, 6))) for p in picks]
        order(number, str(rng.choice(shoppers)), moment, basket)
        number += int(rng.integers(1, 4))
    regular = shoppers[0]
    basket = [(skus[0], 2), (skus[1], 1), (skus[2], 3), (skus[3], 1)]
    for month in range(max(6, days // 31 - 1)):
        hour = int(rng.integers(0, 24))
        order(number, regular, start + pd.DateOffset(months=month, days=3, hours=hour), basket)
        number += 1
    frames["customers"] = append(frames["customers"], customers)
    frames["invoices"] = append(invoices, documents)
    frames["invoice_lines"] = append(frames["invoice_lines"], lines)
    frames["payments"] = append(frames["payments"], payments)
    why = "monthly web-shop reorder: placed by the shopper, not keyed by hand"
    decoy(truth, "recurring_invoice", regular, "Web shopper 000", why, of="customer")


def fees_adjustments(frames: Frames, truth: Truth, rng: np.random.Generator) -> None:
    """Fees, bad-debt and bank adjustments, and zero-total statements among the invoices."""
    del rng
    invoices = frames["invoices"]
    currency = str(invoices["currency"].iloc[0])
    start = pd.Timestamp(invoices["issued_on"].min()) + pd.Timedelta(days=27)
    documents: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for month in range(9):
        when = (start + pd.DateOffset(months=month)).replace(hour=6)
        fee = _document(
            f"ADJ-FEE-{month:02d}",
            when=when,
            total=-12.5,
            currency=currency,
            status="paid",
            balance=0.0,
            customer_id="BANK",
            customer_name="Bank adjustment",
            description="Card processing fees",
        )
        statement = _document(
            f"STMT-{month:02d}",
            when=when + pd.Timedelta(hours=3),
            total=0.0,
            currency=currency,
            status="paid",
            balance=0.0,
            customer_id="STMT",
            customer_name="Statement of account",
            description="Monthly statement",
        )
        documents += [fee, statement]
        lines += [_line(fee, 1, "Card processing fees", 1, -12.5)]
    open_ = invoices[invoices["status"] == "open"]
    if len(open_):
        bad = open_.iloc[0].to_dict()
        when = pd.Timestamp(invoices["created_at"].max())
        documents.append(
            _document(
                f"ADJ-BD-{bad['source_id']}",
                when=when,
                total=-float(bad["balance"] if pd.notna(bad["balance"]) else bad["total"]),
                currency=bad["currency"],
                status="paid",
                balance=0.0,
                customer_id=bad["customer_id"],
                customer_name=bad["customer_name"],
                description=f"Bad debt write-off {bad['number']}",
            )
        )
    frames["invoices"] = append(invoices, documents)
    frames["invoice_lines"] = append(frames["invoice_lines"], lines)
    for subject, name, why in (
        ("BANK", "Bank adjustment", "monthly card-fee adjustments are not sales invoices"),
        ("STMT", "Statement of account", "zero-total statements are not sales invoices"),
    ):
        decoy(truth, "recurring_invoice", subject, name, why, of="customer")
        decoy(truth, "duplicate_entry", subject, name, why, of="customer")


def no_customer(frames: Frames, truth: Truth, rng: np.random.Generator) -> None:
    """Walk-in cash sales: invoices without any customer, many of the same amount."""
    invoices = frames["invoices"]
    currency = str(invoices["currency"].iloc[0])
    start = pd.Timestamp(invoices["issued_on"].min())
    documents: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for n in range(int(rng.integers(20, 40))):
        when = start + pd.Timedelta(days=int(rng.integers(0, 300)), hours=int(rng.integers(9, 17)))
        sale = _document(
            f"CASH-{n:04d}",
            when=when,
            total=45.0,
            currency=currency,
            status="paid",
            balance=0.0,
            paid_at=when,
            description="Walk-in session",
        )
        documents.append(sale)
        lines.append(_line(sale, 1, "Walk-in session", 1, 45.0))
    frames["invoices"] = append(invoices, documents)
    frames["invoice_lines"] = append(frames["invoice_lines"], lines)
    why = "walk-in sales have no customer: nothing to call a duplicate or a series"
    for kind in ("duplicate_entry", "recurring_invoice", "payment_reminders"):
        decoy(truth, kind, None, "no customer", why, of="customer")
