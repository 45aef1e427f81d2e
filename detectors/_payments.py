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
from detectors import _distinct as ds
from detectors import _frames as fr
from detectors._codes import combine
from detectors._payment_ledger import InvoiceDates, linked_references, payment_dates
from detectors._shared import shared

PAID = "paid"
UNPAID = "unpaid"
UNKNOWN = "unknown"
Ints = np.ndarray[Any, np.dtype[np.int64]]
#: The states by code, as categories: comparing a state compares small integers, not the
#: text of every row.
_STATES = pd.CategoricalDtype([PAID, UNPAID, UNKNOWN])
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

    Vectorised: the (source, id) keys of invoices and payments are factorised together once,
    and the per-invoice dates come from one sort of the payments. Shared within a detection
    pass (:func:`detectors._shared.shared`): treat the result as read-only.

    Args:
        invoices: Invoices with :data:`INVOICE_COLUMNS` (``balance`` may be missing).
        payments: Payments with ``invoice_id``, ``paid_at`` and ideally ``amount`` and
            ``source``; None when the caller has none.

    Returns:
        Columns ``state`` (``paid``, ``unpaid`` or ``unknown``, categorical), ``paid_at``
        (naive UTC, NaT unless the payment date is known) and ``linked`` (whether payments
        point at it).
    """
    return shared("payment_facts", (invoices, payments), (), lambda: _facts(invoices, payments))


def _facts(invoices: pd.DataFrame, payments: pd.DataFrame | None) -> pd.DataFrame:
    index = invoices.index
    status = fr.lowered(invoices["status"])
    total = fr.as_money(invoices["total"]).to_numpy()
    balance = (
        fr.as_money(invoices["balance"]).to_numpy()
        if "balance" in invoices.columns
        else np.full(len(index), np.nan)
    )
    explicit = fr.as_datetimes(invoices["paid_at"]).to_numpy(dtype="datetime64[ns]")
    usable = _usable(payments)
    # Linked ids: the payments' side is sorted and summed once per pass, not per question.
    dates = None if usable is None else payment_dates(invoices, usable, total)
    if dates is None:
        keys = _Keys(invoices, usable)
        covered, latest = _linked_dates(keys, total, usable)
        dates = InvoiceDates(keys.invoice_source, keys.sources, covered, latest)
    covered, latest = dates.covered, dates.latest
    linked = ~np.isnat(latest)

    with np.errstate(invalid="ignore"):
        says_paid = (status == PAID).to_numpy(dtype=bool) | (
            (np.abs(balance) < CENT) & (total > CENT)
        )
        owed = balance > CENT
    paid_at = np.where(
        ~np.isnat(explicit),
        explicit,
        np.where(~np.isnat(covered), covered, np.where(says_paid, latest, np.datetime64("NaT"))),
    )
    paid = ~np.isnat(explicit) | ~np.isnat(covered) | says_paid
    # A source that marks any invoice paid (or links payments to it) would mark the rest too.
    records = np.bincount(dates.source, weights=paid | linked, minlength=dates.sources) > 0
    can_say_unpaid = owed | linked | records[dates.source]
    state = pd.Categorical.from_codes(
        np.where(paid, 0, np.where(can_say_unpaid, 1, 2)).astype(np.int8), dtype=_STATES
    )
    return pd.DataFrame(
        {"state": state, "paid_at": paid_at.astype("datetime64[ns]"), "linked": linked},
        index=index,
    )


def _usable(payments: pd.DataFrame | None) -> pd.DataFrame | None:
    """The payments, if they can link to invoices at all."""
    if payments is None or payments.empty or not {"invoice_id", "paid_at"} <= set(payments):
        return None
    return payments


class _Keys:
    """Integer codes of the (source, id) each invoice and payment is about.

    Payments without a ``source`` column match an invoice of any source by id.
    """

    def __init__(self, invoices: pd.DataFrame, payments: pd.DataFrame | None) -> None:
        count = len(invoices)
        inv_source = fr.as_text(invoices["source"]).fillna("").to_numpy(dtype=object)
        if payments is None:
            # Nothing to link: only the sources are needed (few values, cheap to code).
            codes, names = pd.factorize(inv_source)
            self.invoice_source, self.sources = codes.clip(min=0), max(1, len(names))
            self.invoice = np.full(count, -1, dtype=np.intp)
            self.payment = np.array([], dtype=np.intp)
            self.size = 0
            return
        id_codes = _id_codes(invoices["source_id"], payments["invoice_id"])
        pay_source = (
            fr.as_text(payments["source"]).fillna("").to_numpy(dtype=object)
            if "source" in payments
            else np.full(len(payments), None, dtype=object)
        )
        source_codes, source_names = pd.factorize(np.concatenate([inv_source, pay_source]))
        #: Each invoice's source as a code, and how many sources there are.
        self.invoice_source = source_codes[:count].clip(min=0)
        self.sources = max(1, len(source_names))
        if ("source" not in payments or len(source_names) == 1) and id_codes.min() >= 0:
            # One source, every document with an id: the ids' codes are the combined codes.
            codes = id_codes.astype(np.int64, copy=True)
        else:
            codes = combine(source_codes.astype(np.int64), id_codes.astype(np.int64))
        #: Arrays indexed by code have this many entries.
        self.size = int(codes.max(initial=-1)) + 1
        # A document without an id matches nothing: code -1.
        codes[id_codes < 0] = -1
        self.invoice = codes[:count]
        self.payment = codes[count:]


def _id_codes(invoice_ids: pd.Series[Any], payment_ids: pd.Series[Any]) -> Ints:
    """Codes of the invoices' ids then the payments' references as text; -1: null.

    Equal texts share a code. Columns decoded from stored snapshots come with their link
    (:mod:`busywork.store.text_links`): only integers are then coded, not a row's text.
    """
    linked = _linked_ids(invoice_ids, payment_ids)
    if linked is not None:
        return linked
    ids = [fr.as_text(column).to_numpy(dtype=object) for column in (invoice_ids, payment_ids)]
    codes: Ints = pd.factorize(np.concatenate(ids))[0]
    return codes


def _linked_ids(invoice_ids: pd.Series[Any], payment_ids: pd.Series[Any]) -> Ints | None:
    """:func:`_id_codes` from the columns' stored codes and their link, if they have one."""
    link = ds.linked(payment_ids, invoice_ids)
    if link is None:
        return None
    (invoice_codes, invoice_values), (payment_codes, _) = link.referred, link.referring
    references, _ = linked_references(link.found, len(invoice_values), payment_codes)
    return np.concatenate([invoice_codes.astype(np.int64), references])


