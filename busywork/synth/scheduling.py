"""Calendar mechanics shared by every appointment source, internal meetings and the frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from busywork.synth.clock import CLOSE_MINUTE, OPEN_MINUTE, Window, weekday
from busywork.synth.columns import Chunks, IntArray, ObjArray, TimeArray, filled, objects
from busywork.synth.people import Business
from busywork.synth.writer import make_frame

APPOINTMENT_DRAFT = (
    "title",
    "start",
    "end",
    "status",
    "email",
    "name",
    "series",
    "calendar",
    "cancelled",
    "origin",
    "created",
    "updated",
)
#: Ad-hoc internal meetings per working day at scale 1.
INTERNAL_PER_DAY = 3.0


@dataclass(frozen=True)
class Slots:
    """Appointment times and outcomes for a batch of days."""

    start: TimeArray
    end: TimeArray
    status: ObjArray
    cancelled: TimeArray
    created: TimeArray
    updated: TimeArray


def slots(
    rng: np.random.Generator,
    window: Window,
    days: TimeArray,
    minutes: IntArray,
    *,
    cancel: float = 0.07,
    no_show: float = 0.04,
    local_start: IntArray | None = None,
) -> Slots:
    """Place each appointment in working hours on its day and decide how it went.

    Starts fall on the half hour between 09:00 and the latest start that still ends by 17:30.
    Appointments in the window's last week are sometimes still tentative.
    """
    count = len(days)
    if local_start is None:
        choices = (CLOSE_MINUTE - OPEN_MINUTE - minutes) // 30 + 1
        local_start = OPEN_MINUTE + 30 * (rng.random(count) * choices).astype(np.int64)
    start = window.local_to_utc(days, local_start)
    end = start + minutes * 60
    roll = rng.random(count)
    status = filled(count, "confirmed")
    status[roll < cancel + no_show] = "no_show"
    status[roll < cancel] = "cancelled"
    late = days >= window.last_day - np.timedelta64(7, "D")
    status[late & (status == "confirmed") & (rng.random(count) < 0.4)] = "tentative"
    booked = start - rng.integers(3 * 86400, 30 * 86400, size=count)
    created = np.minimum(booked, window.local_to_utc(days, np.full(count, OPEN_MINUTE)) - 3600)
    cancelled_at = start - rng.integers(2 * 3600, 48 * 3600, size=count)
    is_cancelled = status == "cancelled"
    cancelled = np.where(is_cancelled, cancelled_at, np.datetime64("NaT", "s"))
    updated = np.where(is_cancelled, cancelled_at, created)
    updated = np.where(status == "no_show", end + 3600, updated)
    return Slots(start, end, status, cancelled, created, updated)


def add_slots(
    appointments: Chunks,
    booked: Slots,
    *,
    title: ObjArray,
    email: ObjArray,
    name: ObjArray,
    calendar: ObjArray,
    origin: str | ObjArray,
    series: ObjArray | None = None,
) -> range:
    """Append a batch of appointments; returns their draft rows."""
    count = len(booked.start)
    return appointments.add(
        title=title,
        start=booked.start,
        end=booked.end,
        status=booked.status,
        email=email,
        name=name,
        series=series if series is not None else filled(count, None),
        calendar=calendar,
        cancelled=booked.cancelled,
        origin=origin if isinstance(origin, np.ndarray) else filled(count, origin),
        created=booked.created,
        updated=booked.updated,
    )


def weekly_days(window: Window, day_of_week: int) -> TimeArray:
    """Every ``day_of_week`` (Monday = 0) in the window."""
    days = np.arange(window.first_day, window.last_day + 1, dtype="datetime64[D]")
    picked: TimeArray = days[weekday(days) == day_of_week]
    return picked


def one_to_ones(
    rng: np.random.Generator, appointments: Chunks, window: Window, business: Business, staff: int
) -> range:
    """The owner's weekly 1:1 with a staff member: many appointments, never invoiced."""
    days = weekly_days(window, int(rng.integers(5)))
    count = len(days)
    local = np.full(count, OPEN_MINUTE + 30 * int(rng.integers(0, 14)), dtype=np.int64)
    booked = slots(
        rng, window, days, np.full(count, 30), cancel=0.1, no_show=0.0, local_start=local
    )
    person = business.staff_names[staff]
    owner = business.staff_names[0].split()[0]
    return add_slots(
        appointments,
        booked,
        title=filled(count, f"1:1 {person.split()[0]} / {owner}"),
        email=filled(count, business.staff_emails[staff]),
        name=filled(count, person),
        calendar=filled(count, business.staff_emails[0]),
        origin="manual",
        series=filled(count, f"SER-{staff:03d}"),
    )


