"""Mess in who and how: Calendly mirrors, one client under two names, currencies, Latin-1."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from busywork.synth.mess_rows import append, decoy, planted_ids

Frames = dict[str, pd.DataFrame]
Truth = dict[str, Any]
#: Euros per pound used to re-price a customer's invoices.
EUR_PER_GBP = 1.17
#: Bookings that make an attendee a regular, whose scheduling a detector could judge.
MIN_BOOKINGS = 3
#: Names a Latin-1 export must carry intact.
ACCENTED = ("Zoë Brontë", "Café Ménard SARL", "Müller & Söhne GmbH", "Åsa Ström", "José Núñez")


def calendly_mirror(frames: Frames, truth: Truth, rng: np.random.Generator) -> None:
    """Every booking-link appointment also appears as the host calendar's own event.

    That is what Calendly writes into Google Calendar: the same booking, a second time,
    with no sign of a booking link. A self-booking client is still not manual scheduling.
    """
    del rng
    appointments = frames["appointments"]
    booked = appointments[appointments["origin"] == "booking_link"]
    if booked.empty:
        return
    mirror = booked.copy()
    mirror["source_id"] = "gcal-" + mirror["source_id"].astype(str)
    mirror["origin"] = mirror["origin"].mask(np.ones(len(mirror), dtype=np.bool_))
    frames["appointments"] = pd.concat([appointments, mirror], ignore_index=True)
    counts = booked["attendee_email"].value_counts()
    regulars = booked[booked["attendee_email"].isin(counts[counts >= MIN_BOOKINGS].index)]
    for row in regulars.drop_duplicates("attendee_email").itertuples():
        decoy(
            truth,
            "manual_scheduling",
            str(row.attendee_email),
            str(row.attendee_name),
            "books through Calendly; the Google Calendar copy is a mirror, not a hand booking",
            of="attendee",
        )
    # The mirror is the same session: it must not look like a session nobody invoiced.
    book = frames["customers"]
    emails = set(booked["attendee_email"].dropna().str.lower())
    clients = book[book["email"].fillna("").str.lower().isin(emails)]
    planted = set(planted_ids(truth, "appointment_to_invoice"))
    for row in clients.itertuples():
        if str(row.source_id) not in planted:
            decoy(
                truth,
                "appointment_to_invoice",
                str(row.source_id),
                str(row.name),
                "the uninvoiced 'session' is the Google Calendar mirror of an invoiced booking",
                of="customer",
            )


def two_names(frames: Frames, truth: Truth, rng: np.random.Generator) -> None:
    """A client keyed in a second system under another name (with a typo) for half its invoices.

    The planted finding stays; the truth lists the second id as an alias, so a finding on
    either id, or on both merged, counts.
    """
    del rng
    customers = planted_ids(truth, "recurring_invoice")[:2]
    invoices = frames["invoices"]
    book = frames["customers"]
    extra: list[dict[str, Any]] = []
    for customer in customers:
        mine = invoices.index[invoices["customer_id"] == customer]
        if len(mine) < 4:
            continue
        alias = f"{customer}-B"
        name = str(invoices.loc[mine[0], "customer_name"])
        variant = _typo(name.replace(" & ", " and ").replace(" Ltd", " Limited"))
        moved = mine[1::2]
        invoices.loc[moved, "customer_id"] = alias
        invoices.loc[moved, "customer_name"] = variant
        source = book[book["source_id"] == customer]
        row = source.iloc[0].to_dict() if len(source) else {"created_at": None, "email": None}
        extra.append(
            {
                "source_id": alias,
                "origin": "manual",
                "created_at": row["created_at"],
                "updated_at": row["created_at"],
                "name": variant,
                "email": row["email"],
            }
        )
        for item in truth["planted"]:
            if item["subject"]["id"] == customer:
                item["subject"]["aliases"] = [*item["subject"].get("aliases", []), alias]
    frames["customers"] = append(book, extra)


def _typo(name: str) -> str:
    """Swap two inner letters of the longest word: the slip a hurried typist makes."""
    words = name.split(" ")
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) >= 4:
        words[longest] = word[:1] + word[2] + word[1] + word[3:]
    return " ".join(words)


def currencies(frames: Frames, truth: Truth, rng: np.random.Generator) -> None:
    """One planted customer is invoiced in euros; another pays the same sum in two currencies.

    Two invoices of the same number in different currencies on one day are two sales, not
    a duplicate.
    """
    invoices = frames["invoices"]
    lines = frames["invoice_lines"]
    planted = planted_ids(truth, "recurring_invoice")
    if planted:
        euro = invoices["customer_id"] == planted[0]
        ids = set(invoices.loc[euro, "source_id"])
        invoices.loc[euro, "currency"] = "EUR"
        for column in ("total", "balance"):
            invoices.loc[euro, column] = (invoices.loc[euro, column] * EUR_PER_GBP).round(2)
        mine = lines["invoice_id"].isin(ids)
        for column in ("unit_price", "amount"):
            lines.loc[mine, column] = (lines.loc[mine, column] * EUR_PER_GBP).round(2)
        payments = frames["payments"]
        paid = payments["invoice_id"].isin(ids)
        payments.loc[paid, "currency"] = "EUR"
        payments.loc[paid, "amount"] = (payments.loc[paid, "amount"] * EUR_PER_GBP).round(2)
    pool = sorted(set(invoices["customer_id"].dropna()) - set(planted))
    if not pool:
        return
    customer = str(rng.choice(pool))
    first = invoices[invoices["customer_id"] == customer].iloc[0].to_dict()
    twin: dict[str, Any] = {
        **{str(k): v for k, v in first.items()},
        "source_id": f"{first['source_id']}-USD",
        "currency": "USD",
    }
    twin["number"] = f"{first['number']}-US"
    frames["invoices"] = append(invoices, [twin])
    why = "same amount on the same day in GBP and USD: two sales, not one keyed twice"
    decoy(truth, "duplicate_entry", customer, str(first["customer_name"]), why, of="customer")


def latin1(frames: Frames, truth: Truth, rng: np.random.Generator) -> None:
    """Files written in Latin-1 (an old desktop export), with accented customer names.

    Nothing about the findings changes; the import must read the names intact.
    """
    book = frames["customers"]
    invoices = frames["invoices"]
    busy = {str(item["subject"]["id"]) for item in truth["planted"] + truth["decoys"]}
    free = [c for c in book["source_id"] if str(c) not in busy]
    for name, customer in zip(
        ACCENTED, rng.choice(free, size=len(ACCENTED), replace=False), strict=False
    ):
        book.loc[book["source_id"] == customer, "name"] = name
        invoices.loc[invoices["customer_id"] == customer, "customer_name"] = name
    truth["encoding"] = "latin-1"
    for stem, frame in frames.items():
        for column in frame.columns:
            if frame[column].dtype.kind in "OUT" or str(frame[column].dtype) == "str":
                dtype = frame[column].dtype
                frame[column] = frame[column].map(_latin1, na_action="ignore").astype(dtype)
        frames[stem] = frame


def _latin1(value: Any) -> Any:
    """Text as Latin-1 can hold it: characters outside it become their closest ASCII."""
    if not isinstance(value, str):
        return value
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return value.translate(_FOLD).encode("latin-1", errors="replace").decode("latin-1")
    return value


_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-"})
