"""The business itself, its staff, its account customers and its occasional clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from busywork.synth import names
from busywork.synth.clock import Window
from busywork.synth.columns import Chunks, IntArray, ObjArray, TimeArray, filled, objects
from busywork.synth.profiles import BUSINESS_WORDS, PROFILES, Profile
from busywork.synth.writer import make_frame

CUSTOMER_COLUMNS = (
    "name",
    "email",
    "phone",
    "terms",
    "currency",
    "origin",
    "created",
    "updated",
)


@dataclass(frozen=True)
class Business:
    """Who the data belongs to."""

    name: str
    domain: str
    profile: Profile
    currency: str
    timezone: str
    staff_names: tuple[str, ...]
    staff_emails: tuple[str, ...]
    #: Surnames left for account customers after staff took theirs.
    free_surnames: tuple[str, ...]


@dataclass(frozen=True)
class Account:
    """An account customer; individuals have a first name, companies do not."""

    name: str
    email: str
    first: str | None
    last: str | None
    second_email: str | None
    currency: str


def make_business(rng: np.random.Generator, window: Window) -> Business:
    """Pick the kind of firm, its name, domain and staff."""
    profile = PROFILES[int(rng.integers(len(PROFILES)))]
    word = BUSINESS_WORDS[int(rng.integers(len(BUSINESS_WORDS)))]
    name = f"{word} {profile.trade} Ltd"
    domain = f"{names.slug(word + profile.trade)}.co.uk"
    surnames = [names.ACCOUNT_SURNAMES[i] for i in rng.permutation(len(names.ACCOUNT_SURNAMES))]
    staff_count = int(rng.integers(5, 13))
    firsts = rng.choice(len(names.FIRST_NAMES), size=staff_count, replace=False)
    staff = tuple(
        f"{names.FIRST_NAMES[int(first)]} {surname}"
        for first, surname in zip(firsts, surnames[:staff_count], strict=True)
    )
    emails = tuple(f"{person.split()[0].lower()}@{domain}" for person in staff)
    return Business(
        name=name,
        domain=domain,
        profile=profile,
        currency="GBP",
        timezone=window.timezone,
        staff_names=staff,
        staff_emails=emails,
        free_surnames=tuple(surnames[staff_count:]),
    )


def make_accounts(
    rng: np.random.Generator, business: Business, count: int, individuals: int
) -> list[Account]:
    """``count`` account customers, ``individuals`` of them people (with distinct surnames).

    One of them (the last) is a company abroad, invoiced in EUR or USD.
    """
    individuals = min(individuals, len(business.free_surnames), count - 1)
    formal = sorted(names.NICKNAMES)
    accounts = []
    for surname in business.free_surnames[:individuals]:
        first = formal[int(rng.integers(len(formal)))]
        provider = names.EMAIL_PROVIDERS[int(rng.integers(len(names.EMAIL_PROVIDERS)))]
        # The second address is the one their calendar invites come from.
        other = names.EMAIL_PROVIDERS[int(rng.integers(len(names.EMAIL_PROVIDERS)))]
        nick = names.NICKNAMES[first]
        accounts.append(
            Account(
                name=f"{first} {surname}",
                email=f"{first.lower()}.{names.slug(surname)}@{provider}",
                first=first,
                last=surname,
                second_email=f"{nick.lower()}{names.slug(surname)}.work@{other}",
                currency=business.currency,
            )
        )
    combos = len(names.COMPANY_PLACES) * len(names.COMPANY_SECTORS)
    picks = rng.permutation(combos)
    for number in range(count - 1 - individuals):
        pick = int(picks[number % combos])
        place = names.COMPANY_PLACES[pick // len(names.COMPANY_SECTORS)]
        sector = names.COMPANY_SECTORS[pick % len(names.COMPANY_SECTORS)]
        suffix = names.COMPANY_SUFFIXES[int(rng.integers(len(names.COMPANY_SUFFIXES)))]
        branch = f" {number // combos + 1}" if number >= combos else ""
        trading = f"{place} {sector}{branch}"
        accounts.append(
            Account(
                name=f"{trading} {suffix}".strip(),
                email=f"accounts@{names.slug(trading)}.co.uk",
                first=None,
                last=None,
                second_email=None,
                currency=business.currency,
            )
        )
    abroad, email, currency = names.ABROAD_CUSTOMERS[int(rng.integers(len(names.ABROAD_CUSTOMERS)))]
    accounts.append(Account(abroad, email, None, None, None, currency))
    return accounts


def phones(rng: np.random.Generator, count: int) -> ObjArray:
    """UK numbers from Ofcom's drama ranges; about one in five customers has none."""
    mobile = rng.random(count) < 0.7
    digits = rng.integers(0, 1000, size=count)
    out = objects(
        [
            (f"07700 900{d:03d}" if m else f"020 7946 0{d:03d}")
            for m, d in zip(mobile.tolist(), digits.tolist(), strict=True)
        ]
    )
    out[rng.random(count) < 0.2] = None
    return out


