"""KPI baselines measured from the business's own records, for goals that give none.

Pure functions over the record frames the store hands out (see ``busywork.store.read``).
Each metric is measured over a trailing window ending at ``as_of``; a metric the data
cannot support (no invoices, no appointments) is left out rather than guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from alignment.admin_time import ADMIN_TIME_COLUMNS, WINDOW_DAYS, admin_time, time_spent
from alignment.effects import DAYS_PER_MONTH, cash_at_stake
from busywork.store.records import AUTOMATED_ORIGINS, RecordKind
from detectors._documents import sales_invoices
from detectors._payments import PAID, UNKNOWN, payment_facts
from detectors.base import Candidate, DetectionContext

_OWN_COLUMNS: Mapping[RecordKind, tuple[str, ...]] = {
    RecordKind.INVOICE: (
        "issued_on",
        "due_on",
        "paid_at",
        "total",
        "balance",
        "status",
        "doc_type",
    ),
    RecordKind.PAYMENT: ("invoice_id", "paid_at", "amount"),
    RecordKind.BILL: ("issued_on",),
    RecordKind.APPOINTMENT: ("start_at", "status"),
    RecordKind.JOURNAL_ENTRY: ("posted_on",),
}
#: The columns baselines and admin time read, per record kind (the pipeline loads exactly
#: these).
BASELINE_COLUMNS: Mapping[RecordKind, tuple[str, ...]] = {
    kind: tuple(dict.fromkeys([*_OWN_COLUMNS[kind], *ADMIN_TIME_COLUMNS.get(kind, ())]))
    for kind in _OWN_COLUMNS
}
_AUTOMATED = frozenset(origin.value for origin in AUTOMATED_ORIGINS)

Frames = Mapping[RecordKind, pd.DataFrame]


def _window(frame: pd.DataFrame, column: str, as_of: datetime) -> pd.DataFrame:
    end = (
        pd.Timestamp(as_of).tz_localize(None) if pd.Timestamp(as_of).tzinfo else pd.Timestamp(as_of)
    )
    dates = frame[column]
    return frame[(dates > end - pd.Timedelta(days=WINDOW_DAYS)) & (dates <= end)]


def _manual(frame: pd.DataFrame) -> pd.Series:
    return ~frame["origin"].fillna("unknown").isin(_AUTOMATED)


def _live_invoices(frames: Frames) -> pd.DataFrame | None:
    invoices = frames.get(RecordKind.INVOICE)
    if invoices is None or invoices.empty:
        return None
    # Credit notes, refunds and fees are no billing: DSO is measured on sales.
    invoices = sales_invoices(invoices)
    return invoices[~invoices["status"].isin(["void", "draft"])]


def _receivables(frames: Frames, live: pd.DataFrame | None) -> pd.DataFrame | None:
    """Live invoices whose payment the data can tell, paid dates read the detectors' way.

    An invoice the data says nothing about (a shop export) is no receivable; one the data
    calls paid at an unknown date owes nothing. ``live`` is ``_live_invoices(frames)``.
    """
    invoices = live
    if invoices is None or not {"source", "source_id"} <= set(invoices.columns):
        return invoices
    facts = payment_facts(invoices, frames.get(RecordKind.PAYMENT))
    undated = (facts["state"] == PAID) & facts["paid_at"].isna()
    known = invoices.assign(
        paid_at=facts["paid_at"].to_numpy(),
        balance=invoices["balance"].where(~undated, 0.0),
    )[(facts["state"] != UNKNOWN).to_numpy()]
    return None if known.empty else known


def dso_days(frames: Frames, context: DetectionContext) -> float | None:
    """Receivables outstanding at ``as_of`` / amount billed in the window × window days."""
    return _dso_days(_receivables(frames, _live_invoices(frames)), context)


def _dso_days(invoices: pd.DataFrame | None, context: DetectionContext) -> float | None:
    if invoices is None:
        return None
    billed = float(_window(invoices, "issued_on", context.as_of)["total"].sum())
    if billed <= 0:
        return None
    return _outstanding(invoices, context) / billed * WINDOW_DAYS


def _outstanding(
    invoices: pd.DataFrame, context: DetectionContext, *, overdue_only: bool = False
) -> float:
    as_of = (
        pd.Timestamp(context.as_of).tz_localize(None)
        if pd.Timestamp(context.as_of).tzinfo
        else pd.Timestamp(context.as_of)
    )
    issued = invoices["issued_on"] <= as_of
    unpaid = invoices["paid_at"].isna() | (invoices["paid_at"] > as_of)
    open_ = invoices[issued & unpaid]
    if overdue_only:
        open_ = open_[open_["due_on"].notna() & (open_["due_on"] < as_of)]
    amounts = open_["balance"].where(
        open_["balance"].notna() & (open_["paid_at"].isna()), open_["total"]
    )
    return float(amounts.sum())


def overdue_receivables(frames: Frames, context: DetectionContext) -> float | None:
    """Money past its due date and unpaid at ``as_of``."""
    return _overdue(_receivables(frames, _live_invoices(frames)), context)


def _overdue(invoices: pd.DataFrame | None, context: DetectionContext) -> float | None:
    return None if invoices is None else _outstanding(invoices, context, overdue_only=True)


def billed_revenue_per_month(frames: Frames, context: DetectionContext) -> float | None:
    """Amount invoiced per month over the window."""
    return _billed_per_month(_live_invoices(frames), context)


def _billed_per_month(invoices: pd.DataFrame | None, context: DetectionContext) -> float | None:
    if invoices is None:
        return None
    return float(_window(invoices, "issued_on", context.as_of)["total"].sum()) / (
        WINDOW_DAYS / DAYS_PER_MONTH
    )


def no_show_rate(frames: Frames, context: DetectionContext) -> float | None:
    """No-shows as a percentage of past appointments in the window."""
    appointments = frames.get(RecordKind.APPOINTMENT)
    if appointments is None or appointments.empty:
        return None
    recent = _window(appointments, "start_at", context.as_of)
    attended_or_missed = recent[recent["status"].isin(["confirmed", "no_show"])]
    if attended_or_missed.empty:
        return None
    return float((attended_or_missed["status"] == "no_show").mean() * 100)


def admin_hours_per_month(frames: Frames, context: DetectionContext) -> float | None:
    """The admin time of every activity the data measures, in hours a month.

    Keying invoices, bills, appointments and journals, chasing late payments, approving
    bills and internal meetings (see :mod:`alignment.admin_time`): the activities findings
    save hours on, each of which bounds the findings about it.
    """
    return _admin_hours(admin_time(frames, context))


def _admin_hours(measured: Mapping[str, float]) -> float | None:
    return time_spent(measured) if measured else None


def manual_tasks_per_month(frames: Frames, context: DetectionContext) -> float | None:
    """Hand-made invoices, bills, appointments and journals per month."""
    return _manual_tasks(frames, context, admin_time(frames, context))


def _manual_tasks(
    frames: Frames, context: DetectionContext, measured: Mapping[str, float]
) -> float | None:
    if _admin_hours(measured) is None:
        return None
    counts = 0.0
    for kind, column in (
        (RecordKind.INVOICE, "issued_on"),
        (RecordKind.BILL, "issued_on"),
        (RecordKind.APPOINTMENT, "start_at"),
        (RecordKind.JOURNAL_ENTRY, "posted_on"),
    ):
        frame = frames.get(kind)
        if frame is not None and not frame.empty:
            counts += float(_manual(_window(frame, column, context.as_of)).sum())
    return counts / (WINDOW_DAYS / DAYS_PER_MONTH)


def _from_findings(metric: str) -> Callable[[Sequence[Candidate]], float | None]:
    """Metrics only the detectors can see (matching sessions to invoices, duplicates)."""

    def measure(candidates: Sequence[Candidate]) -> float | None:
        values = [float(c.metrics[metric]) for c in candidates if metric in c.metrics]
        if not values:
            return None
        if metric.endswith("_per_month"):
            return float(np.sum(values))
        return float(np.median(values))

    return measure


def _cash_at_stake(candidates: Sequence[Candidate]) -> float | None:
    """Money lost a month across the findings (late fees, paid twice, never billed …)."""
    values = [cash_at_stake(candidate) for candidate in candidates]
    return float(np.sum(values)) if values else None


MEASURED: Mapping[str, Callable[[Frames, DetectionContext], float | None]] = {
    "dso_days": dso_days,
    "overdue_receivables": overdue_receivables,
    "billed_revenue_per_month": billed_revenue_per_month,
    "no_show_rate": no_show_rate,
    "admin_hours_per_month": admin_hours_per_month,
    "manual_tasks_per_month": manual_tasks_per_month,
}
FROM_FINDINGS: Mapping[str, Callable[[Sequence[Candidate]], float | None]] = {
    "leakage_per_month": _from_findings("leakage_per_month"),
    "time_to_invoice_days": _from_findings("median_lag_days"),
    "cash_at_stake_per_month": _cash_at_stake,
}


class _Measuring:
    """The record metrics of one call, sharing what several read.

    Admin time feeds two metrics, the live invoices three and the receivables (with their
    payment facts) two: each is worked out once, and the figures equal the metric
    functions' own.
    """

    def __init__(
        self, frames: Frames, context: DetectionContext, admin: Mapping[str, float] | None
    ) -> None:
        self.frames, self.context = frames, context
        self._admin = admin
        self._live: tuple[pd.DataFrame | None] | None = None
        self._receivables: tuple[pd.DataFrame | None] | None = None

    def admin(self) -> Mapping[str, float]:
        if self._admin is None:
            self._admin = admin_time(self.frames, self.context)
        return self._admin

    def live(self) -> pd.DataFrame | None:
        if self._live is None:
            self._live = (_live_invoices(self.frames),)
        return self._live[0]

    def receivables(self) -> pd.DataFrame | None:
        if self._receivables is None:
            self._receivables = (_receivables(self.frames, self.live()),)
        return self._receivables[0]

    def measure(self, metric: str) -> float | None:
        if metric == "admin_hours_per_month":
            return _admin_hours(self.admin())
        if metric == "manual_tasks_per_month":
            return _manual_tasks(self.frames, self.context, self.admin())
        if metric == "dso_days":
            return _dso_days(self.receivables(), self.context)
        if metric == "overdue_receivables":
            return _overdue(self.receivables(), self.context)
        if metric == "billed_revenue_per_month":
            return _billed_per_month(self.live(), self.context)
        return MEASURED[metric](self.frames, self.context)


def measure_baselines(
    metrics: Iterable[str],
    frames: Frames,
    context: DetectionContext,
    candidates: Sequence[Candidate],
    *,
    admin: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Baselines for ``metrics``, from records or findings; unmeasurable ones are absent.

    ``admin`` is ``admin_time(frames, context)`` when the caller measured it already.
    """
    measuring = _Measuring(frames, context, admin)
    found: dict[str, float] = {}
    for metric in metrics:
        value = (
            measuring.measure(metric)
            if metric in MEASURED
            else (FROM_FINDINGS[metric](candidates) if metric in FROM_FINDINGS else None)
        )
        if value is not None and np.isfinite(value):
            found[metric] = round(float(value), 4)
    return found
