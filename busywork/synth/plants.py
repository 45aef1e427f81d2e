"""Planting the detector catalogue's opportunities into generated frames, after the fact.

Each function takes a finished frame and returns a new one with one pattern added: records
copied, appended or re-timed. They draw from their own random generator, so the records
the first three kinds rest on never move.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from busywork.synth import clock, names
from busywork.synth.clock import CLOSE_MINUTE, OPEN_MINUTE, Window
from busywork.synth.columns import BoolArray, filled, objects

#: Meetings that fill an overloaded calendar: local start minute of each 90-minute block.
OVERLOAD_STARTS = (9 * 60, 10 * 60 + 30, 12 * 60, 13 * 60 + 30, 15 * 60)
#: Weeks of overload before the window's end (the detector looks at the last eight).
OVERLOAD_WEEKS = 10
#: Share of a no-show calendar's client sessions that are missed.
NO_SHOW_SHARE = 0.4
#: Fewest client sessions a no-show calendar has in its last six months.
NO_SHOW_MIN_SESSIONS = 60
#: Catch-up journals keyed in each month's first working days in a month-end crunch.
CATCH_UP_PER_MONTH = (10, 20)


def _end_stamp(window: Window) -> pd.Timestamp:
    return pd.Timestamp(window.end) + pd.Timedelta(seconds=86399)


def new_people(rng: np.random.Generator, count: int, taken: set[str]) -> list[str]:
    """``count`` new full names that are not in ``taken`` (which they are added to).

    A new client sharing a name with a customer would be matched to that customer's
    invoices, which is a different story from the one being planted.
    """
    people: list[str] = []
    surnames = names.CLIENT_SURNAMES
    while len(people) < count:
        first = names.FIRST_NAMES[int(rng.integers(len(names.FIRST_NAMES)))]
        last = surnames[int(rng.integers(len(surnames)))]
        person = f"{first} {last}"
        # A big business uses up the plain names: double-barrelled ones are still free.
        if person in taken:
            person = f"{first} {last}-{surnames[int(rng.integers(len(surnames)))]}"
        if person not in taken:
            taken.add(person)
            people.append(person)
    return people


def _next_ids(prefix: str, existing: int, count: int) -> list[str]:
    """Ids numbered on from a frame's ``existing`` rows (numbered 1 to ``existing``)."""
    return [f"{prefix}{n:05d}" for n in range(existing + 1, existing + count + 1)]


def duplicate_bills(
    rng: np.random.Generator,
    bills: pd.DataFrame,
    window: Window,
    vendor_id: str,
    count: int,
    *,
    void: bool,
) -> tuple[pd.DataFrame, list[str]]:
    """Key ``count`` of a vendor's bills in a second time, an hour or two after the first.

    With ``void`` the copies were spotted and voided (a decoy: the habit is already caught).
    Returns the new frame and the ids of the copies.
    """
    own = bills[(bills["vendor_id"] == vendor_id) & bills["status"].isin(["approved", "paid"])]
    picked = own.iloc[np.sort(rng.choice(len(own), size=min(count, len(own)), replace=False))]
    copies = picked.copy()
    ids = _next_ids("BILL-", len(bills), len(copies))
    copies["source_id"] = ids
    later = pd.to_timedelta(rng.integers(1800, 7200, size=len(copies)), unit="s")
    latest = _end_stamp(window).to_datetime64().astype("datetime64[s]")
    moved = np.minimum((copies["created_at"] + later).to_numpy(dtype="datetime64[s]"), latest)
    copies["created_at"] = moved
    copies["updated_at"] = copies[["updated_at", "created_at"]].max(axis=1)
    if void:
        copies["status"] = "void"
        copies["approved_at"] = pd.NaT
        copies["paid_at"] = pd.NaT
    return pd.concat([bills, copies], ignore_index=True), ids


