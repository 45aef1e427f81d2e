"""Which of the detector catalogue's kinds a business shows, and the truth entries for them.

The first three kinds (recurring invoices, appointments invoiced by hand, slow collection)
are planted by the generator's own modules. This module decides, per seed, which of the
other kinds are planted too, plants them (see :mod:`busywork.synth.plants`) and writes
their answer key. Its random generators are seeded apart from the generator's own, so
turning a kind on or off never moves the records of another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from busywork.synth import plants
from busywork.synth.bills import Supplier
from busywork.synth.clock import Window
from busywork.synth.columns import BoolArray, FloatArray, ObjArray
from busywork.synth.journals import ADJUSTMENTS
from busywork.synth.people import Account, Business
from busywork.synth.recurring import Series

Entry = dict[str, Any]
#: Kinds this module may plant, each in about this share of seeds.
PLANT_SHARE = 0.6
KINDS = (
    "payment_reminders",
    "duplicate_entry",
    "no_show_reminders",
    "manual_scheduling",
    "invoice_lag",
    "approval_backlog",
    "calendar_overload",
    "month_end_crunch",
)
#: Fewest hand-keyed bills or journals on a cadence that make a planted recurring one.
MIN_RECURRING = 5
#: Journals, by accounts signature, that look recurring but are not opportunities.
JOURNAL_DECOYS = {
    "insurance|prepayments": "posted every month by a rule already (origin recurring)",
    "net wages|paye and nic|wages": "payroll posted by an integration (origin integration)",
    "accruals|utilities": "keyed by hand monthly, but the amount changes every month",
    "vat control|vat liability": "keyed by hand quarterly, but the amount changes every time",
}


@dataclass(frozen=True)
class CataloguePlan:
    """Which catalogue kinds this seed plants, and the random generator for planting them."""

    kinds: frozenset[str]
    rng: np.random.Generator

    def has(self, kind: str) -> bool:
        """True when ``kind`` is planted."""
        return kind in self.kinds


def make_plan(seed: int, *, slow: bool) -> CataloguePlan:
    """Draw the planted kinds (each with chance ``PLANT_SHARE``); at least two per seed.

    Late payers only stand out where the business is otherwise paid on time, so
    ``payment_reminders`` is never planted in a slow-collecting business.
    """
    rng = np.random.default_rng([seed, 0xCA7A])
    draws = rng.random(len(KINDS))
    chosen = {kind for kind, draw in zip(KINDS, draws, strict=True) if draw < PLANT_SHARE}
    if len(chosen) < 2:
        chosen |= {KINDS[int(i)] for i in np.argsort(draws)[:2]}
    if slow:
        chosen.discard("payment_reminders")
    return CataloguePlan(frozenset(chosen), rng)


def late_chances(
    plan: CataloguePlan, customers: int, recurring: Sequence[Series], templated: Sequence[int]
) -> tuple[FloatArray | None, list[int], list[int]]:
    """Per customer row, the chance an invoice is paid very late; and who was picked.

    Planted: one or two customers invoiced by hand every week to month (enough invoices to
    judge) pay 85% of invoices late. Decoy: a customer invoiced from a template (whose
    reminders the accounting tool sends) pays just as late.
    """
    if not plan.has("payment_reminders"):
        return None, [], []
    frequent = [s.customer for s in recurring if s.cadence != "quarterly"]
    if not frequent:
        return None, [], []
    count = min(len(frequent), int(plan.rng.integers(1, 3)))
    late = sorted(int(c) for c in plan.rng.choice(frequent, size=count, replace=False))
    chance = np.zeros(customers, dtype=np.float64)
    chance[late] = 0.85
    sometimes = sorted(templated)[:1]
    chance[sometimes] = 0.85
    return chance, late, sometimes


def plant(
    plan: CataloguePlan,
    frames: dict[str, pd.DataFrame],
    *,
    window: Window,
    business: Business,
    suppliers: Sequence[Supplier],
    protected: BoolArray,
) -> tuple[dict[str, pd.DataFrame], list[Entry], list[Entry]]:
    """Plant the chosen kinds into ``frames``; returns the new frames, planted and decoys."""
    rng = plan.rng
    out = dict(frames)
    planted: list[Entry] = []
    decoys: list[Entry] = []
    whole = {"type": "business", "id": None, "name": business.name}
    staff = list(business.staff_emails)
    taken = set(out["customers"]["name"].dropna()) | set(
        out["appointments"]["attendee_name"].dropna()
    )
    if plan.has("approval_backlog"):
        out["bills"] = plants.approval_backlog(rng, out["bills"], window)
        planted.append(
            _entry(
                "approval_backlog", whole, "hand-keyed bills of the last 30-45 days left unapproved"
            )
        )
    if plan.has("duplicate_entry"):
        _duplicates(rng, out, window, suppliers, planted, decoys)
    if plan.has("manual_scheduling"):
        _weekly(rng, out, window, staff, taken, planted, decoys)
    busy: set[str] = set()
    if plan.has("calendar_overload"):
        calendar = staff[int(rng.integers(len(staff)))]
        busy.add(calendar)
        titles = tuple(business.profile.internal_titles)
        out["appointments"] = plants.overload(out["appointments"], window, calendar, titles)
        subject = {"type": "calendar", "id": calendar, "name": calendar}
        planted.append(
            _entry("calendar_overload", subject, "back-to-back internal meetings for ten weeks")
        )
    # Last among the calendar plants, so later bookings cannot dilute the no-show rate.
    if plan.has("no_show_reminders"):
        calendar = staff[int(rng.integers(len(staff)))]
        out["appointments"] = plants.no_shows(
            rng, out["appointments"], window, calendar, protected, taken
        )
        subject = {"type": "calendar", "id": calendar, "name": calendar}
        planted.append(_entry("no_show_reminders", subject, "40% of client sessions are no-shows"))
        others = [other for other in staff if other not in busy | {calendar}]
        decoy = _host_cancellations(plan, out, window, others, protected, taken)
        if decoy is not None:
            decoys.append(decoy)
    if plan.has("month_end_crunch"):
        memos = frozenset(memo for _, _, memo in ADJUSTMENTS)
        out["journal_entries"] = plants.month_end_crunch(rng, out["journal_entries"], window, memos)
        planted.append(
            _entry(
                "month_end_crunch",
                whole,
                "most ad-hoc journals keyed in the first working days of the next month",
            )
        )
    if plan.has("invoice_lag"):
        planted.append(
            _entry("invoice_lag", whole, "sessions invoiced 0-14 days later, mostly after a week")
        )
    return out, planted, decoys


def _entry(kind: str, subject: dict[str, Any], note: str) -> Entry:
    return {"kind": kind, "subject": subject, "note": note}


def _decoy(kind: str, subject: dict[str, Any], why: str) -> Entry:
    return {"kind": kind, "subject": subject, "why": why}


def _duplicates(
    rng: np.random.Generator,
    frames: dict[str, pd.DataFrame],
    window: Window,
    suppliers: Sequence[Supplier],
    planted: list[Entry],
    decoys: list[Entry],
) -> None:
    """Bills keyed twice for one irregular supplier; voided copies for another (a decoy)."""
    irregular = [
        n for n, s in enumerate(suppliers) if s.cadence == "irregular" and s.origin == "manual"
    ]
    if not irregular:
        return
    order = [irregular[int(i)] for i in rng.permutation(len(irregular))]
    for role, index in zip(("planted", "decoy"), order, strict=False):
        vendor = f"V{index + 1:03d}"
        bills, ids = plants.duplicate_bills(
            rng, frames["bills"], window, vendor, int(rng.integers(2, 4)), void=role == "decoy"
        )
        if len(ids) < 2:
            continue
        frames["bills"] = bills
        subject = {"type": "vendor", "id": vendor, "name": suppliers[index].name}
        if role == "planted":
            planted.append(
                _entry("duplicate_entry", subject, f"bills keyed twice: {', '.join(ids)}")
            )
        else:
            decoys.append(
                _decoy("duplicate_entry", subject, f"copies {', '.join(ids)} were voided")
            )


def _host_cancellations(
    plan: CataloguePlan,
    frames: dict[str, pd.DataFrame],
    window: Window,
    calendars: Sequence[str],
    protected: BoolArray,
    taken: set[str],
) -> Entry | None:
    """A decoy: on another calendar, the host called off 40% of client sessions at short notice.

    The rate looks like a no-show calendar's, but the host cancelled, not the clients. Drawn
    from a spawned generator, so the plan's draws for the kinds after it do not move.
    """
    if not calendars:
        return None
    rng = plan.rng.spawn(1)[0]
    calendar = calendars[int(rng.integers(len(calendars)))]
    frames["appointments"] = plants.no_shows(
        rng, frames["appointments"], window, calendar, protected, taken, by_host=True
    )
    subject = {"type": "calendar", "id": calendar, "name": calendar}
    return _decoy(
        "no_show_reminders", subject, "40% of client sessions cancelled late, but by the host"
    )


def _weekly(
    rng: np.random.Generator,
    frames: dict[str, pd.DataFrame],
    window: Window,
    staff: list[str],
    taken: set[str],
    planted: list[Entry],
    decoys: list[Entry],
) -> None:
    """One or two clients booked by hand each week; one booked as a series, one by link."""
    roles = ["manual"] * int(rng.integers(1, 3)) + ["series", "booking_link"]
    for number, role in enumerate(roles, start=1):
        calendar = staff[int(rng.integers(len(staff)))]
        frames["appointments"], email, person = plants.weekly_bookings(
            rng,
            frames["appointments"],
            window,
            calendar=calendar,
            number=number,
            origin="booking_link" if role == "booking_link" else "manual",
            series=f"SER-W{number:03d}" if role == "series" else None,
            taken=taken,
        )
        subject = {"type": "attendee", "id": email, "name": person}
        if role == "manual":
            planted.append(
                _entry("manual_scheduling", subject, "booked one week at a time, same slot")
            )
        elif role == "series":
            decoys.append(
                _decoy("manual_scheduling", subject, "weekly, but booked as a recurring series")
            )
        else:
            decoys.append(
                _decoy("manual_scheduling", subject, "weekly, but booked through a booking link")
            )


def recurring_entries(
    frames: dict[str, pd.DataFrame], suppliers: Sequence[Supplier]
) -> tuple[list[Entry], list[Entry]]:
    """Truth for recurring bills and journals, which the generator's own modules make.

    Regular suppliers billing monthly or quarterly and keyed by hand are planted when at
    least ``MIN_RECURRING`` of their bills exist; suppliers billed by a rule and irregular
    ones are decoys. The month-end depreciation journal is planted; payroll, prepayments,
    accruals and VAT journals are decoys.
    """
    planted: list[Entry] = []
    decoys: list[Entry] = []
    bills = frames["bills"]
    kept = bills[(bills["status"] != "void") & (bills["origin"] == "manual")]
    counts = kept["vendor_id"].value_counts()
    for index, supplier in enumerate(suppliers):
        vendor = f"V{index + 1:03d}"
        subject = {"type": "vendor", "id": vendor, "name": supplier.name}
        if supplier.origin != "manual":
            decoys.append(
                _decoy(
                    "recurring_bill",
                    subject,
                    f"{supplier.cadence} bill entered by a rule (origin {supplier.origin})",
                )
            )
        elif supplier.cadence == "irregular":
            decoys.append(
                _decoy("recurring_bill", subject, "keyed by hand, but at irregular times")
            )
        elif (
            supplier.cadence in ("monthly", "quarterly") and counts.get(vendor, 0) >= MIN_RECURRING
        ):
            planted.append(
                _entry(
                    "recurring_bill",
                    subject,
                    f"{supplier.cadence} '{supplier.description}' bill keyed by hand "
                    f"({counts.get(vendor, 0)} times)",
                )
            )
    journals = frames["journal_entries"]
    depreciation = journals[journals["accounts"] == "Depreciation|Fixed Assets"]
    if len(depreciation) >= MIN_RECURRING:
        subject = {
            "type": "account",
            "id": "depreciation|fixed assets",
            "name": "Depreciation / Fixed Assets",
        }
        planted.append(
            _entry(
                "recurring_journal_entry",
                subject,
                f"monthly depreciation of a fixed amount keyed by hand ({len(depreciation)} times)",
            )
        )
    for signature, why in JOURNAL_DECOYS.items():
        name = " / ".join(part.title() for part in signature.split("|"))
        decoys.append(
            _decoy(
                "recurring_journal_entry", {"type": "account", "id": signature, "name": name}, why
            )
        )
    return planted, decoys


def late_entries(
    late: Sequence[int], sometimes: Sequence[int], accounts: Sequence[Account], ids: ObjArray
) -> tuple[list[Entry], list[Entry]]:
    """Truth for the planted late payers and the customer who is only sometimes late."""
    planted = [
        _entry(
            "payment_reminders",
            {"type": "customer", "id": str(ids[c]), "name": accounts[c].name},
            "85% of invoices paid 25-60 days late, never chased",
        )
        for c in late
    ]
    decoys = [
        _decoy(
            "payment_reminders",
            {"type": "customer", "id": str(ids[c]), "name": accounts[c].name},
            "paid late, but invoiced from a template that sends its own reminders",
        )
        for c in sometimes
    ]
    return planted, decoys
