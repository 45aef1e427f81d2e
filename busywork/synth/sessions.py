"""Client sessions in the calendar and the invoices that follow them (or fail to)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from busywork.synth.clock import Window
from busywork.synth.columns import Chunks, IntArray, ObjArray, TimeArray, filled, objects
from busywork.synth.invoicing import InvoiceDrafts, session_lines
from busywork.synth.names import NICKNAMES
from busywork.synth.people import Account, Business, add_clients
from busywork.synth.scheduling import Slots, add_slots, lag_days, slots, spaced_days

#: Occasional-client sessions per working day at scale 1 (before seasonality).
SESSIONS_PER_DAY = 38.0
#: How likely an occasional client has one, two or three sessions in the whole window.
VISITS = (0.55, 0.3, 0.15)
#: Days between an occasional session and its invoice (0 = invoiced at the end of the session).
INVOICE_LAG_WEIGHTS = (0.3, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05)
#: In a business that invoices slowly: weights of 0, 2, 4 ... 14 days.
SLOW_INVOICE_LAG_WEIGHTS = (0.04, 0.04, 0.07, 0.1, 0.15, 0.2, 0.2, 0.2)

Identity = str  # "email", "mixed" (two addresses) or "name_only" (some invites lack an email)


@dataclass(frozen=True)
class CustomerSessions:
    """One account customer's run of appointments, for the truth file (draft row numbers)."""

    customer: int
    integration: bool
    identity: Identity
    service: str
    appointments: tuple[int, ...]
    invoiced: tuple[int, ...]
    leaked: tuple[int, ...]


def _identities(
    rng: np.random.Generator, account: Account, identity: Identity, count: int
) -> tuple[ObjArray, ObjArray]:
    """Attendee emails and names as the invites carry them.

    ``mixed`` uses the customer's second address on about half the invites; ``name_only``
    leaves the email empty on about half, where only the (possibly shortened) name links the
    invite to the customer. At least two invites show each quirk.
    """
    exact = account.name
    variant = f"{NICKNAMES[account.first]} {account.last}" if account.first else exact
    quirky = rng.random(count) < 0.5
    quirky[rng.choice(count, size=2, replace=False)] = True
    email = filled(count, account.email)
    if identity == "mixed":
        email[quirky] = account.second_email
    elif identity == "name_only":
        email[quirky] = None
    name = np.where(rng.random(count) < (0.5 if identity == "name_only" else 0.2), variant, exact)
    return email, name.astype(object)


def _with_outcomes(rng: np.random.Generator, booked: Slots, rows: list[int]) -> Slots:
    """Turn ``rows`` into a cancellation or a no-show (the rest stay confirmed)."""
    status = booked.status.copy()
    cancelled = booked.cancelled.copy()
    updated = booked.updated.copy()
    for row in rows:
        if rng.random() < 0.5:
            status[row] = "cancelled"
            cancelled[row] = booked.start[row] - np.int64(int(rng.integers(2, 48)) * 3600)
            updated[row] = cancelled[row]
        else:
            status[row] = "no_show"
            updated[row] = booked.end[row] + np.int64(3600)
    return Slots(booked.start, booked.end, status, cancelled, booked.created, updated)


def customer_sessions(
    rng: np.random.Generator,
    appointments: Chunks,
    drafts: InvoiceDrafts,
    window: Window,
    business: Business,
    *,
    account: Account,
    customer: int,
    identity: Identity,
    integration: bool,
) -> CustomerSessions:
    """Ten to eighteen sessions at least eight days apart, each confirmed one invoiced.

    By hand (``integration`` false) the invoice follows 1-7 days later and one or two sessions
    are never invoiced; by an integration it is issued the same day and none are missed.
    """
    profile = business.profile
    service = profile.services[int(rng.integers(len(profile.services)))]
    days = spaced_days(rng, window, int(rng.integers(10, 19)), gap=10, margin=10)
    count = len(days)
    booked = slots(rng, window, days, np.full(count, service.minutes), cancel=0.0, no_show=0.0)
    bad = rng.choice(count, size=int(rng.integers(1, 3)), replace=False)
    booked = _with_outcomes(rng, booked, sorted(bad.tolist()))
    email, name = _identities(rng, account, identity, count)
    calendar = business.staff_emails[int(rng.integers(len(business.staff_emails)))]
    rows = add_slots(
        appointments,
        booked,
        title=objects([f"{service.name}: {person}" for person in name.tolist()]),
        email=email,
        name=name,
        calendar=filled(count, calendar),
        origin="manual",
    )
    confirmed = np.flatnonzero(booked.status == "confirmed")
    leaked = np.empty(0, dtype=np.int64)
    if not integration:
        leaked = np.sort(rng.choice(confirmed, size=int(rng.integers(1, 3)), replace=False))
    billed = np.setdiff1d(confirmed, leaked)
    session_day = days[billed]
    if integration:
        issued = session_day
        created = booked.end[billed] + rng.integers(60, 900, size=len(billed))
    else:
        issued = lag_days(rng, session_day, 1, 7)
        created = window.working_instants(rng, issued)
    _invoice_sessions(
        rng,
        drafts,
        business=business,
        customer=np.full(len(billed), customer, dtype=np.int64),
        session_day=session_day,
        issued=issued,
        created=created,
        service=service.name,
        item=service.item,
        price=np.full(len(billed), service.price, dtype=np.int64),
        origin="integration" if integration else "manual",
        noisy=False,
    )
    return CustomerSessions(
        customer=customer,
        integration=integration,
        identity=identity,
        service=service.name,
        appointments=tuple(rows),
        invoiced=tuple((rows.start + billed).tolist()),
        leaked=tuple((rows.start + leaked).tolist()),
    )


