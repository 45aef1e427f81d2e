"""Manual journals: month-end depreciation and accruals by hand, payroll by integration."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from busywork.synth.clock import Window, days_of, month_start
from busywork.synth.columns import (
    Chunks,
    FloatArray,
    IntArray,
    ObjArray,
    TimeArray,
    filled,
    objects,
    shift,
)
from busywork.synth.people import Business
from busywork.synth.writer import make_frame

#: One-off adjusting journals per working day at scale 1.
ONE_OFF_PER_DAY = 1.5
JOURNAL_DRAFT = ("posted", "created", "origin", "accounts", "amount", "memo")
ADJUSTMENTS: tuple[tuple[str, str, str], ...] = (
    ("Bank Charges", "Business Current Account", "Bank fee"),
    ("Petty Cash", "Business Current Account", "Petty cash top-up"),
    ("General Expenses", "Office Supplies", "Reclassify miscoded expense"),
    ("Directors' Loan", "Business Current Account", "Director expense claim"),
    ("Suspense", "Sales", "Clear suspense item"),
    ("Motor Expenses", "Travel", "Reclassify mileage"),
    ("Bad Debts", "Trade Debtors", "Write off small balance"),
    ("Prepayments", "Subscriptions", "Prepay annual subscription"),
)


def accounts(*names: str) -> str:
    """The ``accounts`` cell: sorted account names joined by ``|``."""
    return "|".join(sorted(names))


def _month_end(first: date) -> date:
    return month_start(first + timedelta(days=32)) - timedelta(days=1)


def regular_journals(
    rng: np.random.Generator, journals: Chunks, window: Window, business: Business
) -> None:
    """Month-end journals keyed by hand, plus payroll and prepayments that post themselves.

    Hand-made month-end work is done a few working days after the month closes, so the last
    month's journals may not exist yet at the window's end.
    """
    months = window.month_starts()
    ends = days_of([_month_end(first) for first in months])
    firsts = days_of(months)
    count = len(months)
    keyed = np.busday_offset(ends, rng.integers(1, 6, size=count), roll="forward")
    keyed_at = window.working_instants(rng, keyed)
    depreciation = int(rng.integers(150, 900)) * 100
    _add(
        journals,
        ends,
        keyed_at,
        origin="manual",
        account_cells=accounts("Depreciation", "Fixed Assets"),
        amount=np.full(count, depreciation, dtype=np.int64),
        memo=objects([f"Monthly depreciation {m:%b %Y}" for m in months]),
    )
    accrual = (rng.uniform(200, 900, size=count) * 100).round().astype(np.int64)
    _add(
        journals,
        ends,
        shift(keyed_at, 600),
        origin="manual",
        account_cells=accounts("Accruals", "Utilities"),
        amount=accrual,
        memo=objects([f"Accrue utilities {m:%b %Y}" for m in months]),
    )
    # Each accrual is reversed on the first of the next month, in the same sitting.
    reversal = [*firsts[1:].tolist(), np.datetime64(_month_end(months[-1]), "D") + 1]
    _add(
        journals,
        np.asarray(reversal, dtype="datetime64[D]"),
        shift(keyed_at, 900),
        origin="manual",
        account_cells=accounts("Accruals", "Utilities"),
        amount=accrual,
        memo=objects([f"Reverse utilities accrual {m:%b %Y}" for m in months]),
    )
    payday = np.busday_offset(firsts + np.timedelta64(24, "D"), 0, roll="backward")
    wages = len(business.staff_names) * 2300 * 100
    _add(
        journals,
        payday,
        shift(payday, 4 * 3600),
        origin="integration",
        account_cells=accounts("Net Wages", "PAYE and NIC", "Wages"),
        amount=np.round(wages * rng.uniform(0.97, 1.03, size=count)).astype(np.int64),
        memo=objects([f"Payroll {m:%b %Y}" for m in months]),
    )
    prepaid = int(rng.integers(40, 160)) * 100
    _add(
        journals,
        firsts,
        shift(firsts, 3 * 3600),
        origin="recurring",
        account_cells=accounts("Insurance", "Prepayments"),
        amount=np.full(count, prepaid, dtype=np.int64),
        memo=filled(count, "Release insurance prepayment"),
    )
    quarter = [m for m in months if m.month in (1, 4, 7, 10)]
    vat_day = days_of([m + timedelta(days=6) for m in quarter])
    _add(
        journals,
        vat_day,
        window.working_instants(rng, vat_day),
        origin="manual",
        account_cells=accounts("VAT Control", "VAT Liability"),
        amount=(vat_pounds(rng.uniform(1500, 9000, size=len(quarter))) * 100)
        .round()
        .astype(np.int64),
        memo=objects([f"VAT return quarter to {m - timedelta(days=1):%b %Y}" for m in quarter]),
    )


def vat_pounds(draws: FloatArray) -> FloatArray:
    """VAT due each quarter: busy and quiet quarters alternate, so no two returns look alike.

    Uniform draws alone can land close together by chance; alternating them around their
    range keeps the journal an honest "same accounts, changing amount" decoy.
    """
    swing = np.where(np.arange(len(draws)) % 2 == 0, 1.5, 0.5)
    out: FloatArray = draws * swing
    return out


def one_off_journals(
    rng: np.random.Generator, journals: Chunks, window: Window, scale: float
) -> None:
    """Ad-hoc adjustments by hand at random working days."""
    workdays = window.working_days()
    days = np.repeat(workdays, rng.poisson(ONE_OFF_PER_DAY * scale, size=len(workdays)))
    count = len(days)
    pick = rng.integers(len(ADJUSTMENTS), size=count)
    cells = objects([accounts(debit, credit) for debit, credit, _ in ADJUSTMENTS])
    memos = objects([memo for _, _, memo in ADJUSTMENTS])
    amount: FloatArray = np.exp(rng.normal(np.log(120.0), 1.0, size=count))
    _add(
        journals,
        days,
        window.working_instants(rng, days),
        origin="manual",
        account_cells=cells[pick],
        amount=np.maximum(np.round(amount * 100), 100).astype(np.int64),
        memo=memos[pick],
    )


def _add(
    journals: Chunks,
    posted: TimeArray,
    created: TimeArray,
    *,
    origin: str,
    account_cells: str | ObjArray,
    amount: IntArray,
    memo: ObjArray,
) -> None:
    count = len(posted)
    journals.add(
        posted=posted.astype("datetime64[D]"),
        created=created.astype("datetime64[s]"),
        origin=filled(count, origin),
        accounts=filled(count, account_cells) if isinstance(account_cells, str) else account_cells,
        amount=amount,
        memo=memo,
    )


def assemble(journals: Chunks, window: Window, currency: str) -> pd.DataFrame:
    """Journals entered by the window's end, numbered in posting order."""
    data = journals.build()
    cutoff = np.datetime64(window.end, "s") + np.int64(86399)
    keep = np.flatnonzero(
        (data["created"] <= cutoff) & (data["posted"] <= np.datetime64(window.end, "D"))
    )
    order = keep[np.lexsort((keep, data["created"][keep], data["posted"][keep]))]
    data = {name: column[order] for name, column in data.items()}
    count = len(order)
    return make_frame(
        "journal_entries",
        {
            "source_id": objects([f"JE-{n:05d}" for n in range(1, count + 1)]),
            "origin": data["origin"],
            "created_at": data["created"],
            "updated_at": data["created"],
            "posted_on": data["posted"],
            "accounts": data["accounts"],
            "amount": data["amount"],
            "currency": filled(count, currency),
            "memo": data["memo"],
        },
    )
