"""Suppliers and the bills they send: rent and utilities keyed by hand, software on repeat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from busywork.synth import names
from busywork.synth.clock import Window, days_of
from busywork.synth.columns import Chunks, IntArray, ObjArray, TimeArray, filled, objects, shift
from busywork.synth.people import Business
from busywork.synth.writer import make_frame

#: One-off bills (from occasional suppliers) per working day at scale 1.
ONE_OFF_BILLS_PER_DAY = 2.0
BILL_DRAFT = ("vendor", "issued", "created", "origin", "total", "terms", "description")


@dataclass(frozen=True)
class Supplier:
    """A regular supplier: how often it bills, whether someone keys it in, how much."""

    name: str
    domain: str
    cadence: str  # monthly, quarterly, annual or irregular
    origin: str  # manual (keyed by hand) or recurring (already automated)
    pounds: tuple[int, int]
    variable: bool
    terms: int
    description: str


CATALOG: tuple[Supplier, ...] = (
    Supplier(
        "Harcourt Estates",
        "harcourtestates.co.uk",
        "monthly",
        "manual",
        (1800, 4200),
        False,
        0,
        "Office rent",
    ),
    Supplier("Xero", "xero.com", "monthly", "recurring", (33, 59), False, 0, "Xero subscription"),
    Supplier(
        "British Gas Business",
        "britishgas.co.uk",
        "monthly",
        "manual",
        (120, 380),
        True,
        14,
        "Gas supply",
    ),
    Supplier(
        "Microsoft",
        "microsoft.com",
        "monthly",
        "recurring",
        (40, 180),
        False,
        0,
        "Microsoft 365 Business",
    ),
    Supplier(
        "Thames Water",
        "thameswater.co.uk",
        "quarterly",
        "manual",
        (90, 260),
        True,
        21,
        "Water charges",
    ),
    Supplier(
        "BT Business", "bt.com", "monthly", "recurring", (45, 95), False, 14, "Broadband and phone"
    ),
    Supplier(
        "Hiscox", "hiscox.co.uk", "annual", "manual", (600, 1900), False, 30, "Business insurance"
    ),
    Supplier(
        "Octopus Energy", "octopus.energy", "monthly", "manual", (150, 420), True, 14, "Electricity"
    ),
    Supplier(
        "Google Workspace",
        "google.com",
        "monthly",
        "recurring",
        (10, 60),
        False,
        0,
        "Google Workspace",
    ),
    Supplier("Royal Mail", "royalmail.com", "irregular", "manual", (15, 120), True, 14, "Postage"),
    Supplier(
        "Viking", "viking-direct.co.uk", "irregular", "manual", (25, 300), True, 30, "Stationery"
    ),
    Supplier(
        "Westminster City Council",
        "westminster.gov.uk",
        "monthly",
        "manual",
        (300, 900),
        False,
        14,
        "Business rates",
    ),
    Supplier(
        "Vodafone Business",
        "vodafone.co.uk",
        "monthly",
        "recurring",
        (60, 200),
        False,
        14,
        "Mobile phones",
    ),
    Supplier(
        "Sage Payroll", "sage.com", "monthly", "recurring", (20, 45), False, 0, "Payroll software"
    ),
    Supplier("Zoom", "zoom.us", "monthly", "recurring", (12, 40), False, 0, "Video calls"),
)


def suppliers(business: Business, count: int) -> list[Supplier]:
    """The business's ``count`` regular suppliers.

    The catalog in order with the trade's own supplier ninth, then generic ones if more are
    asked for.
    """
    name, domain = business.profile.supplies
    trade = Supplier(name, domain, "irregular", "manual", (60, 600), True, 30, "Supplies")
    chosen = [*CATALOG[:8], trade, *CATALOG[8:]][:count]
    for extra in range(count - len(chosen)):
        trading = f"{names.COMPANY_PLACES[extra % 22]} {names.SUPPLIER_TRADES[extra % 20]}"
        chosen.append(
            Supplier(
                trading,
                f"{names.slug(trading)}.co.uk",
                "irregular",
                "manual",
                (40, 800),
                True,
                30,
                names.SUPPLIER_TRADES[extra % 20],
            )
        )
    return chosen


def _issue_dates(rng: np.random.Generator, supplier: Supplier, window: Window) -> list[date]:
    months = window.month_starts()
    day = 1 if supplier.description == "Office rent" else int(rng.integers(1, 29))
    if supplier.cadence == "monthly":
        picked = months
    elif supplier.cadence == "quarterly":
        picked = months[int(rng.integers(3)) :: 3]
    elif supplier.cadence == "annual":
        picked = [months[int(rng.integers(len(months)))]]
    else:
        count = int(rng.poisson(1.5 * len(months)))
        offsets = np.sort(rng.integers(0, (window.end - window.start).days + 1, size=count))
        return [date.fromordinal(window.start.toordinal() + int(o)) for o in offsets]
    return [m.replace(day=day) for m in picked if m.replace(day=day) <= window.end]


def regular_bills(
    rng: np.random.Generator, bills: Chunks, window: Window, chosen: list[Supplier]
) -> None:
    """Every bill from every regular supplier (vendor index = position in ``chosen``)."""
    for vendor, supplier in enumerate(chosen):
        issued_dates = _issue_dates(rng, supplier, window)
        count = len(issued_dates)
        if count == 0:
            continue
        issued = days_of(issued_dates)
        low, high = supplier.pounds
        base = int(rng.integers(low, high + 1)) * 100
        spread = rng.uniform(0.75, 1.25, size=count) if supplier.variable else np.ones(count)
        totals = np.round(base * spread).astype(np.int64)
        if supplier.origin == "recurring":
            created = shift(issued, 5 * 3600)
        else:
            # Someone keys the bill in when they get round to it, up to a week later.
            keyed = issued + rng.integers(0, 7, size=count).astype("timedelta64[D]")
            created = window.working_instants(rng, np.busday_offset(keyed, 0, roll="forward"))
        _add(
            bills,
            vendor=vendor,
            issued=issued,
            created=created,
            origin=supplier.origin,
            totals=totals,
            terms=supplier.terms,
            description=filled(count, supplier.description),
        )


def _add(
    bills: Chunks,
    *,
    vendor: int | IntArray,
    issued: TimeArray,
    created: TimeArray,
    origin: str,
    totals: IntArray,
    terms: int | IntArray,
    description: ObjArray,
) -> None:
    count = len(issued)
    bills.add(
        vendor=np.broadcast_to(np.asarray(vendor, dtype=np.int64), (count,)).copy(),
        issued=issued.astype("datetime64[D]"),
        created=created.astype("datetime64[s]"),
        origin=filled(count, origin),
        total=totals,
        terms=np.broadcast_to(np.asarray(terms, dtype=np.int64), (count,)).copy(),
        description=description,
    )


def one_off_bills(
    rng: np.random.Generator, bills: Chunks, window: Window, first_vendor: int, scale: float
) -> tuple[ObjArray, TimeArray]:
    """Bills from occasional suppliers (one to three each).

    Returns:
        The suppliers' names and when each was set up (just before its first bill).
    """
    workdays = window.working_days()
    days = np.repeat(workdays, rng.poisson(ONE_OFF_BILLS_PER_DAY * scale, size=len(workdays)))
    count = len(days)
    per = rng.choice(np.arange(1, 4), size=count, p=(0.5, 0.3, 0.2))
    vendors = int(np.searchsorted(np.cumsum(per), count)) + 1 if count else 0
    per = per[:vendors]
    if vendors:
        per[-1] -= int(per.sum()) - count
    owner = np.empty(count, dtype=np.int64)
    owner[rng.permutation(count)] = np.repeat(np.arange(vendors), per)
    combos = len(names.CLIENT_SURNAMES) * len(names.SUPPLIER_TRADES)
    picks = rng.permutation(combos)
    trade_of = picks[np.arange(vendors) % combos] % len(names.SUPPLIER_TRADES)
    vendor_names = objects(
        [
            f"{names.CLIENT_SURNAMES[int(p) // len(names.SUPPLIER_TRADES)]} "
            f"{names.SUPPLIER_TRADES[int(p) % len(names.SUPPLIER_TRADES)]}"
            + (f" {k // combos + 1}" if k >= combos else "")
            for k, p in enumerate(picks[np.arange(vendors) % combos].tolist())
        ]
    )
    issued = np.maximum(
        days - rng.integers(0, 5, size=count).astype("timedelta64[D]"), window.first_day
    )
    created = window.working_instants(rng, days)
    pounds = np.exp(rng.normal(np.log(140.0), 0.9, size=count))
    totals = np.round(pounds * 100).astype(np.int64)
    description = objects(list(names.SUPPLIER_TRADES))[trade_of[owner]]
    _add(
        bills,
        vendor=first_vendor + owner,
        issued=issued,
        created=created,
        origin="manual",
        totals=np.maximum(totals, 500),
        terms=np.where(rng.random(count) < 0.5, 14, 30).astype(np.int64),
        description=description,
    )
    first = np.full(vendors, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, owner, created.astype(np.int64))
    return vendor_names, shift(first.astype("datetime64[s]"), -600)


def vendors_frame(
    rng: np.random.Generator,
    chosen: list[Supplier],
    occasional: ObjArray,
    occasional_created: TimeArray,
    window: Window,
) -> tuple[pd.DataFrame, ObjArray, ObjArray]:
    """The vendors frame (regular suppliers first), with every vendor's id and name."""
    regular = len(chosen)
    count = regular + len(occasional)
    ids = objects([f"V{n:03d}" for n in range(1, count + 1)])
    vendor_names = np.concatenate([objects([s.name for s in chosen]), occasional])
    emails = objects(
        [f"billing@{s.domain}" for s in chosen]
        + [f"accounts@{names.slug(str(name))}.co.uk" for name in occasional.tolist()]
    )
    ago = rng.integers(30, 1500, size=regular).astype("timedelta64[D]")
    created = np.concatenate(
        [window.working_instants(rng, window.first_day - ago), occasional_created]
    )
    frame = make_frame(
        "vendors",
        {
            "source_id": ids,
            "origin": filled(count, "manual"),
            "created_at": created,
            "updated_at": created,
            "name": vendor_names,
            "email": emails,
        },
    )
    return frame, ids, vendor_names


