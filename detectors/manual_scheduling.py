"""The same person booked one appointment at a time, always in the same weekly slot."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind
from detectors import _distinct as ds
from detectors import _frames as fr
from detectors._attendees import subject_codes
from detectors._codes import look_up
from detectors._coverage import Fact
from detectors._facts import ATTENDEES
from detectors._mirrors import one_per_booking
from detectors._ordering import sort_keyed
from detectors.base import Candidate, Category, DetectionContext, Detector, Frames, Subject
from detectors.registry import register

_CANCELLED = frozenset({"cancelled"})
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@register
class ManualSchedulingDetector(Detector):
    """Finds attendees booked by hand, one appointment at a time, at a regular slot.

    Appointments that are not cancelled, not part of a series (``series_id`` empty) and not
    booked through a booking link or another automated origin are grouped by attendee
    (normalised e-mail, else normalised name). The slot is the local weekday and start time
    (context timezone, so a booking stays in its slot across daylight-saving changes). An
    attendee is reported when, in the trailing ``window_days``, they have at least
    ``min_occurrences`` appointments, at least ``min_slot_share`` of them in their most
    common slot, at least ``min_regular_share`` of the gaps between appointments a whole
    number of weeks (one to ``max_gap_weeks``), and the last one no more than
    ``max_gap_weeks`` weeks before ``as_of``.

    Hours saved: appointments per month * the ``book_appointment`` minutes.

    Metrics: ``occurrences``, ``slot_share``, ``regular_share``, ``median_gap_days``,
    ``slot_weekday`` (0 = Monday), ``slot_minute`` (minutes after midnight, local) and
    ``bookings_per_month``.

    Args:
        window_days: Length of the trailing window, in days, ending at ``context.as_of``.
        min_occurrences: Fewest appointments for a finding.
        min_slot_share: Smallest share of appointments in the most common slot (0-1).
        min_regular_share: Smallest share of gaps that are a whole number of weeks (0-1).
        max_gap_weeks: Longest gap, in weeks, that still counts as regular.
    """

    kind: ClassVar[str] = "manual_scheduling"
    category: ClassVar[Category] = "repetitive_task"
    required_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = {
        RecordKind.APPOINTMENT: (
            "source_id",
            "source",
            "start_at",
            "status",
            "attendee_email",
            "attendee_name",
            "series_id",
            "origin",
            "mirror_id",
        ),
    }

    facts: ClassVar[tuple[Fact, ...]] = (ATTENDEES,)
    checks: ClassVar[str] = "booking by hand"

    def __init__(
        self,
        *,
        window_days: int = 365,
        min_occurrences: int = 6,
        min_slot_share: float = 0.7,
        min_regular_share: float = 0.7,
        max_gap_weeks: int = 4,
    ) -> None:
        self.window_days = window_days
        self.min_occurrences = min_occurrences
        self.min_slot_share = min_slot_share
        self.min_regular_share = min_regular_share
        self.max_gap_weeks = max_gap_weeks

    def _detect(self, frames: Frames, context: DetectionContext) -> list[Candidate]:
        now = fr.as_of(context)
        raw = loaded = frames[RecordKind.APPOINTMENT]
        window = pd.Timedelta(days=self.window_days)
        started = fr.as_datetimes(raw["start_at"])
        raw = fr.in_window(raw, started, now - window, now, self.reads(RecordKind.APPOINTMENT))
        raw = one_per_booking(raw)  # a booking tool's calendar copy is not a second booking
        start = fr.as_datetimes(raw["start_at"])
        one_by_one = (
            fr.is_manual(raw["origin"])
            & ds.per_distinct_test(raw["series_id"], _blank, True)
            & ~ds.lowered_in(raw["status"], _CANCELLED)
            & (start <= now)
            & (start > now - pd.Timedelta(days=self.window_days))
        )
        # Who each booking is for is text work: only on the bookings made one by one, and
        # written out only for the attendees booked often enough to be reported.
        raw = raw[one_by_one.to_numpy()]
        who = subject_codes(raw, loaded)
        counts = np.bincount(who[who >= 0])
        raw = raw[look_up(counts, who, 0) >= max(self.min_occurrences, 1)]
        local = fr.local_times(raw["start_at"], context.timezone)
        frame = pd.DataFrame(
            {
                "key": fr.subject_key(raw["attendee_email"], raw["attendee_name"], "email"),
                "email": fr.as_text(raw["attendee_email"]),
                "name": fr.as_text(raw["attendee_name"]),
                "source_id": fr.as_text(raw["source_id"]),
                "source": fr.as_text(raw["source"]),
                "start": fr.as_datetimes(raw["start_at"]),
                "day": local.dt.normalize(),
                "slot": local.dt.day_of_week * 1440 + local.dt.hour * 60 + local.dt.minute,
            },
            copy=False,
        )
        frame = sort_keyed(frame, "day")
        if frame.empty:
            return []
        gaps = fr.to_days(frame.groupby("key")["day"].diff())
        weeks = (gaps / 7).round()
        frame["regular"] = ((gaps - weeks * 7).abs() <= 1) & weeks.between(1, self.max_gap_weeks)
        frame["has_gap"] = gaps.notna()
        modal = (
            frame.groupby(["key", "slot"])
            .size()
            .rename("n")
            .reset_index()
            .sort_values(["key", "n", "slot"], ascending=[True, False, True])
            .drop_duplicates("key")
            .set_index("key")
        )
        stats = frame.groupby("key").agg(
            occurrences=("slot", "size"),
            gaps=("has_gap", "sum"),
            regular=("regular", "sum"),
            last=("day", "max"),
        )
        stats["slot"] = modal["slot"]
        stats["slot_share"] = modal["n"] / stats["occurrences"]
        stats["regular_share"] = stats["regular"] / stats["gaps"].where(stats["gaps"] > 0)
        idle = fr.to_days(now.normalize() - stats["last"])
        hits = stats[
            (stats["occurrences"] >= self.min_occurrences)
            & (stats["slot_share"] >= self.min_slot_share)
            & (stats["regular_share"].fillna(0.0) >= self.min_regular_share)
            & (idle <= 7 * self.max_gap_weeks + 1)
        ]
        return [
            self._candidate(frame[frame["key"] == key], row, gaps, context)
            for key, row in hits.sort_index().iterrows()
        ]

    def _candidate(
        self,
        rows: pd.DataFrame,
        stats: pd.Series[float],
        gaps: pd.Series[float],
        context: DetectionContext,
    ) -> Candidate:
        """Build the finding for one attendee."""
        slot = int(stats["slot"])
        weekday, minute = divmod(slot, 1440)
        when = f"{_WEEKDAYS[weekday]}s at {minute // 60:02d}:{minute % 60:02d}"
        count = len(rows)
        first, last = rows["start"].min(), rows["start"].max()
        months = fr.months_covered(first, last)
        median_gap = float(np.nanmedian(gaps[rows.index])) if count > 1 else 0.0
        email = fr.last_text(fr.normalise_email(rows["email"]))
        label = fr.last_text(rows["name"]) or email or "Unknown attendee"
        share, regular = float(stats["slot_share"]), float(stats["regular_share"])
        confidence = 0.4 * fr.support_score(count, 4.0) + 0.3 * share + 0.3 * regular
        return Candidate(
            kind=self.kind,
            category=self.category,
            subject=Subject("attendee", email, label),
            title=f"{label} is booked by hand one session at a time ({count} times, {when})",
            summary=(
                f"{count} appointments with {label} between {first:%d %b %Y} and "
                f"{last:%d %b %Y} were booked one by one, not as a series or through a booking "
                f"link; {share:.0%} were on {when} and {regular:.0%} of the gaps were whole weeks "
                f"(median {median_gap:.0f} days)."
            ),
            suggested_automation=(
                f"Book {label} as a recurring series on {when}, or send them your booking link "
                "so they pick their own slots."
            ),
            record_ids=fr.sorted_strings(rows["source_id"]),
            sources=fr.sorted_strings(rows["source"]),
            period_start=fr.to_date(first),
            period_end=fr.to_date(last),
            hours_saved_per_month=round(
                count / months * context.minutes("book_appointment") / 60, 4
            ),
            cash_impact_per_month=0.0,
            confidence=fr.clamp01(confidence),
            metrics={
                "occurrences": float(count),
                "slot_share": round(share, 4),
                "regular_share": round(regular, 4),
                "median_gap_days": round(median_gap, 2),
                "slot_weekday": float(weekday),
                "slot_minute": float(minute),
                "bookings_per_month": round(count / months, 4),
            },
        )


def _blank(text: str) -> bool:
    """Whether a value says nothing (empty or spaces): no series, for ``series_id``."""
    return not text.strip()
