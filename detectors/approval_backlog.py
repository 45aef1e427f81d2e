"""Bills piling up unapproved: arrivals outpacing approvals, with money and due dates at risk."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from busywork.store.records import RecordKind
from detectors import _frames as fr
from detectors._coverage import Fact
from detectors._facts import APPROVAL_DATES
from detectors.base import Candidate, Category, DetectionContext, Detector, Frames, Subject
from detectors.registry import register


@register
class ApprovalBacklogDetector(Detector):
    """Finds a business whose bill-approval queue is growing.

    Manual bills (not void or draft) that arrived in the trailing ``window_days`` are
    considered; a bill arrives when it is entered (``created_at``, else its issue date).
    Bills made by a rule or an integration are approved automatically and left out. Over the
    window, arrivals are compared with approvals (``approved_at`` in the window): the queue
    grew by ``arrivals - approvals``. By Little's law the average wait is the queue length
    divided by the arrival rate; the current wait of each waiting bill is measured in business
    days of the context calendar. The business is reported when at least ``min_waiting``
    bills that arrived in the window still await approval, the queue grew by
    ``min_queue_growth`` or more, and the median waiting bill has waited at least
    ``min_wait_days`` business days.

    Cash impact: waiting bills already past their due date accrue late fees at
    ``late_fee_rate`` a month. Hours saved: bills approved by hand a month * the
    ``approve_bill`` minutes, which approval rules (auto-approve known vendors under a limit)
    take away.

    Metrics: ``waiting``, ``waiting_amount``, ``overdue_amount``, ``due_soon_amount``,
    ``arrivals``, ``approvals``, ``queue_growth``, ``median_wait_days`` (business days) and
    ``littles_law_wait_days`` (calendar days).

    Args:
        window_days: Length of the trailing window, in days, ending at ``context.as_of``.
        min_waiting: Fewest bills awaiting approval for a finding.
        min_queue_growth: Smallest growth of the queue over the window.
        min_wait_days: Smallest median wait of the waiting bills, in business days.
        due_soon_days: Waiting bills due within this many days count as at risk.
        late_fee_rate: Monthly late fee on overdue bills, as a fraction of the amount.
    """

    kind: ClassVar[str] = "approval_backlog"
    category: ClassVar[Category] = "bottleneck"
    required_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = {
        RecordKind.BILL: (
            "source_id",
            "source",
            "status",
            "origin",
            "created_at",
            "issued_on",
            "due_on",
            "approved_at",
            "total",
        ),
    }

    facts: ClassVar[tuple[Fact, ...]] = (APPROVAL_DATES,)
    checks: ClassVar[str] = "the approval queue"

    def __init__(
        self,
        *,
        window_days: int = 90,
        min_waiting: int = 10,
        min_queue_growth: int = 8,
        min_wait_days: float = 5.0,
        due_soon_days: int = 7,
        late_fee_rate: float = 0.02,
    ) -> None:
        self.window_days = window_days
        self.min_waiting = min_waiting
        self.min_queue_growth = min_queue_growth
        self.min_wait_days = min_wait_days
        self.due_soon_days = due_soon_days
        self.late_fee_rate = late_fee_rate

    def _detect(self, frames: Frames, context: DetectionContext) -> list[Candidate]:
        raw = frames[RecordKind.BILL]
        now = fr.as_of(context)
        today = now.normalize()
        start = today - pd.Timedelta(days=self.window_days)
        status = fr.lowered(raw["status"])
        arrived = fr.as_datetimes(raw["created_at"]).fillna(fr.as_dates(raw["issued_on"]))
        approved = fr.as_datetimes(raw["approved_at"])
        bills = pd.DataFrame(
            {
                "source_id": fr.as_text(raw["source_id"]),
                "source": fr.as_text(raw["source"]),
                "arrived": arrived,
                "approved": approved.where(approved <= now),
                "due": fr.as_dates(raw["due_on"]),
                "total": fr.as_money(raw["total"]).fillna(0.0),
                "waiting": (status == "awaiting_approval").to_numpy(),
            }
        )
        keep = (
            fr.is_manual(raw["origin"])
            & ~status.isin(["void", "draft"])
            & (arrived > start)
            & (arrived <= now)
        )
        bills = bills[keep.to_numpy()]
        if bills.empty:
            return []
        waiting = bills[bills["waiting"]]
        arrivals = len(bills)
        approvals = int((approved[keep.to_numpy()] > start).sum())
        growth = arrivals - approvals
        if len(waiting) < self.min_waiting or growth < self.min_queue_growth:
            return []
        waits = fr.business_days_between(
            waiting["arrived"].dt.normalize(),
            pd.Series(today, index=waiting.index),
            context.calendar,
        )
        median_wait = float(waits.median())
        if median_wait < self.min_wait_days:
            return []
        return [self._candidate(waiting, arrivals, approvals, median_wait, context)]

    def _candidate(
        self,
        waiting: pd.DataFrame,
        arrivals: int,
        approvals: int,
        median_wait: float,
        context: DetectionContext,
    ) -> Candidate:
        """Build the business-wide finding."""
        today = fr.as_of(context).normalize()
        money = context.currency
        amount = float(waiting["total"].sum())
        overdue = float(waiting.loc[waiting["due"] < today, "total"].sum())
        soon = today + pd.Timedelta(days=self.due_soon_days)
        due_soon = float(
            waiting.loc[(waiting["due"] >= today) & (waiting["due"] <= soon), "total"].sum()
        )
        rate = arrivals / self.window_days
        little = len(waiting) / rate if rate else 0.0
        months = self.window_days / fr.DAYS_PER_MONTH
        growth = arrivals - approvals
        severity = min(1.0, median_wait / (2 * self.min_wait_days or 1.0))
        confidence = (
            0.4 * fr.support_score(len(waiting), 10.0)
            + 0.4 * severity
            + 0.2 * min(1.0, growth / max(1.0, len(waiting)))
        )
        return Candidate(
            kind=self.kind,
            category=self.category,
            subject=Subject("business", None, context.business),
            title=(
                f"{len(waiting)} bills ({fr.format_money(amount, money)}) are waiting for "
                f"approval, a median {fr.plural(median_wait, 'business day')}"
            ),
            summary=(
                f"In the last {self.window_days} days {arrivals} bills arrived and {approvals} "
                f"were approved, so the queue grew by {growth}. {len(waiting)} bills worth "
                f"{fr.format_money(amount, money)} are waiting; "
                f"{fr.format_money(overdue, money)} of them are already past due and "
                f"{fr.format_money(due_soon, money)} fall due within {self.due_soon_days} days. "
                f"At this rate a bill waits about {little:.0f} days (Little's law)."
            ),
            suggested_automation=(
                "Add approval rules in your bills tool (auto-approve known vendors under a "
                "limit, route the rest to one approver with a daily digest) so the queue "
                "cannot silently grow."
            ),
            record_ids=fr.sorted_strings(waiting["source_id"]),
            sources=fr.sorted_strings(waiting["source"]),
            period_start=fr.to_date(waiting["arrived"].min()),
            period_end=fr.to_date(today),
            hours_saved_per_month=round(
                approvals / months * context.minutes("approve_bill") / 60, 4
            ),
            cash_impact_per_month=round(overdue * self.late_fee_rate, 2),
            confidence=fr.clamp01(confidence),
            metrics={
                "waiting": float(len(waiting)),
                "waiting_amount": round(amount, 2),
                "overdue_amount": round(overdue, 2),
                "due_soon_amount": round(due_soon, 2),
                "arrivals": float(arrivals),
                "approvals": float(approvals),
                "queue_growth": float(growth),
                "median_wait_days": round(median_wait, 2),
                "littles_law_wait_days": round(little, 2),
            },
        )