def assemble(
    rng: np.random.Generator,
    bills: Chunks,
    *,
    vendor_ids: ObjArray,
    vendor_names: ObjArray,
    window: Window,
    currency: str,
) -> pd.DataFrame:
    """Approve, pay and number the bills (in the order they were keyed in)."""
    data = bills.build()
    cutoff = np.datetime64(window.end, "s") + np.int64(86399)
    keep = np.flatnonzero(data["created"] <= cutoff)
    order = keep[np.lexsort((keep, data["created"][keep]))]
    data = {name: column[order] for name, column in data.items()}
    count = len(order)
    created, origin = data["created"], data["origin"]
    manual = origin == "manual"
    due = data["issued"] + data["terms"].astype("timedelta64[D]")
    # People approve during working hours within a week; recurring bills follow a rule at once.
    approve_day = np.busday_offset(
        created.astype("datetime64[D]"), rng.integers(0, 5, size=count), roll="forward"
    )
    by_hand = np.maximum(window.working_instants(rng, approve_day), shift(created, 600))
    approved = np.where(manual, by_hand, shift(created, rng.integers(60, 1800, size=count)))
    stuck = manual & (rng.random(count) < 0.03)
    void = manual & (rng.random(count) < 0.01)
    draft = manual & (created >= cutoff - np.int64(3 * 86400)) & (rng.random(count) < 0.3)
    waiting = (approved > cutoff) | stuck
    pay_day = np.maximum(due, approved.astype("datetime64[D]")) + rng.integers(0, 4, size=count)
    paid = np.maximum(
        shift(pay_day, rng.integers(8 * 3600, 17 * 3600, size=count)), shift(approved, 3600)
    )
    status = filled(count, "paid")
    status[paid > cutoff] = "approved"
    status[waiting] = "awaiting_approval"
    status[draft] = "draft"
    status[void] = "void"
    nat = np.datetime64("NaT", "s")
    approved_at = np.where(np.isin(status, ["approved", "paid"]), approved, nat)
    paid_at = np.where(status == "paid", paid, nat)
    updated = np.where(
        np.isnat(paid_at), np.where(np.isnat(approved_at), created, approved_at), paid_at
    )
    vendor = data["vendor"]
    refs = rng.integers(10000, 999999, size=count)
    return make_frame(
        "bills",
        {
            "source_id": objects([f"BILL-{n:05d}" for n in range(1, count + 1)]),
            "origin": origin,
            "created_at": created,
            "updated_at": updated,
            "vendor_id": vendor_ids[vendor],
            "vendor_name": vendor_names[vendor],
            "number": objects(
                [
                    f"{str(name)[:3].upper()}-{ref}"
                    for name, ref in zip(vendor_names[vendor].tolist(), refs.tolist(), strict=True)
                ]
            ),
            "status": status,
            "issued_on": data["issued"],
            "due_on": due,
            "approved_at": approved_at,
            "paid_at": paid_at,
            "total": data["total"],
            "currency": filled(count, currency),
            "description": data["description"],
        },
    )