def add_accounts(
    rng: np.random.Generator, book: Chunks, accounts: list[Account], window: Window
) -> None:
    """Append the account customers to ``book``; they existed before the window opened."""
    count = len(accounts)
    ago = rng.integers(30, 1100, size=count).astype("timedelta64[D]")
    created = window.working_instants(rng, window.first_day - ago)
    updated = _updated(rng, created, window)
    companies = np.array([account.first is None for account in accounts])
    terms = np.where(rng.random(count) < np.where(companies, 0.7, 0.3), 30, 14).astype(np.int64)
    book.add(
        name=objects([account.name for account in accounts]),
        email=objects([account.email for account in accounts]),
        phone=phones(rng, count),
        terms=terms,
        currency=objects([account.currency for account in accounts]),
        origin=filled(count, "manual"),
        created=created,
        updated=updated,
    )


def add_clients(
    rng: np.random.Generator, book: Chunks, first_seen: TimeArray, window: Window, currency: str
) -> tuple[IntArray, ObjArray, ObjArray]:
    """Append one occasional client per entry of ``first_seen``: their indices, names, emails.

    Occasional clients draw surnames from a pool no account customer or staff member uses, so
    their names never collide with the customers the truth is about.
    """
    count = len(first_seen)
    first = rng.integers(len(names.FIRST_NAMES), size=count)
    last = rng.integers(len(names.CLIENT_SURNAMES), size=count)
    provider = rng.integers(len(names.EMAIL_PROVIDERS), size=count)
    start = book.rows
    full_names = [
        f"{names.FIRST_NAMES[f]} {names.CLIENT_SURNAMES[s]}"
        for f, s in zip(first.tolist(), last.tolist(), strict=True)
    ]
    emails = [
        f"{names.slug(full)}{start + row + 1}@{names.EMAIL_PROVIDERS[p]}"
        for row, (full, p) in enumerate(zip(full_names, provider.tolist(), strict=True))
    ]
    lead = rng.integers(0, 21, size=count).astype("timedelta64[D]")
    created = window.working_instants(rng, first_seen - lead)
    name_array, email_array = objects(full_names), objects(emails)
    rows = book.add(
        name=name_array,
        email=email_array,
        phone=phones(rng, count),
        terms=np.where(rng.random(count) < 0.5, 14, 30).astype(np.int64),
        currency=filled(count, currency),
        # Clients who booked online were created by the booking page.
        origin=np.where(rng.random(count) < 0.55, "booking_link", "manual").astype(object),
        created=created,
        updated=_updated(rng, created, window),
    )
    return np.arange(rows.start, rows.stop, dtype=np.int64), name_array, email_array


def _updated(rng: np.random.Generator, created: TimeArray, window: Window) -> TimeArray:
    """Mostly ``created``; sometimes a later edit before the window's end."""
    end = np.datetime64(window.end, "s") + np.timedelta64(17 * 3600, "s")
    span = np.maximum((end - created).astype(np.int64), 0)
    later = created + (rng.random(len(created)) * span).astype(np.int64)
    return np.where(rng.random(len(created)) < 0.35, later, created)


def customer_ids(count: int) -> ObjArray:
    """``C0001``, ``C0002``, ... (wider once there are more than 9,999)."""
    return objects([f"C{number:04d}" for number in range(1, count + 1)])


def customers_frame(data: dict[str, npt.NDArray[Any]], ids: ObjArray) -> pd.DataFrame:
    """The customers frame from the built customer columns."""
    return make_frame(
        "customers",
        {
            "source_id": ids,
            "origin": data["origin"],
            "created_at": data["created"],
            "updated_at": data["updated"],
            "name": data["name"],
            "email": data["email"],
            "phone": data["phone"],
        },
    )