def _linked_dates(
    keys: _Keys, total: np.ndarray[Any, Any], payments: pd.DataFrame | None
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Per invoice: when linked payments first covered its total, and the latest payment."""
    nat = np.full(len(keys.invoice), np.datetime64("NaT"), dtype="datetime64[ns]")
    if payments is None or len(keys.invoice) == 0:
        return nat, nat.copy()
    when = fr.as_datetimes(payments["paid_at"]).to_numpy(dtype="datetime64[ns]")
    amount = (
        fr.as_money(payments["amount"]).fillna(0.0).to_numpy()
        if "amount" in payments
        else np.zeros(len(payments))
    )
    valid = (keys.payment >= 0) & ~np.isnat(when)
    code, when, amount = keys.payment[valid], when[valid], amount[valid]
    if code.size == 0:
        return nat, nat.copy()
    order = np.lexsort((when.view(np.int64), code))
    code, when, amount = code[order], when[order], amount[order]
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    ends = np.r_[starts[1:], code.size] - 1
    # Running total per invoice: the overall running total minus that before its first row.
    running = np.cumsum(amount)
    before = np.repeat(running[starts] - amount[starts], np.diff(np.r_[starts, code.size]))
    running = running - before
    owed = np.full(keys.size, np.nan)
    has_key = keys.invoice >= 0
    owed[keys.invoice[has_key]] = total[has_key]
    due = owed[code]
    with np.errstate(invalid="ignore"):
        reached = (running >= due - CENT) & (due > CENT)
    covered_by = np.full(keys.size, np.datetime64("NaT"), dtype="datetime64[ns]")
    first_codes, first = np.unique(code[reached], return_index=True)
    covered_by[first_codes] = when[reached][first]
    latest_by = np.full(keys.size, np.datetime64("NaT"), dtype="datetime64[ns]")
    latest_by[code[ends]] = when[ends]
    covered, latest = nat.copy(), nat.copy()
    covered[has_key] = covered_by[keys.invoice[has_key]]
    latest[has_key] = latest_by[keys.invoice[has_key]]
    return covered, latest
