"""How invoices get paid: payment dates, partial payments, and the status and balance they imply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from busywork.synth.columns import BoolArray, FloatArray, IntArray, ObjArray, TimeArray, filled

METHODS = ("bank_transfer", "card", "cash", "cheque")
METHOD_WEIGHTS = (0.72, 0.22, 0.03, 0.03)
#: Share of invoices that are paid in two instalments.
PARTIAL_SHARE = 0.07
#: In a slow-paying business, share of invoices paid 20-70 days late (the rest within 10).
SLOW_SHARE = 0.9


@dataclass(frozen=True)
class Settlement:
    """Per-invoice outcome plus the payment rows (``invoice`` indexes the invoice arrays)."""

    status: ObjArray
    balance: IntArray
    paid_at: TimeArray
    updated: TimeArray
    invoice: IntArray
    payment_at: TimeArray
    amount: IntArray
    method: ObjArray


def lateness(rng: np.random.Generator, count: int, slow: bool) -> IntArray:
    """Days after the due date each invoice is paid."""
    quick = np.where(
        rng.random(count) < 0.93, rng.integers(0, 6, size=count), rng.integers(6, 11, size=count)
    )
    if not slow:
        return quick.astype(np.int64)
    # Skewed towards the late end so days-sales-outstanding clears 60 even on 14-day terms.
    late = 20 + np.floor(50 * rng.beta(2.5, 1.2, size=count)).astype(np.int64)
    return np.where(rng.random(count) < SLOW_SHARE, late, quick).astype(np.int64)


def settle(
    rng: np.random.Generator,
    *,
    issued: TimeArray,
    due: TimeArray,
    created: TimeArray,
    total: IntArray,
    autopay: BoolArray,
    noisy: BoolArray,
    slow: bool,
    end: date,
    late: FloatArray | None = None,
    late_rng: np.random.Generator | None = None,
) -> Settlement:
    """Decide who paid what and when, keeping only payments made by the end of ``end``.

    ``autopay`` invoices are collected by direct debit on the due date; ``noisy`` ones may be
    voided, left as drafts or never paid, which the planted series never are. ``late`` is, per
    invoice, the chance it is paid 25-60 days late (planted late payers), drawn from
    ``late_rng`` so every other invoice's outcome is the same with or without them.
    """
    count = len(total)
    last = np.datetime64(end, "D")
    cutoff = np.datetime64(end, "s") + np.timedelta64(86399, "s")
    void = noisy & (rng.random(count) < 0.015)
    draft = noisy & ~void & (issued >= last - np.timedelta64(4, "D")) & (rng.random(count) < 0.3)
    never = noisy & (rng.random(count) < 0.006)
    payable = ~(void | draft | never)

    days_late = lateness(rng, count, slow)
    if late is not None and late_rng is not None and late.any():
        planted = late_rng.integers(25, 61, size=count)
        chased = late_rng.random(count) < late
        days_late = np.where(chased, planted, days_late)
    final_day = due + np.where(autopay, 0, days_late).astype("timedelta64[D]")
    split = payable & ~autopay & (rng.random(count) < PARTIAL_SHARE)
    share = rng.uniform(0.3, 0.7, size=count)
    first_part = np.where(split, np.round(total * share).astype(np.int64), 0)
    span = (final_day - issued).astype(np.int64)
    first_day = issued + (rng.random(count) * (span + 1)).astype(np.int64).astype("timedelta64[D]")

    method_pick = rng.choice(len(METHODS), size=count, p=METHOD_WEIGHTS)
    methods = np.asarray(METHODS, dtype=object)[method_pick]
    methods[autopay] = "direct_debit"

    first_rows = np.flatnonzero(split)
    final_rows = np.flatnonzero(payable)
    invoice = np.concatenate([first_rows, final_rows]).astype(np.int64)
    days = np.concatenate([first_day[first_rows], final_day[final_rows]])
    amount = np.concatenate([first_part[first_rows], (total - first_part)[final_rows]])
    seconds = rng.integers(8 * 3600, 18 * 3600, size=len(invoice))
    # A payment never precedes the invoice it pays.
    at = np.maximum(days.astype("datetime64[s]") + seconds, created[invoice] + 3600)
    keep = at <= cutoff
    invoice, at, amount = invoice[keep], at[keep], amount[keep]

    paid = np.bincount(invoice, weights=amount, minlength=count).round().astype(np.int64)
    balance = np.where(void, 0, total - paid).astype(np.int64)
    status = filled(count, "open")
    status[balance == 0] = "paid"
    status[draft] = "draft"
    status[void] = "void"
    floor = np.iinfo(np.int64).min
    newest = np.full(count, floor, dtype=np.int64)
    np.maximum.at(newest, invoice, at.astype(np.int64))
    latest = np.where(newest == floor, np.datetime64("NaT", "s"), newest.astype("datetime64[s]"))
    paid_at = np.where(status == "paid", latest, np.datetime64("NaT", "s"))
    void_at = np.minimum(
        created + rng.integers(86400, 10 * 86400, size=count), cutoff - np.timedelta64(3600, "s")
    )
    updated = np.where(void, np.maximum(void_at, created), created)
    has_payment = ~np.isnat(latest)
    updated = np.where(has_payment, np.maximum(updated, latest), updated)
    return Settlement(
        status=status,
        balance=balance,
        paid_at=paid_at,
        updated=updated,
        invoice=invoice,
        payment_at=at,
        amount=amount,
        method=methods[invoice],
    )