def approval_backlog(rng: np.random.Generator, bills: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Stop approving hand-keyed bills for the last 30-45 days: they pile up unapproved."""
    since = pd.Timestamp(window.end) - pd.Timedelta(days=int(rng.integers(30, 46)))
    stuck = (
        (bills["origin"] == "manual")
        & bills["status"].isin(["approved", "paid"])
        & (bills["created_at"] >= since)
    )
    out = bills.copy()
    out.loc[stuck, "status"] = "awaiting_approval"
    out.loc[stuck, "approved_at"] = pd.NaT
    out.loc[stuck, "paid_at"] = pd.NaT
    out.loc[stuck, "updated_at"] = out.loc[stuck, "created_at"]
    return out


def no_shows(
    rng: np.random.Generator,
    appointments: pd.DataFrame,
    window: Window,
    calendar: str,
    protected: BoolArray,
    taken: set[str],
    *,
    by_host: bool = False,
) -> pd.DataFrame:
    """On one calendar, 40% of the last nine months' client sessions are missed.

    Missed means a no-show; with ``by_host`` it means cancelled by the host 2-20 hours ahead
    instead (the practitioner was ill or double-booked), which is not the clients' doing.
    Every client session counts, however it was booked (by hand or through a booking link).
    ``protected`` rows (the first three kinds' planted sessions) are left alone. A quiet
    calendar gets extra one-off client sessions (as many missed) so that the last six
    months hold at least ``NO_SHOW_MIN_SESSIONS`` sessions to judge the rate on.
    """
    last = pd.Timestamp(window.end)
    # Rows planted after ``protected`` was taken (other catalogue plants) are left alone too.
    protected = np.concatenate(
        [protected, np.ones(len(appointments) - len(protected), dtype=np.bool_)]
    )
    client = (appointments["calendar"] == calendar) & appointments["attendee_email"].notna()
    eligible = (
        client
        & (appointments["status"] == "confirmed")
        & (appointments["start_at"] >= last - pd.Timedelta(days=270))
        & ~protected
    )
    flip = eligible & (rng.random(len(appointments)) < NO_SHOW_SHARE)
    out = _miss(rng, appointments, flip.to_numpy(), by_host=by_host)
    # Count every client session the rate will rest on, flipped or protected.
    booked = client & (appointments["start_at"] >= last - pd.Timedelta(days=175))
    recent = int(booked.sum())
    missed_status = "cancelled" if by_host else "no_show"
    misses = int((booked & (out["status"] == missed_status)).sum())
    # Top up with new sessions until there are enough, and enough of them missed: protected
    # sessions (other plants) must not dilute the rate below what is planted.
    extra = max(0, NO_SHOW_MIN_SESSIONS - recent)
    deficit = NO_SHOW_SHARE * (recent + extra) - misses - round(NO_SHOW_SHARE * extra)
    missed_extra = round(NO_SHOW_SHARE * extra) + max(
        0, int(np.ceil(deficit / (1 - NO_SHOW_SHARE)))
    )
    missing = max(extra, missed_extra)
    if missing <= 0:
        return out
    days = window.working_days(first=(window.end - pd.Timedelta(days=170).to_pytimedelta()))
    days = days[rng.integers(len(days), size=missing)]
    minute = OPEN_MINUTE + 30 * rng.integers(
        0, (CLOSE_MINUTE - OPEN_MINUTE - 60) // 30 + 1, size=missing
    )
    start = window.local_to_utc(days, minute.astype(np.int64))
    end = start + np.timedelta64(60, "m")
    created = start - rng.integers(2 * 86400, 20 * 86400, size=missing).astype("timedelta64[s]")
    person = objects(new_people(rng, missing, taken))
    email = objects(
        [
            f"{p.lower().replace(' ', '.')}.{n}@{names.EMAIL_PROVIDERS[n % 6]}"
            for n, p in enumerate(person.tolist())
        ]
    )
    rows = pd.DataFrame(
        {
            "source_id": _next_ids("APT-", len(out), missing),
            "origin": "manual",
            "created_at": created.astype("datetime64[s]"),
            "updated_at": created.astype("datetime64[s]"),
            "title": "Session: " + person,
            "start_at": start.astype("datetime64[s]"),
            "end_at": end.astype("datetime64[s]"),
            "status": "confirmed",
            "attendee_email": email,
            "attendee_name": person,
            "series_id": filled(missing, None),
            "calendar": calendar,
            "cancelled_at": pd.NaT,
            "cancelled_by": None,
        }
    )
    rows = rows.astype({"cancelled_at": "datetime64[s]"}).astype(out.dtypes.to_dict())
    rows = _miss(rng, rows, np.arange(missing) < missed_extra, by_host=by_host)
    return pd.concat([out, rows], ignore_index=True)


def _miss(
    rng: np.random.Generator, appointments: pd.DataFrame, flip: BoolArray, *, by_host: bool
) -> pd.DataFrame:
    """A copy with the ``flip`` rows missed: no-shows, or cancelled late by the host."""
    out = appointments.copy()
    if not by_host:
        out.loc[flip, "status"] = "no_show"
        out.loc[flip, "updated_at"] = out.loc[flip, "end_at"] + pd.Timedelta(hours=1)
        return out
    notice = pd.to_timedelta(rng.integers(2, 21, size=int(flip.sum())), unit="h")
    when = (out.loc[flip, "start_at"] - notice).astype(out["cancelled_at"].dtype)
    out.loc[flip, "status"] = "cancelled"
    out.loc[flip, "cancelled_at"] = when
    out.loc[flip, "cancelled_by"] = "host"
    out.loc[flip, "updated_at"] = when
    return out


def weekly_bookings(
    rng: np.random.Generator,
    appointments: pd.DataFrame,
    window: Window,
    *,
    calendar: str,
    number: int,
    origin: str,
    series: str | None,
    taken: set[str],
) -> tuple[pd.DataFrame, str, str]:
    """A new client (a name not in ``taken``) booked every week, a few skipped, in one slot.

    Returns the frame and the client's e-mail and name.
    """
    [person] = new_people(rng, 1, taken)
    first, _, last = person.partition(" ")
    provider = names.EMAIL_PROVIDERS[int(rng.integers(len(names.EMAIL_PROVIDERS)))]
    email = f"{first.lower()}.{names.slug(last)}{number}@{provider}"
    weeks = int(rng.integers(14, 30))
    weekday = int(rng.integers(5))
    minute = OPEN_MINUTE + 30 * int(rng.integers(0, (CLOSE_MINUTE - OPEN_MINUTE - 60) // 30 + 1))
    last_day = window.last_day - np.timedelta64(int(rng.integers(0, 6)), "D")
    # The last matching weekday on or before last_day, then every week back from it.
    back = (int(clock.weekday(np.asarray([last_day]))[0]) - weekday) % 7
    anchor = last_day - np.timedelta64(back, "D")
    days = anchor - np.arange(weeks)[::-1].astype("timedelta64[W]").astype("timedelta64[D]")
    days = days[days >= window.first_day]
    # Holidays and the odd week off: two or three sessions never happen.
    skip = rng.choice(len(days), size=min(3, max(0, len(days) - 8)), replace=False)
    days = np.delete(days, skip)
    count = len(days)
    start = window.local_to_utc(days, np.full(count, minute, dtype=np.int64))
    end = start + np.timedelta64(60, "m")
    created = start - rng.integers(2 * 86400, 10 * 86400, size=count).astype("timedelta64[s]")
    rows = pd.DataFrame(
        {
            "source_id": _next_ids("APT-", len(appointments), count),
            "origin": origin,
            "created_at": created.astype("datetime64[s]"),
            "updated_at": created.astype("datetime64[s]"),
            "title": f"Weekly session: {person}",
            "start_at": start.astype("datetime64[s]"),
            "end_at": end.astype("datetime64[s]"),
            "status": "confirmed",
            "attendee_email": email,
            "attendee_name": person,
            "series_id": series,
            "calendar": calendar,
            "cancelled_at": pd.NaT,
            "cancelled_by": None,
        }
    )
    rows = rows.astype({"cancelled_at": "datetime64[s]"}).astype(appointments.dtypes.to_dict())
    return pd.concat([appointments, rows], ignore_index=True), email, person


def overload(
    appointments: pd.DataFrame, window: Window, calendar: str, titles: tuple[str, ...]
) -> pd.DataFrame:
    """Fill one calendar's working days of the last weeks with back-to-back internal meetings."""
    first = window.last_day - np.timedelta64(7 * OVERLOAD_WEEKS, "D")
    days = window.working_days(first=first.astype(object))
    minutes = np.tile(np.asarray(OVERLOAD_STARTS, dtype=np.int64), len(days))
    days = np.repeat(days, len(OVERLOAD_STARTS))
    count = len(days)
    start = window.local_to_utc(days, minutes)
    created = window.local_to_utc(days - np.timedelta64(14, "D"), np.full(count, OPEN_MINUTE))
    rows = pd.DataFrame(
        {
            "source_id": _next_ids("APT-", len(appointments), count),
            "origin": "manual",
            "created_at": created.astype("datetime64[s]"),
            "updated_at": created.astype("datetime64[s]"),
            "title": objects(list(titles))[np.arange(count) % len(titles)],
            "start_at": start.astype("datetime64[s]"),
            "end_at": (start + np.timedelta64(90, "m")).astype("datetime64[s]"),
            "status": "confirmed",
            "attendee_email": filled(count, None),
            "attendee_name": filled(count, None),
            "series_id": filled(count, None),
            "calendar": calendar,
            "cancelled_at": pd.NaT,
            "cancelled_by": None,
        }
    )
    rows = rows.astype({"cancelled_at": "datetime64[s]"}).astype(appointments.dtypes.to_dict())
    return pd.concat([appointments, rows], ignore_index=True)


def month_end_crunch(
    rng: np.random.Generator, journals: pd.DataFrame, window: Window, memos: frozenset[str]
) -> pd.DataFrame:
    """Key most ad-hoc journals, and a batch of catch-up ones, just after each month ends.

    Ad-hoc journals (``memos``) are re-keyed in the first three working days of the next
    month; each month also gets 10-20 catch-up reclassifications keyed then, dated on the
    month's last day.
    """
    posted = journals["posted_on"].to_numpy(dtype="datetime64[D]")
    next_month = (posted.astype("datetime64[M]") + 1).astype("datetime64[D]")
    keyed = np.busday_offset(next_month, rng.integers(0, 3, size=len(journals)), roll="forward")
    when = window.working_instants(rng, keyed)
    latest = _end_stamp(window).to_datetime64()
    move = (
        journals["memo"].isin(memos).to_numpy()
        & (journals["origin"] == "manual").to_numpy()
        & (rng.random(len(journals)) < 0.85)
        & (when <= latest)
    )
    out = journals.copy()
    new = pd.Series(when.astype("datetime64[s]"), index=journals.index)
    out.loc[move, "created_at"] = new[move]
    out.loc[move, "updated_at"] = new[move]
    firsts = np.asarray(window.month_starts()[1:], dtype="datetime64[D]")
    batch = rng.integers(*CATCH_UP_PER_MONTH, size=len(firsts))
    month = np.repeat(firsts, batch)
    keyed = np.busday_offset(month, rng.integers(0, 3, size=len(month)), roll="forward")
    at = window.working_instants(rng, keyed)
    keep = at <= latest
    month, at = month[keep], at[keep]
    count = len(at)
    pick = rng.integers(len(memos), size=count)
    catch_up = pd.DataFrame(
        {
            "source_id": _next_ids("JE-", len(out), count),
            "origin": "manual",
            "created_at": at.astype("datetime64[s]"),
            "updated_at": at.astype("datetime64[s]"),
            "posted_on": (month - np.timedelta64(1, "D")).astype("datetime64[s]"),
            "accounts": "General Expenses|Suspense",
            "amount": np.round(np.exp(rng.normal(np.log(90.0), 0.8, size=count)), 2),
            "currency": out["currency"].iloc[0] if len(out) else "GBP",
            "memo": objects(sorted(memos))[pick],
        }
    ).astype(out.dtypes.to_dict())
    return pd.concat([out, catch_up], ignore_index=True)
