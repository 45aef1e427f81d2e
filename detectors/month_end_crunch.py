"""Manual bookkeeping bunched into the days around each month end."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind
from detectors import _frames as fr
from detectors._coverage import Fact
from detectors._facts import ENTRY_TIMES
from detectors.base import Candidate, Category, DetectionContext, Detector, Frames, Subject
from detectors.registry import register


@register
class MonthEndCrunchDetector(Detector):
    """Finds a business whose manual journals pile up at period end.

    Manual journals entered in the trailing ``window_days`` are placed on the local day
    (context timezone) they were keyed in (``created_at``, else ``posted_on``). The
    *period-end window* is the last ``days_before`` working days of each month plus the first
    ``days_after`` working days of the next (context calendar, holidays included). If the
    work were spread evenly, the share of entries in that window would equal the share of
    working days in it; the ratio of the two is the *lift*. The business is reported when at
    least ``min_entries`` journals were keyed, the lift is at least ``min_lift`` and the
    entries beyond the even share come to ``min_excess_per_month`` or more a month (a firm
    keying only its three closing journals has a high lift but no crunch).

    Hours saved: the journals per month keyed in the window beyond their even share, at the
    ``journal_entry`` minutes each (what daily bank feeds, rules and repeating journals move
    out of the crunch). No cash is claimed.

    Metrics: ``entries``, ``period_end_entries``, ``period_end_share``, ``expected_share``,
    ``lift`` and ``excess_per_month``.

    Args:
        window_days: Length of the trailing window, in days, ending at ``context.as_of``.
        days_before: Working days before each month end that belong to the period end.
        days_after: Working days after each month end that belong to the period end.
        min_entries: Fewest manual journals in the window for a finding.
        min_lift: Smallest ratio of the observed to the even share.
        min_excess_per_month: Fewest journals a month keyed at period end beyond the even
            share.
    """

    kind: ClassVar[str] = "month_end_crunch"
    category: ClassVar[Category] = "bottleneck"
    required_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = {
        RecordKind.JOURNAL_ENTRY: ("source_id", "source", "posted_on", "created_at", "origin"),
    }

    facts: ClassVar[tuple[Fact, ...]] = (ENTRY_TIMES,)
    checks: ClassVar[str] = "the month-end crunch"

    def __init__(
        self,
        *,
        window_days: int = 180,
        days_before: int = 2,
        days_after: int = 5,
        min_entries: int = 30,
        min_lift: float = 2.0,
        min_excess_per_month: float = 8.0,
    ) -> None:
        self.window_days = window_days
        self.days_before = days_before
        self.days_after = days_after
        self.min_entries = min_entries
        self.min_lift = min_lift
        self.min_excess_per_month = min_excess_per_month

    def _detect(self, frames: Frames, context: DetectionContext) -> list[Candidate]:
        raw = frames[RecordKind.JOURNAL_ENTRY]
        today = fr.as_of(context).normalize()
        start = today - pd.Timedelta(days=self.window_days)
        keyed = fr.local_dates(raw["created_at"], context.timezone).fillna(
            fr.as_dates(raw["posted_on"])
        )
        frame = pd.DataFrame(
            {
                "source_id": fr.as_text(raw["source_id"]),
                "source": fr.as_text(raw["source"]),
                "day": keyed,
            }
        )
        keep = fr.is_manual(raw["origin"]) & (keyed > start) & (keyed <= today)
        frame = frame[keep.to_numpy()]
        if len(frame) < max(1, self.min_entries):
            return []
        frame["crunch"] = self._in_period_end(frame["day"], context).to_numpy()
        all_days = pd.Series(pd.date_range(start + pd.Timedelta(days=1), today, freq="D"))
        working = fr.is_busday(all_days, context.calendar)
        if not working.any():
            return []
        expected = float(self._in_period_end(all_days[working], context).mean())
        observed = float(frame["crunch"].mean())
        lift = observed / expected if expected > 0 else 0.0
        months = fr.months_covered(frame["day"].min(), frame["day"].max())
        excess = max(0.0, (observed - expected) * len(frame)) / months
        if lift < self.min_lift or excess < self.min_excess_per_month:
            return []
        return [self._candidate(frame, observed, expected, lift, context)]

    def _in_period_end(
        self, days: pd.Series[pd.Timestamp], context: DetectionContext
    ) -> pd.Series[bool]:
        """True for working days among the last/first few working days of a month."""
        cal = context.calendar
        month_start = days.dt.to_period("M").dt.start_time
        next_month = month_start + pd.offsets.MonthBegin(1)
        before_end = fr.business_days(days + pd.Timedelta(days=1), next_month, cal)
        since_start = fr.business_days(month_start, days, cal)
        working = fr.is_busday(days, cal).to_numpy()
        hit = working & ((before_end < self.days_before) | (since_start < self.days_after))
        return pd.Series(np.asarray(hit, dtype=bool), index=days.index)

    def _candidate(
        self,
        frame: pd.DataFrame,
        observed: float,
        expected: float,
        lift: float,
        context: DetectionContext,
    ) -> Candidate:
        """Build the business-wide finding."""
        crunch = frame[frame["crunch"]]
        months = fr.months_covered(frame["day"].min(), frame["day"].max())
        excess = max(0.0, (observed - expected) * len(frame)) / months
        confidence = 0.5 * fr.support_score(len(frame), 40.0) + 0.5 * min(
            1.0, (lift - 1.0) / max(self.min_lift, 1.0)
        )
        return Candidate(
            kind=self.kind,
            category=self.category,
            subject=Subject("business", None, context.business),
            title=(
                f"{observed:.0%} of manual journals are keyed at month end "
                f"({lift:.1f}x an even spread)"
            ),
            summary=(
                f"Of {len(frame)} journals keyed by hand since {frame['day'].min():%d %b %Y}, "
                f"{len(crunch)} ({observed:.0%}) were entered in the last {self.days_before} or "
                f"first {self.days_after} working days of a month, which hold only "
                f"{expected:.0%} of the working days: about {excess:.0f} entries a month are "
                "squeezed into the close."
            ),
            suggested_automation=(
                "Spread the close: connect daily bank feeds with rules, make the fixed monthly "
                "journals repeating ones, and reconcile weekly so month end is a review."
            ),
            record_ids=fr.sorted_strings(crunch["source_id"]),
            sources=fr.sorted_strings(crunch["source"]),
            period_start=fr.to_date(crunch["day"].min()),
            period_end=fr.to_date(crunch["day"].max()),
            hours_saved_per_month=round(excess * context.minutes("journal_entry") / 60, 4),
            cash_impact_per_month=0.0,
            confidence=fr.clamp01(confidence),
            metrics={
                "entries": float(len(frame)),
                "period_end_entries": float(len(crunch)),
                "period_end_share": round(observed, 4),
                "expected_share": round(expected, 4),
                "lift": round(lift, 4),
                "excess_per_month": round(excess, 2),
            },
        )