def _invoice_sessions(
    rng: np.random.Generator,
    drafts: InvoiceDrafts,
    *,
    business: Business,
    customer: IntArray,
    session_day: TimeArray,
    issued: TimeArray,
    created: TimeArray,
    service: str | ObjArray,
    item: str | ObjArray,
    price: IntArray,
    origin: str,
    noisy: bool,
) -> None:
    """Invoice each session; the description names the service and the session's date."""
    count = len(customer)
    service_names = filled(count, service) if isinstance(service, str) else service
    items = filled(count, item) if isinstance(item, str) else item
    prices = price.astype(np.int64)
    when = np.datetime_as_string(session_day.astype("datetime64[D]")).astype(object)
    description = service_names + " on " + when
    extras = tuple((extra.name, extra.item, extra.price) for extra in business.profile.extras)
    line_invoice, line_desc, line_item, quantity, unit = session_lines(
        rng, description, items, prices, extras
    )
    drafts.add(
        customer=np.asarray(customer, dtype=np.int64),
        issued=issued,
        created=created,
        origin=origin,
        description=description,
        line_invoice=line_invoice,
        line_description=line_desc,
        item=line_item,
        quantity=quantity,
        unit=unit,
        noisy=noisy,
    )


def occasional_sessions(
    rng: np.random.Generator,
    appointments: Chunks,
    drafts: InvoiceDrafts,
    book: Chunks,
    window: Window,
    *,
    business: Business,
    scale: float,
    slow_invoicing: bool = False,
) -> None:
    """The bulk of the calendar: one to three sessions per occasional client, each invoiced.

    Vectorised because this is what ``scale`` multiplies. With ``slow_invoicing`` the
    invoices follow 0-14 days after the session, mostly more than a week (the same random
    draws, other weights), instead of mostly the same or the next day.
    """
    profile = business.profile
    workdays = window.working_days()
    per_day = rng.poisson(SESSIONS_PER_DAY * scale * window.season(workdays, profile.season))
    days = np.repeat(workdays, per_day)
    count = len(days)
    if count == 0:
        return
    weights = np.linspace(2.0, 1.0, len(profile.services))
    service = rng.choice(len(profile.services), size=count, p=weights / weights.sum())
    minutes = np.asarray([s.minutes for s in profile.services], dtype=np.int64)[service]
    booked = slots(rng, window, days, minutes)

    visits = rng.choice(np.arange(1, 4), size=count, p=VISITS)
    clients = int(np.searchsorted(np.cumsum(visits), count)) + 1
    visits = visits[:clients]
    visits[-1] -= int(visits.sum()) - count
    client_of = np.empty(count, dtype=np.int64)
    client_of[rng.permutation(count)] = np.repeat(np.arange(clients), visits)
    first_seen = np.full(clients, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_seen, client_of, days.astype(np.int64))
    index, names, emails = add_clients(
        rng, book, first_seen.astype("datetime64[D]"), window, business.currency
    )
    service_names = objects([s.name for s in profile.services])[service]
    staff = objects(list(business.staff_emails))
    add_slots(
        appointments,
        booked,
        title=service_names + ": " + names[client_of],
        email=emails[client_of],
        name=names[client_of],
        calendar=staff[rng.integers(len(staff), size=count)],
        origin=np.where(rng.random(count) < 0.55, "booking_link", "manual").astype(object),
    )
    billed = np.flatnonzero(booked.status == "confirmed")
    lag_weights = SLOW_INVOICE_LAG_WEIGHTS if slow_invoicing else INVOICE_LAG_WEIGHTS
    lag = rng.choice(len(lag_weights), size=len(billed), p=lag_weights)
    if slow_invoicing:
        lag = 2 * lag
    issued = np.busday_offset(days[billed] + lag.astype("timedelta64[D]"), 0, roll="forward")
    same_day = booked.end[billed] + rng.integers(300, 5400, size=len(billed))
    created = np.where(lag == 0, same_day, window.working_instants(rng, issued))
    _invoice_sessions(
        rng,
        drafts,
        business=business,
        customer=index[client_of[billed]],
        session_day=days[billed],
        issued=issued,
        created=created,
        service=service_names[billed],
        item=objects([s.item for s in profile.services])[service[billed]],
        price=np.asarray([s.price for s in profile.services], dtype=np.int64)[service[billed]],
        origin="manual",
        noisy=True,
    )
