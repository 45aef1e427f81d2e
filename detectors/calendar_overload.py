"""Calendars booked beyond their working hours, with internal meetings crowding out client work."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind
from detectors import _distinct as ds
from detectors import _frames as fr
from detectors._attendees import unnamed
from detectors._coverage import Fact
from detectors._mirrors import one_per_booking
from detectors.base import Candidate, Category, DetectionContext, Detector, Frames, Subject
from detectors.registry import register

_CANCELLED = frozenset({"cancelled"})


@register
class CalendarOverloadDetector(Detector):
    """Finds calendars booked close to or beyond their capacity week after week.

    The last ``window_weeks`` complete weeks (Monday to Sunday) before ``context.as_of`` are
    considered. Each appointment that is not cancelled is placed on its local day (context
    timezone) and clipped to that day's working hours (context calendar; non-working days
    and holidays give no capacity and are not counted). A week's capacity is its working
    days * working hours per day. A week is overloaded when its booked hours reach
    ``max_utilisation`` of capacity. A calendar is reported (subject ``calendar``, or the
    business when the calendar is unknown) when at least ``min_overloaded_share`` of the
    weeks are overloaded. Meetings without an outside attendee count as internal (admin)
    time; their share is reported because they are what automation can take away.

    Hours saved: ``automatable_share`` of the internal meeting hours per month in the
    overloaded weeks above the ``max_utilisation`` line. No cash is claimed.

    Metrics: ``weeks``, ``overloaded_weeks``, ``utilisation`` (median over the weeks),
    ``peak_utilisation``, ``booked_hours``, ``internal_share`` and ``overflow_hours``.

    Args:
        window_weeks: Number of complete weeks looked at.
        max_utilisation: Share of working hours booked that makes a week overloaded.
        min_overloaded_share: Share of the weeks that must be overloaded (0-1).
        min_appointments: Fewest appointments on a calendar in the window for a finding.
        automatable_share: Share of the internal meeting hours above the line that
            automation (written updates instead of status meetings, booking rules) frees.
    """

    kind: ClassVar[str] = "calendar_overload"
    category: ClassVar[Category] = "bottleneck"
    required_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = {
        RecordKind.APPOINTMENT: (
            "source_id",
            "source",
            "start_at",
            "end_at",
            "status",
            "calendar",
            "attendee_email",
            "attendee_name",
            "origin",
            "mirror_id",
        ),
    }

    facts: ClassVar[tuple[Fact, ...]] = ()
    checks: ClassVar[str] = "calendar load"

    def __init__(
        self,
        *,
        window_weeks: int = 8,
        max_utilisation: float = 0.9,
        min_overloaded_share: float = 0.5,
        min_appointments: int = 20,
        automatable_share: float = 0.25,
    ) -> None:
        self.window_weeks = window_weeks
        self.max_utilisation = max_utilisation
        self.min_overloaded_share = min_overloaded_share
        self.min_appointments = min_appointments
        self.automatable_share = automatable_share

    def _detect(self, frames: Frames, context: DetectionContext) -> list[Candidate]:
        raw = frames[RecordKind.APPOINTMENT]
        cal = context.calendar
        tomorrow = fr.as_of(context).normalize() + pd.Timedelta(days=1)
        last_monday = tomorrow - pd.Timedelta(days=tomorrow.weekday())
        first_monday = last_monday - pd.Timedelta(weeks=max(1, self.window_weeks))
        # Cut to the weeks looked at (with a day's margin for time zones) before any work.
        margin = pd.Timedelta(days=2)
        utc_start = fr.as_datetimes(raw["start_at"])
        raw = fr.in_window(
            raw,
            utc_start,
            first_monday - margin,
            last_monday + margin,
            self.reads(RecordKind.APPOINTMENT),
        )
        raw = one_per_booking(raw)  # a booking and its calendar copy hold one slot
        start = fr.local_times(raw["start_at"], context.timezone)
        end = fr.local_times(raw["end_at"], context.timezone)
        day = start.dt.normalize()
        open_at = day + pd.Timedelta(hours=cal.start.hour, minutes=cal.start.minute)
        close_at = day + pd.Timedelta(hours=cal.end.hour, minutes=cal.end.minute)
        booked = fr.to_days(end.clip(upper=close_at) - start.clip(lower=open_at)) * 24
        hours = booked.clip(lower=0.0).fillna(0.0)
        keep = (
            fr.is_busday(day, cal)
            & ~ds.lowered_in(raw["status"], _CANCELLED)
            & (day >= first_monday)
            & (day < last_monday)
            & (hours > 0)
        ).to_numpy()
        if not keep.any():
            return []
        # Text is read, and attendees are asked for, on the appointments counted alone.
        kept, day = raw[keep], day[keep]
        frame = pd.DataFrame(
            {
                "source_id": fr.as_text(kept["source_id"]),
                "source": fr.as_text(kept["source"]),
                "calendar": fr.as_text(kept["calendar"]).fillna(""),
                "start": start[keep],
                "week": day - pd.to_timedelta(day.dt.day_of_week, unit="D"),
                "hours": hours[keep],
                "internal": unnamed(kept),
            },
            copy=False,
        )
        weeks = pd.date_range(first_monday, last_monday - pd.Timedelta(days=1), freq="W-MON")
        mondays = weeks.to_numpy(dtype="datetime64[D]")
        holidays = np.array(cal.holidays, dtype="datetime64[D]")
        workdays = np.busday_count(mondays, mondays + 7, weekmask=cal.weekmask, holidays=holidays)
        capacity = pd.Series(workdays * cal.hours_per_day, index=weeks)
        capacity = capacity[capacity > 0]
        # Each row's calendar coded once: a calendar's rows are those of its code.
        codes, calendars = pd.factorize(frame["calendar"])
        counts = np.bincount(codes, minlength=len(calendars))
        candidates = []
        for calendar, code in sorted(
            (str(name), code)
            for code, name in enumerate(calendars)
            if counts[code] >= self.min_appointments
        ):
            rows = frame[codes == code]
            weekly = rows.groupby("week")["hours"].sum().reindex(capacity.index, fill_value=0.0)
            utilisation = weekly / capacity
            overloaded = utilisation >= self.max_utilisation
            if not len(capacity) or overloaded.mean() < self.min_overloaded_share:
                continue
            candidates.append(
                self._candidate(rows, weekly, capacity, utilisation, calendar, context)
            )
        return candidates

    def _candidate(
        self,
        rows: pd.DataFrame,
        weekly: pd.Series[float],
        capacity: pd.Series[float],
        utilisation: pd.Series[float],
        calendar: str,
        context: DetectionContext,
    ) -> Candidate:
        """Build the finding for one calendar."""
        overloaded = utilisation >= self.max_utilisation
        busy = rows[rows["week"].isin(utilisation.index[overloaded])]
        internal_hours = busy.loc[busy["internal"], "hours"].groupby(busy["week"]).sum()
        overflow = (weekly - self.max_utilisation * capacity).clip(lower=0.0)[overloaded]
        # Only internal time can be automated away, no more than the overflow itself, and of
        # that only the share status meetings replaced by written updates plausibly free.
        saved = self.automatable_share * float(
            np.minimum(internal_hours.reindex(overflow.index, fill_value=0.0), overflow).sum()
        )
        months = len(capacity) * 7 / fr.DAYS_PER_MONTH
        internal_share = float(rows.loc[rows["internal"], "hours"].sum() / rows["hours"].sum())
        median = float(utilisation.median())
        share = float(overloaded.mean())
        subject = (
            Subject("calendar", calendar, calendar)
            if calendar
            else Subject("business", None, context.business)
        )
        where = calendar or context.business
        last_day = utilisation.index.max() + pd.Timedelta(days=6)
        peak = float(utilisation.max())
        confidence = (
            0.4 * share
            + 0.3 * min(1.0, median / self.max_utilisation)
            + 0.3 * (fr.support_score(len(capacity), 4.0))
        )
        return Candidate(
            kind=self.kind,
            category=self.category,
            subject=subject,
            title=(
                f"{where} is booked {median:.0%} of working hours "
                f"({int(overloaded.sum())} of {len(capacity)} weeks "
                f"over {self.max_utilisation:.0%})"
            ),
            summary=(
                f"Over the {len(capacity)} weeks to {last_day:%d %b %Y}, {where} had a median "
                f"of {float(weekly.median()):.1f} booked hours a week against "
                f"{float(capacity.median()):.1f} working hours (peak {peak:.0%}). "
                f"Internal meetings take {internal_share:.0%} of the booked time."
            ),
            suggested_automation=(
                "Protect client time: set working-hours limits and buffers in your booking "
                "tool, replace recurring status meetings with an automated weekly summary, and "
                "let clients book only into free slots."
            ),
            record_ids=fr.sorted_strings(busy["source_id"]),
            sources=fr.sorted_strings(busy["source"]),
            period_start=fr.to_date(busy["start"].min()),
            period_end=fr.to_date(busy["start"].max()),
            hours_saved_per_month=round(saved / months, 4),
            cash_impact_per_month=0.0,
            confidence=fr.clamp01(confidence),
            metrics={
                "weeks": float(len(capacity)),
                "overloaded_weeks": float(overloaded.sum()),
                "utilisation": round(median, 4),
                "peak_utilisation": round(float(utilisation.max()), 4),
                "booked_hours": round(float(weekly.sum()), 2),
                "internal_share": round(internal_share, 4),
                "overflow_hours": round(float(overflow.sum()), 2),
            },
        )
