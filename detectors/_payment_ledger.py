"""The payments linked to invoices, sorted and summed once per detection pass.

:func:`detectors._payments.payment_facts` dates an invoice from the payments linked to it
(same source, ``invoice_id``): the day their running total first covers its total, and
the latest of them. Detectors ask it about invoices of their own (those in a window, the
sales ones) and the ranking about all of them, and each answer sorted every payment by
invoice and date and summed them again: the payments' side is the same every time.

When the invoices' ids and the payments' references come from stored snapshots linked
when written (:mod:`busywork.store.text_links`), each payment's invoice is known without
the invoices asked about: its key is the invoice's source and its position in the whole
id column's dictionary. :func:`payment_ledger` then sorts and sums the payments once per
pass (:func:`detectors._shared.shared`), and :meth:`PaymentLedger.dates` answers for any
rows of those invoice columns: only the invoices' totals are compared per row.

The dates are those :func:`detectors._payments.payment_facts` works out from the
invoices and payments themselves (``tests/detectors/test_payment_ledger.py``): a
payment's running total counts the payments of its key before it, in date order (ties in
row order), and each key owes the total of its last invoice in row order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detectors import _distinct as ds
from detectors import _frames as fr
from detectors._codes import look_up
from detectors._shared import shared

Dates = np.ndarray[Any, np.dtype[np.datetime64]]
Ints = np.ndarray[Any, np.dtype[np.int64]]
#: Money below this is zero (cent rounding in exports), as in :mod:`detectors._payments`.
CENT = 0.005


@dataclass(frozen=True)
class InvoiceDates:
    """Per invoice: its source's code, when linked payments covered it, the latest one."""

    #: Per invoice, a code of its source (text, a null source as ``""``).
    source: Ints
    #: How many source codes there are (every code is below it).
    sources: int
    covered: Dates
    latest: Dates


@dataclass(frozen=True)
class PaymentLedger:
    """The linked payments by (source, invoice id) key, in date order, with running totals."""

    #: Per distinct value of the invoices' source column, its source code; ``empty`` for null.
    invoice_sources: Ints
    empty: int
    sources: int
    #: Keys are ``source * ids + id`` for id codes below ``ids``.
    ids: int
    #: The keys that payments name, sorted; a group is a position in it.
    keys: Ints
    #: Per group: where its payments start among those sorted by group, then date.
    starts: np.ndarray[Any, np.dtype[np.signedinteger[Any]]]
    #: Per payment so sorted: its date and running total.
    when: Dates
    running: np.ndarray[Any, np.dtype[np.float64]]

    def dates(
        self, id_codes: Ints, source_codes: Ints, total: np.ndarray[Any, Any]
    ) -> InvoiceDates:
        """The payment dates of invoices, by their codes in the ledger's invoice columns."""
        source = look_up(self.invoice_sources, source_codes, self.empty)
        key = np.where(id_codes >= 0, source * self.ids + id_codes, -1)
        nat = np.full(len(key), np.datetime64("NaT"), dtype="datetime64[ns]")
        covered, latest = nat, nat.copy()
        if not len(self.keys):
            return InvoiceDates(source, self.sources, covered, latest)
        at = np.searchsorted(self.keys, key).clip(max=len(self.keys) - 1)
        found = (key >= 0) & (self.keys[at] == key)
        # Each key owes the total of its last invoice in row order.
        owed = np.full(len(self.keys), np.nan)
        owed[at[found]] = total[found]
        group = np.repeat(np.arange(len(self.keys)), np.diff(np.r_[self.starts, len(self.when)]))
        due = owed[group]
        with np.errstate(invalid="ignore"):
            reached = np.flatnonzero((self.running >= due - CENT) & (due > CENT))
        # The first payment of each group whose running total reached what it owes.
        groups = group[reached]
        firsts = reached[np.r_[True, groups[1:] != groups[:-1]]] if len(reached) else reached
        covered_by = np.full(len(self.keys), np.datetime64("NaT"), dtype="datetime64[ns]")
        covered_by[group[firsts]] = self.when[firsts]
        covered[found] = covered_by[at[found]]
        # A group's latest payment is its last.
        latest[found] = self.when[np.r_[self.starts[1:], len(self.when)][at[found]] - 1]
        return InvoiceDates(source, self.sources, covered, latest)