def internal_meetings(
    rng: np.random.Generator,
    appointments: Chunks,
    window: Window,
    business: Business,
    scale: float,
) -> None:
    """A weekly team meeting plus ad-hoc internal meetings, none with an attendee."""
    days = weekly_days(window, 0)
    count = len(days)
    team = slots(
        rng,
        window,
        days,
        np.full(count, 60),
        cancel=0.05,
        no_show=0.0,
        local_start=np.full(count, OPEN_MINUTE + 30, dtype=np.int64),
    )
    add_slots(
        appointments,
        team,
        title=filled(count, "Team meeting"),
        email=filled(count, None),
        name=filled(count, None),
        calendar=filled(count, f"team@{business.domain}"),
        origin="manual",
        series=filled(count, "SER-TEAM"),
    )
    workdays = window.working_days()
    per_day = rng.poisson(INTERNAL_PER_DAY * scale, size=len(workdays))
    days = np.repeat(workdays, per_day)
    count = len(days)
    minutes = rng.choice(np.array([30, 45, 60], dtype=np.int64), size=count)
    adhoc = slots(rng, window, days, minutes, cancel=0.08, no_show=0.0)
    titles = objects(list(business.profile.internal_titles))
    staff = objects(list(business.staff_emails))
    add_slots(
        appointments,
        adhoc,
        title=titles[rng.integers(len(titles), size=count)],
        email=filled(count, None),
        name=filled(count, None),
        calendar=staff[rng.integers(len(staff), size=count)],
        origin="manual",
    )


def assemble(appointments: Chunks) -> tuple[pd.DataFrame, IntArray, ObjArray]:
    """The appointments frame in start order, the final row of each draft, and the ids."""
    data = appointments.build()
    count = len(data["start"])
    order = np.lexsort((np.arange(count), data["start"]))
    rank = np.empty(count, dtype=np.int64)
    rank[order] = np.arange(count)
    data = {name: column[order] for name, column in data.items()}
    ids = objects([f"APT-{number:05d}" for number in range(1, count + 1)])
    frame = make_frame(
        "appointments",
        {
            "source_id": ids,
            "origin": data["origin"],
            "created_at": data["created"],
            "updated_at": data["updated"],
            "title": data["title"],
            "start_at": data["start"],
            "end_at": data["end"],
            "status": data["status"],
            "attendee_email": data["email"],
            "attendee_name": data["name"],
            "series_id": data["series"],
            "calendar": data["calendar"],
            "cancelled_at": data["cancelled"],
            "cancelled_by": cancellers(data["status"], data["email"], data["name"]),
        },
    )
    return frame, rank, ids


def cancellers(status: ObjArray, email: ObjArray, name: ObjArray) -> ObjArray:
    """Who cancelled: the client when there is one, the host for internal meetings."""
    client = pd.notna(email) | pd.notna(name)
    who = filled(len(status), None)
    cancelled = status == "cancelled"
    who[cancelled & client] = "invitee"
    who[cancelled & ~client] = "host"
    return who


def spaced_days(
    rng: np.random.Generator, window: Window, count: int, gap: int, margin: int
) -> TimeArray:
    """``count`` working days at least ``gap - 2`` days apart, the last ``margin`` days before end.

    Weekend picks roll forward to Monday, which is why the guaranteed gap is two days short.
    """
    span = (window.end - window.start).days - margin
    count = min(count, span // gap + 1)
    slack = span - gap * (count - 1)
    offsets = np.sort(rng.integers(0, slack + 1, size=count)) + gap * np.arange(count)
    days = window.first_day + offsets.astype("timedelta64[D]")
    return np.busday_offset(days, 0, roll="forward", weekmask="1111100")


def lag_days(rng: np.random.Generator, days: TimeArray, low: int, high: int) -> TimeArray:
    """A working day ``low``-``high`` calendar days after each day (5 of every 7 days qualify)."""
    out = np.empty(len(days), dtype="datetime64[D]")
    for row, day in enumerate(days):
        options = [day + np.timedelta64(k, "D") for k in range(low, high + 1)]
        options = [option for option in options if np.is_busday(option)]
        out[row] = options[int(rng.integers(len(options)))]
    return out
