"""Admin time per activity, measured from the records, and the findings' hours held within it.

A finding's "hours saved" is time spent on one activity: keying invoices, chasing late
payers, entering or approving bills, booking appointments, keying journals, reconciling
duplicates, sitting in internal meetings. The data shows how often each activity happens,
so it bounds what automating it can save: no finding may promise more hours than the
activity it comes from takes, and findings about the same activity add up to no more
than that activity either (:func:`non_overlapping_hours`).

Each activity is measured over the trailing :data:`WINDOW_DAYS` window (the baselines'
window) ending at ``as_of``, at the configured minutes per task. Pure functions, no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from alignment.effects import DAYS_PER_MONTH
from busywork.store.records import AUTOMATED_ORIGINS, RecordKind
from detectors._distinct import per_distinct_test
from detectors._documents import sales_invoices
from detectors._payments import UNKNOWN, payment_facts
from detectors.base import Candidate, DetectionContext

#: Trailing window every activity is measured over, in days (the baselines' window).
WINDOW_DAYS = 180
#: Payment terms assumed for an invoice without a due date (the detectors' default).
DEFAULT_TERMS_DAYS = 30
#: The activity whose time each detector kind's hours come from.
ACTIVITY_OF_KIND: Mapping[str, str] = {
    "recurring_invoice": "create_invoice",
    "appointment_to_invoice": "create_invoice",
    "invoice_lag": "create_invoice",
    "slow_collection": "chase_payment",
    "payment_reminders": "chase_payment",
    "recurring_bill": "enter_bill",
    "approval_backlog": "approve_bill",
    "duplicate_entry": "reconcile_duplicate",
    "manual_scheduling": "book_appointment",
    "no_show_reminders": "book_appointment",
    "month_end_crunch": "journal_entry",
    "recurring_journal_entry": "journal_entry",
    "calendar_overload": "internal_meetings",
}
#: What each activity is, in the owner's words.
ACTIVITY_LABELS: Mapping[str, str] = {
    "create_invoice": "keying invoices",
    "chase_payment": "chasing late payments",
    "enter_bill": "entering bills",
    "approve_bill": "approving bills",
    "reconcile_duplicate": "reconciling duplicates",
    "book_appointment": "booking appointments",
    "journal_entry": "keying journals",
    "internal_meetings": "internal meetings",
}
#: The columns the measures read, per record kind.
ADMIN_TIME_COLUMNS: Mapping[RecordKind, tuple[str, ...]] = {
    RecordKind.INVOICE: ("issued_on", "due_on", "paid_at", "total", "balance", "status"),
    RecordKind.PAYMENT: ("invoice_id", "paid_at", "amount"),
    RecordKind.BILL: ("issued_on",),
    RecordKind.APPOINTMENT: ("start_at", "end_at", "status", "attendee_email", "attendee_name"),
    RecordKind.JOURNAL_ENTRY: ("posted_on",),
}
_AUTOMATED = frozenset(origin.value for origin in AUTOMATED_ORIGINS)
_MONTHS = WINDOW_DAYS / DAYS_PER_MONTH

Frames = Mapping[RecordKind, pd.DataFrame]


def _naive(moment: datetime) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp


class Records:
    """One measurement's records: each kind's window is cut once, whatever reads it."""

    def __init__(self, frames: Frames, context: DetectionContext) -> None:
        """The ``frames`` measured as of ``context.as_of``."""
        self.frames, self.context = frames, context
        self._recent: dict[tuple[RecordKind, str], pd.DataFrame | None] = {}
        self._invoices: tuple[pd.DataFrame | None] | None = None

    def recent(self, kind: RecordKind, column: str) -> pd.DataFrame | None:
        """The rows of ``kind`` dated in the window; None when the data has no such records."""
        if (kind, column) not in self._recent:
            self._recent[kind, column] = _recent(self.frames, kind, column, self.context.as_of)
        return self._recent[kind, column]

    def invoices(self) -> pd.DataFrame | None:
        """The live sales invoices issued in the window."""
        if self._invoices is None:
            recent = self.recent(RecordKind.INVOICE, "issued_on")
            if recent is not None:
                recent = sales_invoices(recent)
                if "status" in recent.columns:
                    recent = recent[~recent["status"].isin(["void", "draft"])]
            self._invoices = (recent,)
        return self._invoices[0]


def _recent(frames: Frames, kind: RecordKind, column: str, as_of: datetime) -> pd.DataFrame | None:
    frame = frames.get(kind)
    if frame is None or frame.empty or column not in frame.columns:
        return None
    dates = pd.to_datetime(frame[column])
    end = _naive(as_of)
    return frame[(dates > end - pd.Timedelta(days=WINDOW_DAYS)) & (dates <= end)]


def _by_hand(frame: pd.DataFrame) -> int:
    """Rows whose origin is none of the automated ones (a missing origin is unknown)."""
    if "origin" not in frame.columns:
        return len(frame)
    # Once per distinct origin, a handful, not once per row.
    return int(per_distinct_test(frame["origin"], _not_automated, True).sum())


def _not_automated(origin: str) -> bool:
    return origin not in _AUTOMATED


def _per_month(count: float, minutes: float) -> float:
    return count * minutes / 60 / _MONTHS


Measure = Callable[[Records], float | None]


def _keyed(kind: RecordKind, column: str, task: str) -> Measure:
    def measure(records: Records) -> float | None:
        recent = records.recent(kind, column)
        return (
            None if recent is None else _per_month(_by_hand(recent), records.context.minutes(task))
        )

    return measure


def keying_invoices(records: Records) -> float | None:
    """Hand-made sales invoices issued in the window × minutes to create one."""
    recent = records.invoices()
    if recent is None:
        return None
    return _per_month(_by_hand(recent), records.context.minutes("create_invoice"))


def chasing_payments(records: Records) -> float | None:
    """Invoices issued in the window that fell past due (paid late or still unpaid) × a chase.

    Every such invoice needed at least one reminder; an invoice whose payment the data
    cannot tell is counted as not chased. Without a due date an invoice is due
    :data:`DEFAULT_TERMS_DAYS` after issue, as the collection detectors assume.
    """
    recent = records.invoices()
    if recent is None:
        return None
    paid_at = recent["paid_at"] if "paid_at" in recent.columns else pd.Series(pd.NaT, recent.index)
    known = pd.Series(True, index=recent.index)
    if {"source", "source_id"} <= set(recent.columns):
        facts = payment_facts(recent, records.frames.get(RecordKind.PAYMENT))
        paid_at = pd.Series(facts["paid_at"].to_numpy(), index=recent.index)
        known = pd.Series((facts["state"] != UNKNOWN).to_numpy(), index=recent.index)
    as_of = _naive(records.context.as_of)
    issued = pd.to_datetime(recent["issued_on"])
    given = (
        pd.to_datetime(recent["due_on"])
        if "due_on" in recent.columns
        else pd.Series(pd.NaT, index=recent.index, dtype="datetime64[ns]")
    )
    due = given.fillna(issued + pd.Timedelta(days=DEFAULT_TERMS_DAYS))
    paid = pd.to_datetime(paid_at)
    late = due.notna() & (due < as_of) & (paid.isna() | (paid > due))
    return _per_month(int((late & known).sum()), records.context.minutes("chase_payment"))


def approving_bills(records: Records) -> float | None:
    """Every bill dated in the window × minutes to approve one (approval is never imported)."""
    recent = records.recent(RecordKind.BILL, "issued_on")
    return (
        None if recent is None else _per_month(len(recent), records.context.minutes("approve_bill"))
    )


def reconciling_duplicates(records: Records) -> float | None:
    """Hand-keyed invoices and bills in the window × minutes to reconcile one.

    A duplicate is a document keyed twice by hand, so at most every hand-keyed document
    needs reconciling: a bound, not an estimate.
    """
    counts = [
        _by_hand(recent)
        for kind in (RecordKind.INVOICE, RecordKind.BILL)
        if (recent := records.recent(kind, "issued_on")) is not None
    ]
    if not counts:
        return None
    return _per_month(sum(counts), records.context.minutes("reconcile_duplicate"))


def internal_meetings(records: Records) -> float | None:
    """Hours a month of appointments in the window with no outside attendee."""
    recent = records.recent(RecordKind.APPOINTMENT, "start_at")
    if recent is None or not {"end_at", "attendee_email", "attendee_name"} <= set(recent.columns):
        return None
    if "status" in recent.columns:
        recent = recent[recent["status"] != "cancelled"]
    # Names are read only where the address is blank: most appointments have one.
    no_attendee = _blank(recent["attendee_email"]).to_numpy(copy=True)
    unaddressed = np.flatnonzero(no_attendee)
    no_attendee[unaddressed] = _blank(recent["attendee_name"].iloc[unaddressed]).to_numpy()
    length = pd.to_datetime(recent["end_at"]) - pd.to_datetime(recent["start_at"])
    hours = (length[no_attendee].dt.total_seconds() / 3600).clip(lower=0.0).fillna(0.0)
    return float(hours.sum()) / _MONTHS


def _blank(values: pd.Series) -> pd.Series:
    """Missing, or text of nothing but spaces (tested once per distinct value)."""
    return pd.Series(per_distinct_test(values, _spaces_only, True), index=values.index)


def _spaces_only(text: str) -> bool:
    return not text.strip()


#: Activities measured as an upper bound, not as time spent: every hand-keyed document
#: *could* be a duplicate, but only those the detector finds cost reconciling time.
BOUND_ONLY = frozenset({"reconcile_duplicate"})
#: How each activity is measured.
ACTIVITIES: Mapping[str, Measure] = {
    "create_invoice": keying_invoices,
    "chase_payment": chasing_payments,
    "enter_bill": _keyed(RecordKind.BILL, "issued_on", "enter_bill"),
    "approve_bill": approving_bills,
    "reconcile_duplicate": reconciling_duplicates,
    "book_appointment": _keyed(RecordKind.APPOINTMENT, "start_at", "book_appointment"),
    "journal_entry": _keyed(RecordKind.JOURNAL_ENTRY, "posted_on", "journal_entry"),
    "internal_meetings": internal_meetings,
}


def admin_time(frames: Frames, context: DetectionContext) -> dict[str, float]:
    """Hours a month each activity takes, for the activities the data can measure.

    The activities in :data:`BOUND_ONLY` are bounds; :func:`time_spent` leaves them out.
    """
    records = Records(frames, context)
    measured: dict[str, float] = {}
    for activity, measure in ACTIVITIES.items():
        hours = measure(records)
        if hours is not None:
            measured[activity] = round(hours, 4)
    return measured


def time_spent(measured: Mapping[str, float]) -> float:
    """The admin hours a month the measured activities take, bounds left out."""
    return sum(hours for activity, hours in measured.items() if activity not in BOUND_ONLY)


def activity_of(kind: str) -> str:
    """The activity a detector kind's hours come from (a kind not listed is its own).

    An unlisted kind's activity is never measured, so its hours are bounded to nothing;
    ``tests/alignment/test_admin_time.py`` makes every registered detector list one.
    """
    return ACTIVITY_OF_KIND.get(kind, kind)


def bound_hours(candidates: Iterable[Candidate], measured: Mapping[str, float]) -> list[Candidate]:
    """``candidates`` with hours no larger than the measured time of their activity.

    A finding whose activity the data cannot measure (no records of that kind) keeps
    nothing: hours the records cannot show are not promised. A bounded finding keeps what
    the detector said in ``metrics["hours_before_bound"]``.
    """
    return [_bounded(c, measured.get(activity_of(c.kind), 0.0)) for c in candidates]


def _bounded(candidate: Candidate, limit: float) -> Candidate:
    if candidate.hours_saved_per_month <= limit:
        return candidate
    return dataclasses.replace(
        candidate,
        hours_saved_per_month=round(limit, 4),
        metrics={
            **candidate.metrics,
            "hours_before_bound": round(candidate.hours_saved_per_month, 4),
        },
    )


def non_overlapping_hours(
    items: Sequence[tuple[str, float, frozenset[str]]], measured: Mapping[str, float] | None
) -> dict[str, float]:
    """Hours a month per activity that may be added up, from (kind, hours, record ids) items.

    Within an activity the largest finding counts first and one that cites a record an
    earlier one cited is left out (the business's slow collection and one late payer's
    invoices are the same chasing); the activity's total never exceeds its measured time
    (``measured`` None: nothing was measured, so nothing is capped).
    """
    seen: dict[str, set[str]] = {}
    totals: dict[str, float] = {}
    for kind, hours, records in sorted(items, key=lambda item: -item[1]):
        activity = activity_of(kind)
        cited = seen.setdefault(activity, set())
        if records & cited:
            continue
        cited |= records
        totals[activity] = totals.get(activity, 0.0) + hours
    if measured is None:
        return totals
    return {activity: min(total, measured.get(activity, 0.0)) for activity, total in totals.items()}
