"""Clients who do not turn up or cancel at the last minute, often enough to cost real time."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind
from detectors import _frames as fr
from detectors._coverage import Fact
from detectors._facts import ATTENDEES
from detectors._misses import Misses, client_appointments
from detectors.base import Candidate, Category, DetectionContext, Detector, Frames, Subject
from detectors.registry import register


@register
class NoShowRemindersDetector(Detector):
    """Finds calendars with a high rate of no-shows and late cancellations.

    Appointments with an outside attendee (an e-mail or a name; not a colleague on the
    business's own e-mail domain, :mod:`detectors._colleagues`) that started in the trailing
    ``window_days`` are considered, whatever their origin: no origin proves that reminders
    go out (a booking link may send them or not; Calendly's reminders are an optional
    workflow), and a client who misses a booked slot costs the same time either way.
    Appointments the host cancelled (``cancelled_by`` = ``host``) are left out: the client
    never had the chance to miss them. A *miss* is a ``no_show`` or a cancellation less than
    ``late_cancel_hours`` before the start by the invitee. A late cancellation whose source
    does not say who called it off (``cancelled_by`` empty: a Google event the organiser's
    side cancelled, a CSV without the column) is not held against the client: it may as well
    have been the host's, so it stays in the count of appointments, is reported as
    ``unattributed_late_cancellations`` and is never a miss. Each calendar with at least
    ``min_appointments`` appointments is reported (subject ``calendar``; the business when
    the calendar is unknown) when its miss rate is at least ``min_miss_rate`` with 90%
    confidence: the lower end of the one-sided 90% Wilson score interval must reach it, so a
    handful of misses on a quiet calendar is not a finding.

    Each attendee (normalised e-mail, else name) with at least ``min_attendee_appointments``
    appointments and at least two misses is reported too (subject ``attendee``) when they
    miss at least ``min_attendee_miss_rate`` of them and stand out: the lower end of the
    one-sided 95% Wilson interval of their miss rate is at least ``attendee_lift`` times the
    miss rate of everyone else's appointments. So one client who misses a quarter of their
    sessions is named, while on a calendar where everyone misses as often nobody is singled
    out (the calendar finding covers it). A booking and its calendar copy count once.

    Hours saved: misses per month * the ``book_appointment`` minutes to rebook. Cash impact:
    the working hours lost per month (booked length of the missed appointments) at
    ``context.admin_hourly_cost``, a floor on the revenue a filled slot would have earned.

    Metrics: ``appointments``, ``no_shows``, ``late_cancellations``,
    ``unattributed_late_cancellations``, ``miss_rate``,
    ``miss_rate_lower`` (the Wilson bound) and ``hours_lost_per_month``; attendee findings
    add ``others_miss_rate``.

    Args:
        window_days: Length of the trailing window, in days, ending at ``context.as_of``.
        min_appointments: Fewest appointments on a calendar for a finding.
        min_miss_rate: Smallest share of appointments missed (0-1), at 90% confidence.
        late_cancel_hours: A cancellation closer than this to the start counts as a miss.
        min_attendee_appointments: Fewest appointments of one attendee for a finding.
        min_attendee_miss_rate: Smallest share of an attendee's appointments missed (0-1).
        attendee_lift: How many times everyone else's miss rate an attendee's (95% lower
            bound) must reach.
    """

    kind: ClassVar[str] = "no_show_reminders"
    category: ClassVar[Category] = "repetitive_task"
    required_columns: ClassVar[dict[RecordKind, tuple[str, ...]]] = {
        RecordKind.APPOINTMENT: (
            "source_id",
            "source",
            "start_at",
            "end_at",
            "status",
            "attendee_email",
            "attendee_name",
            "calendar",
            "cancelled_at",
            "cancelled_by",
            "origin",
            "mirror_id",
        ),
    }

    facts: ClassVar[tuple[Fact, ...]] = (ATTENDEES,)
    checks: ClassVar[str] = "no-shows"

    def __init__(
        self,
        *,
        window_days: int = 180,
        min_appointments: int = 30,
        min_miss_rate: float = 0.15,
        late_cancel_hours: float = 24.0,
        min_attendee_appointments: int = 8,
        min_attendee_miss_rate: float = 0.25,
        attendee_lift: float = 1.5,
    ) -> None:
        self.window_days = window_days
        self.min_appointments = min_appointments
        self.min_miss_rate = min_miss_rate
        self.late_cancel_hours = late_cancel_hours
        self.min_attendee_appointments = min_attendee_appointments
        self.min_attendee_miss_rate = min_attendee_miss_rate
        self.attendee_lift = attendee_lift

    def _detect(self, frames: Frames, context: DetectionContext) -> list[Candidate]:
        window = pd.Timedelta(days=self.window_days)
        misses = client_appointments(
            frames[RecordKind.APPOINTMENT], fr.as_of(context), window, self.late_cancel_hours
        )
        frame = misses.frame
        if frame.empty:
            return []
        stats = frame.groupby("calendar").agg(
            appointments=("miss", "size"),
            misses=("miss", "sum"),
            no_shows=("no_show", "sum"),
            late=("late_cancel", "sum"),
            unattributed=("unattributed", "sum"),
        )
        stats["rate"] = stats["misses"] / stats["appointments"]
        stats["lower"] = wilson_lower(stats["rate"], stats["appointments"])
        hits = stats[
            (stats["appointments"] >= self.min_appointments)
            & (stats["lower"] >= self.min_miss_rate)
        ]
        calendars = frame["calendar"].to_numpy()
        found = [
            self._candidate(misses.rows(calendars == calendar), row, str(calendar), context)
            for calendar, row in hits.sort_index().iterrows()
        ]
        return found + self._attendees(misses, context)

    def _attendees(self, misses: Misses, context: DetectionContext) -> list[Candidate]:
        """Findings for attendees who miss far more often than everyone else."""
        # Grouped by the keys' codes (equal exactly where the keys are); only the attendees
        # found are named, and ordered by their keys.
        frame = misses.frame
        stats = frame.groupby("who_code").agg(
            appointments=("miss", "size"),
            misses=("miss", "sum"),
            no_shows=("no_show", "sum"),
            late=("late_cancel", "sum"),
        )
        stats = stats[stats.index >= 0]  # code -1: no attendee
        total, missed = len(frame), int(frame["miss"].sum())
        others = total - stats["appointments"]
        stats["others"] = (missed - stats["misses"]) / others.where(others > 0)
        stats["rate"] = stats["misses"] / stats["appointments"]
        stats["lower"] = wilson_lower(stats["rate"], stats["appointments"], _Z_95)
        hits = stats[
            (stats["appointments"] >= self.min_attendee_appointments)
            & (stats["misses"] >= 2)
            & (stats["rate"] >= self.min_attendee_miss_rate)
            & (stats["lower"] >= self.attendee_lift * stats["others"].fillna(0.0))
        ]
        keys = pd.Series(misses.who.keys_of(hits.index.to_numpy()), index=hits.index)
        codes = frame["who_code"].to_numpy()
        return [
            self._attendee_candidate(misses.rows(codes == code), row, context)
            for code, row in hits.loc[keys.sort_values().index].iterrows()
        ]

    def _attendee_candidate(
        self, rows: pd.DataFrame, stats: pd.Series[float], context: DetectionContext
    ) -> Candidate:
        """Build the finding for one attendee."""
        missed = rows[rows["miss"]]
        months = fr.months_covered(rows["start"].min(), fr.as_of(context))
        hours_lost = float(missed["hours"].sum()) / months
        rate, others = float(stats["rate"]), float(stats["others"])
        email = fr.last_text(rows["email"])
        label = fr.last_text(rows["name"]) or email or "Unknown attendee"
        name_key = fr.last_text(fr.normalise_name(rows["name"]))
        alt_ids = tuple(
            f"{scheme}:{value}"
            for scheme, value in (("email", email), ("name", name_key))
            if value is not None
        )
        subject = Subject("attendee", email, label, alt_ids=alt_ids)
        count, misses = int(stats["appointments"]), int(stats["misses"])
        severity = min(1.0, rate / (2 * self.min_attendee_miss_rate or 1.0))
        confidence = 0.5 * fr.support_score(float(count), 12.0) + 0.5 * severity
        return Candidate(
            kind=self.kind,
            category=self.category,
            subject=subject,
            title=f"{label} missed or cancelled late {misses} of {count} sessions ({rate:.0%})",
            summary=(
                f"Since {rows['start'].min():%d %b %Y}, {label} was a no-show "
                f"{int(stats['no_shows'])} times and cancelled less than "
                f"{self.late_cancel_hours:.0f} hours ahead {int(stats['late'])} times, out of "
                f"{count} sessions ({rate:.0%}); everyone else misses {others:.0%}. About "
                f"{hours_lost:.1f} booked hours a month are lost."
            ),
            suggested_automation=(
                f"Send {label} a reminder 48 and 2 hours before each session with a one-click "
                "confirm or reschedule link, and ask for a deposit or card on file."
            ),
            record_ids=fr.sorted_strings(missed["source_id"]),
            sources=fr.sorted_strings(missed["source"]),
            period_start=fr.to_date(missed["start"].min()),
            period_end=fr.to_date(missed["start"].max()),
            hours_saved_per_month=round(
                len(missed) / months * context.minutes("book_appointment") / 60, 4
            ),
            cash_impact_per_month=round(hours_lost * context.admin_hourly_cost, 2),
            confidence=fr.clamp01(confidence),
            metrics={
                "appointments": float(count),
                "no_shows": float(stats["no_shows"]),
                "late_cancellations": float(stats["late"]),
                "miss_rate": round(rate, 4),
                "miss_rate_lower": round(float(stats["lower"]), 4),
                "others_miss_rate": round(others, 4),
                "hours_lost_per_month": round(hours_lost, 2),
            },
        )

    def _candidate(
        self, rows: pd.DataFrame, stats: pd.Series[float], calendar: str, context: DetectionContext
    ) -> Candidate:
        """Build the finding for one calendar."""
        missed = rows[rows["miss"]]
        months = fr.months_covered(rows["start"].min(), fr.as_of(context))
        per_month = len(missed) / months
        hours_lost = float(missed["hours"].sum()) / months
        rate = float(stats["rate"])
        subject = (
            Subject("calendar", calendar, calendar)
            if calendar
            else Subject("business", None, context.business)
        )
        where = f"the {calendar} calendar" if calendar else context.business
        severity = min(1.0, rate / (2 * self.min_miss_rate or 1.0))
        confidence = 0.5 * fr.support_score(float(stats["appointments"]), 40.0) + 0.5 * severity
        return Candidate(
            kind=self.kind,
            category=self.category,
            subject=subject,
            title=f"{rate:.0%} of appointments on {where} are missed or cancelled late",
            summary=(
                f"Of {int(stats['appointments'])} appointments on {where} since "
                f"{rows['start'].min():%d %b %Y}, {int(stats['no_shows'])} were no-shows and "
                f"{int(stats['late'])} were cancelled less than {self.late_cancel_hours:.0f} "
                f"hours ahead: about {hours_lost:.1f} booked hours lost a month."
                + _unattributed(int(stats["unattributed"]), self.late_cancel_hours)
            ),
            suggested_automation=(
                "Send automatic reminders 48 and 2 hours before each appointment (by e-mail "
                "and SMS) with a one-click confirm or reschedule link, and take a deposit or "
                "card on file for late cancellations."
            ),
            record_ids=fr.sorted_strings(missed["source_id"]),
            sources=fr.sorted_strings(missed["source"]),
            period_start=fr.to_date(missed["start"].min()),
            period_end=fr.to_date(missed["start"].max()),
            hours_saved_per_month=round(per_month * context.minutes("book_appointment") / 60, 4),
            cash_impact_per_month=round(hours_lost * context.admin_hourly_cost, 2),
            confidence=fr.clamp01(confidence),
            metrics={
                "appointments": float(stats["appointments"]),
                "no_shows": float(stats["no_shows"]),
                "late_cancellations": float(stats["late"]),
                "unattributed_late_cancellations": float(stats["unattributed"]),
                "miss_rate": round(rate, 4),
                "miss_rate_lower": round(float(stats["lower"]), 4),
                "hours_lost_per_month": round(hours_lost, 2),
            },
        )


def _unattributed(count: int, hours: float) -> str:
    """The summary's note on late cancellations nobody can be held to (empty when none)."""
    if count == 0:
        return ""
    return (
        f" Cancelled less than {hours:.0f} hours ahead without the calendar saying by whom: "
        f"{fr.plural(count, 'more appointment')}, not counted as missed."
    )


#: z for a one-sided 90% bound.
_Z_90 = 1.2816
#: z for a one-sided 95% bound: stricter, since every attendee is one more test.
_Z_95 = 1.6449


def wilson_lower(
    rate: pd.Series[float], count: pd.Series[float], z: float = _Z_90
) -> pd.Series[float]:
    """Lower end of the one-sided Wilson score interval of a proportion (90% by default)."""
    z2 = z**2
    centre = rate + z2 / (2 * count)
    spread = z * np.sqrt(rate * (1 - rate) / count + z2 / (4 * count**2))
    return (centre - spread) / (1 + z2 / count)
