"""Payment facts of invoices, read one way by every detector: paid, when, or not known.

Sources say an invoice is paid in different ways: a payment date on the invoice (Xero
``FullyPaidOnDate``, Stripe ``status_transitions.paid_at``), payments linked to it
(QuickBooks ``Payment.Line[].LinkedTxn``), a status or a zero balance. Some say nothing at
all: a web shop paid at checkout exports invoices with no payment, date, status or balance.
:func:`payment_facts` turns all of that into one answer per invoice:

1. ``paid_at`` on the invoice: paid then;
2. else the linked payments (same source, ``invoice_id``): paid on the date their running
   total first covers the invoice total;
3. else a ``paid`` status or a zero balance: paid, on the date of the latest linked payment
   if there is one, else at a date nobody knows;
4. else *unpaid*, but only where the data can say unpaid: a balance still owed, a payment
   that covers part of it, or a source that records payments for its other invoices;
5. else *unknown*: the data has no payment facts, and the invoice is neither paid nor late.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind
from detectors import _frames as fr

PAID = "paid"
UNPAID = "unpaid"
UNKNOWN = "unknown"
#: Invoice columns :func:`payment_facts` reads.
INVOICE_COLUMNS = ("source", "source_id", "status", "paid_at", "total", "balance")
#: The payment frame, as an optional input of the detectors that read payment facts.
OPTIONAL_PAYMENTS: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.PAYMENT: ("source", "invoice_id", "paid_at", "amount"),
}
#: Money below this is zero (cent rounding in exports).
CENT = 0.005


def payment_facts(invoices: pd.DataFrame, payments: pd.DataFrame | None) -> pd.DataFrame:
    """What the data says about each invoice's payment, on ``invoices``' index.

    Args:
        invoices: Invoices with :data:`INVOICE_COLUMNS` (``balance`` may be missing).
        payments: Payments with ``invoice_id``, ``paid_at`` and ideally ``amount`` and
            ``source``; None when the caller has none.

    Returns:
        Columns ``state`` (``paid``, ``unpaid`` or ``unknown``), ``paid_at`` (naive UTC,
        NaT unless the payment date is known) and ``linked`` (whether payments point at it).
    """
    index = invoices.index
    source = fr.as_text(invoices["source"]).fillna("")
    key = _keys(source, fr.as_text(invoices["source_id"]))
    status = fr.lowered(invoices["status"])
    total = fr.as_money(invoices["total"])
    balance = (
        fr.as_money(invoices["balance"])
        if "balance" in invoices.columns
        else pd.Series(np.nan, index=index)
    )
    explicit = fr.as_datetimes(invoices["paid_at"])
    covered, latest = _linked_dates(key, total, payments)
    linked = latest.notna()

    says_paid = (status == PAID) | ((balance.abs() < CENT) & (total > CENT))
    paid_at = explicit.fillna(covered).fillna(latest.where(says_paid))
    paid = explicit.notna() | covered.notna() | says_paid
    # A source that marks any invoice paid (or links payments to it) would mark the rest too.
    records = (paid | linked).groupby(source.to_numpy()).transform("any")
    can_say_unpaid = (balance > CENT) | linked | records
    state = np.where(paid, PAID, np.where(can_say_unpaid, UNPAID, UNKNOWN))
    return pd.DataFrame(
        {"state": state, "paid_at": paid_at, "linked": linked.to_numpy(dtype=bool)}, index=index
    )


def _keys(source: pd.Series[Any], ident: pd.Series[Any]) -> pd.Series[str]:
    return source.fillna("") + "\x1f" + ident.fillna("")


def _linked_dates(
    key: pd.Series[str], total: pd.Series[float], payments: pd.DataFrame | None
) -> tuple[pd.Series[pd.Timestamp], pd.Series[pd.Timestamp]]:
    """Per invoice: when linked payments first covered its total, and the latest payment."""
    none = pd.Series(pd.NaT, index=key.index, dtype="datetime64[ns]")
    if key.empty:
        return none, none.copy()
    if payments is None or payments.empty or not {"invoice_id", "paid_at"} <= set(payments):
        return none, none.copy()
    invoice_id = fr.as_text(payments["invoice_id"])
    rows = pd.DataFrame(
        {
            "key": _keys(
                fr.as_text(payments["source"]).fillna("")
                if "source" in payments
                else pd.Series("", index=payments.index),
                invoice_id,
            ),
            "paid_at": fr.as_datetimes(payments["paid_at"]),
            "amount": fr.as_money(payments["amount"])
            if "amount" in payments
            else pd.Series(np.nan, index=payments.index),
        }
    )[(invoice_id.notna() & payments["paid_at"].notna()).to_numpy()]
    if "source" not in payments:
        # Payments that do not say their source match an invoice of any source by id.
        rows["key"] = rows["key"].str.slice(1)
        key = key.str.split("\x1f", n=1).str[1]
    if rows.empty:
        return none, none.copy()
    rows = rows.sort_values(["key", "paid_at"], kind="stable")
    latest = rows.groupby("key")["paid_at"].max()
    owed = pd.Series(total.to_numpy(), index=key.to_numpy())
    owed = owed[~owed.index.duplicated()]
    running = rows.groupby("key")["amount"].cumsum()
    due = rows["key"].map(owed)
    reached = rows[(running >= due - CENT).to_numpy() & (due > CENT).to_numpy()]
    covered = reached.groupby("key")["paid_at"].min()
    return _per_invoice(covered, key), _per_invoice(latest, key)


def _per_invoice(dates: pd.Series[pd.Timestamp], key: pd.Series[str]) -> pd.Series[pd.Timestamp]:
    """``dates`` (indexed by invoice key) aligned to the invoices, NaT where absent."""
    aligned = dates.astype("datetime64[ns]").reindex(key.to_numpy())
    return pd.Series(aligned.to_numpy(), index=key.index, dtype="datetime64[ns]")