def payment_dates(
    invoices: pd.DataFrame, payments: pd.DataFrame, total: np.ndarray[Any, Any]
) -> InvoiceDates | None:
    """The payment dates of ``invoices`` from a ledger of ``payments``, if their ids are linked.

    None unless the invoices' ids and the payments' references were decoded from stored
    snapshots linked when written, and the payments have a source (a payment without one
    matches by id alone, and whether it does depends on the invoices asked about).
    ``total`` holds the invoices' totals.
    """
    if "source" not in payments:
        return None
    link = ds.linked(payments["invoice_id"], invoices["source_id"])
    if link is None:
        return None
    (reference_codes, _), (id_codes, invoice_ids), found = link.referring, link.referred, link.found
    source_codes, invoice_sources = ds.column_codes(invoices["source"])
    ledger = shared(
        "payment_ledger",
        (payments, invoice_ids, invoice_sources),
        (),
        lambda: _ledger(payments, invoice_sources, len(invoice_ids), reference_codes, found),
    )
    return ledger.dates(id_codes.astype(np.int64), source_codes, total)


def linked_references(
    found: np.ndarray[Any, Any], invoice_ids: int, reference_codes: np.ndarray[Any, Any]
) -> tuple[Ints, int]:
    """Per payment, the id code of the invoice it references, through a stored link.

    ``found`` is the link: per distinct reference, its position among the ``invoice_ids``
    distinct invoice ids (-1: none). A reference to no invoice gets a code of its own after
    those; a null reference (code -1) gets -1. Returns the codes and how many there are.
    """
    per_reference = found.astype(np.int64)
    new = np.flatnonzero(per_reference < 0)  # references to no invoice: ids of their own
    per_reference[new] = invoice_ids + np.arange(len(new))
    return look_up(per_reference, reference_codes), invoice_ids + len(new)


def _ledger(
    payments: pd.DataFrame,
    invoice_sources: np.ndarray[Any, Any],
    invoice_ids: int,
    reference_codes: np.ndarray[Any, Any],
    found: np.ndarray[Any, Any],
) -> PaymentLedger:
    payment_ids, ids = linked_references(found, invoice_ids, reference_codes)
    # Sources as text, a null source as "": the invoices' distinct ones, then the payments'.
    payment_codes, payment_sources = ds.column_codes(payments["source"])
    texts = [""] + [str(value) for value in (*invoice_sources, *payment_sources)]
    codes = pd.factorize(np.array(texts, dtype=object))[0].astype(np.int64)
    empty = int(codes[0])
    payment_source = look_up(codes[1 + len(invoice_sources) :], payment_codes, empty)
    key = np.where(payment_ids >= 0, payment_source * ids + payment_ids, -1)
    when = fr.as_datetimes(payments["paid_at"]).to_numpy(dtype="datetime64[ns]")
    amount = (
        fr.as_money(payments["amount"]).fillna(0.0).to_numpy()
        if "amount" in payments
        else np.zeros(len(payments))
    )
    valid = (key >= 0) & ~np.isnat(when)
    key, when, amount = key[valid], when[valid], amount[valid]
    order = np.lexsort((when.view(np.int64), key))
    key, when, amount = key[order], when[order], amount[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.arange(0)
    sizes = np.diff(np.r_[starts, len(key)])
    # Running total per key: the overall running total minus that before its first payment.
    running = np.cumsum(amount)
    running = running - np.repeat(running[starts] - amount[starts], sizes)
    return PaymentLedger(
        invoice_sources=codes[1 : 1 + len(invoice_sources)],
        empty=empty,
        sources=int(codes.max()) + 1,
        ids=ids,
        keys=key[starts],
        starts=starts.astype(np.int32 if len(key) < 2**31 else np.int64),
        when=when,
        running=running,
    )
