"""Invoices on a cadence (hand-made or automated), irregular hand-made ones, and one-offs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from busywork.synth.clock import Window, days_of
from busywork.synth.columns import IntArray, filled, objects, shift
from busywork.synth.invoicing import InvoiceDrafts, session_lines
from busywork.synth.profiles import RETAINER_POUNDS, Profile

CADENCES = ("monthly", "quarterly", "weekly")
CADENCE_WEIGHTS = (0.6, 0.2, 0.2)
#: Fewest invoices in a planted series (one more when a period is skipped).
MIN_PERIODS = 6


@dataclass(frozen=True)
class Series:
    """What was generated for one customer on a cadence (for the truth file)."""

    customer: int
    cadence: str
    origin: str
    description: str
    issued: tuple[date, ...]
    amounts: tuple[int, ...]
    skipped: date | None
    rise: float


def _nominal(rng: np.random.Generator, cadence: str, window: Window) -> list[date]:
    """Every on-schedule date of a cadence that fits in the window with room for jitter."""
    lo, hi = window.start + timedelta(days=3), window.end - timedelta(days=3)
    if cadence == "weekly":
        first = lo + timedelta(days=(int(rng.integers(5)) - lo.weekday()) % 7)
        return [first + timedelta(weeks=k) for k in range((hi - first).days // 7 + 1)]
    anchor = int(rng.integers(1, 29))
    months = window.month_starts()
    if cadence == "quarterly":
        phase = int(rng.integers(3))
        months = months[phase::3]
    return [m.replace(day=anchor) for m in months if lo <= m.replace(day=anchor) <= hi]


def _jitter(rng: np.random.Generator, nominal: date, weekly: bool) -> date:
    """Move a date a few days (weekly: at most one) and never onto a weekend."""
    offsets = (-1, 0, 1) if weekly else (-3, -2, -1, 0, 1, 2, 3)
    weights = (1, 6, 1) if weekly else (1, 2, 3, 4, 3, 2, 1)
    allowed = [
        (offset, weight)
        for offset, weight in zip(offsets, weights, strict=True)
        if (nominal + timedelta(days=offset)).weekday() < 5
    ]
    probs = np.asarray([weight for _, weight in allowed], dtype=np.float64)
    pick = int(rng.choice(len(allowed), p=probs / probs.sum()))
    return nominal + timedelta(days=allowed[pick][0])


def cadence_series(
    rng: np.random.Generator,
    drafts: InvoiceDrafts,
    window: Window,
    profile: Profile,
    customer: int,
    *,
    origin: str,
    template_id: str | None = None,
) -> Series:
    """Invoices on a stable cadence ending near the window's end.

    Hand-made (``origin == "manual"``) series jitter their dates, wobble their amounts by under
    3% or take one price rise of at most 10%, and may skip one period. Automated series are
    exact.
    """
    manual = origin == "manual"
    cadence = CADENCES[int(rng.choice(len(CADENCES), p=CADENCE_WEIGHTS))]
    nominal = _nominal(rng, cadence, window)
    if len(nominal) < MIN_PERIODS:
        cadence = "monthly"
        nominal = _nominal(rng, cadence, window)
    count = int(rng.integers(max(MIN_PERIODS, len(nominal) // 2), len(nominal) + 1))
    nominal = nominal[-count:]
    skipped = None
    if manual and count >= MIN_PERIODS + 1 and rng.random() < 0.35:
        skipped = nominal.pop(int(rng.integers(2, count - 2)))
    issued = [_jitter(rng, day, cadence == "weekly") if manual else day for day in nominal]

    low, high = RETAINER_POUNDS[cadence]
    base = int(rng.integers(low, high + 1)) // 5 * 500
    rise = 0.0
    if not manual:
        amounts = np.full(len(issued), base, dtype=np.int64)
    elif rng.random() < 0.4:
        rise = float(rng.uniform(0.03, 0.10))
        risen = int(base * (1 + rise)) // 100 * 100
        rise = risen / base - 1
        step = int(rng.integers(len(issued) // 3, 2 * len(issued) // 3 + 1))
        amounts = np.where(np.arange(len(issued)) < step, base, risen).astype(np.int64)
    else:
        amounts = np.round(base * (1 + rng.uniform(-0.025, 0.025, size=len(issued))))
        amounts = amounts.astype(np.int64)

    description = str(rng.choice(profile.retainers[cadence]))
    days = days_of(issued)
    count = len(issued)
    # Automations run at a fixed hour; people invoice whenever they get to it.
    created = window.working_instants(rng, days) if manual else shift(days, 6 * 3600)
    drafts.add(
        customer=np.full(count, customer, dtype=np.int64),
        issued=days,
        created=created,
        origin=origin,
        template_id=filled(count, template_id),
        description=filled(count, description),
        line_invoice=np.arange(count, dtype=np.int64),
        line_description=filled(count, description),
        item=filled(count, f"RET-{cadence[0].upper()}"),
        quantity=np.ones(count),
        unit=amounts,
        autopay=origin == "subscription",
    )
    return Series(
        customer,
        cadence,
        origin,
        description,
        tuple(issued),
        tuple(amounts.tolist()),
        skipped,
        rise,
    )


def irregular_series(
    rng: np.random.Generator, drafts: InvoiceDrafts, window: Window, profile: Profile, customer: int
) -> Series:
    """Hand-made invoices 10-90 days apart whose totals vary by far more than 40%."""
    issued: list[date] = []
    day = window.start + timedelta(days=int(rng.integers(0, 30)))
    while day <= window.end:
        # Weekends roll to Monday, which can shorten the next gap by two days: draw 12-88.
        weekday_day = day + timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)
        if weekday_day <= window.end:
            issued.append(weekday_day)
        day += timedelta(days=int(rng.integers(12, 89)))
    count = len(issued)
    while True:
        factors = np.exp(rng.normal(0.0, 0.6, size=count))
        spread = factors.max() / factors.min() if count else 0.0
        if count < 2 or (factors.std() / factors.mean() > 0.45 and spread > 1.6):
            break
    amounts = (np.round(int(rng.integers(150, 700)) * factors) * 100).astype(np.int64)
    descriptions = objects([str(rng.choice(profile.ad_hoc)) for _ in range(count)])
    days = days_of(issued)
    drafts.add(
        customer=np.full(count, customer, dtype=np.int64),
        issued=days,
        created=window.working_instants(rng, days),
        origin="manual",
        description=descriptions,
        line_invoice=np.arange(count, dtype=np.int64),
        line_description=descriptions,
        item=filled(count, "ADHOC"),
        quantity=np.ones(count),
        unit=amounts,
    )
    return Series(
        customer,
        "irregular",
        "manual",
        "various",
        tuple(issued),
        tuple(amounts.tolist()),
        None,
        0.0,
    )


def one_offs(
    rng: np.random.Generator,
    drafts: InvoiceDrafts,
    window: Window,
    profile: Profile,
    customers: IntArray,
    *,
    noisy: bool = True,
) -> None:
    """One to three hand-made invoices per customer at random dates, random amounts.

    Never more than three per customer in the whole window, so none of them looks recurring.
    """
    per = rng.choice(np.arange(1, 4), size=len(customers), p=(0.4, 0.35, 0.25))
    workdays = window.working_days()
    owner = np.repeat(customers, per)
    # Distinct days per customer: draw positions without replacement customer by customer.
    picks = np.concatenate(
        [rng.choice(len(workdays), size=int(k), replace=False) for k in per.tolist()]
    ).astype(np.int64)
    days = workdays[picks]
    count = len(owner)
    description = objects([str(rng.choice(profile.ad_hoc)) for _ in range(count)])
    price = (np.round(np.exp(rng.normal(np.log(380.0), 0.7, size=count))) * 100).astype(np.int64)
    extras = tuple((extra.name, extra.item, extra.price) for extra in profile.extras)
    line_invoice, line_desc, item, quantity, unit = session_lines(
        rng, description, filled(count, "ADHOC"), price, extras
    )
    drafts.add(
        customer=owner,
        issued=days,
        created=window.working_instants(rng, days),
        origin="manual",
        description=description,
        line_invoice=line_invoice,
        line_description=line_desc,
        item=item,
        quantity=quantity,
        unit=unit,
        noisy=noisy,
    )
