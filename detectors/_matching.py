"""Who an appointment was for, and which invoices bill whom: shared by two detectors.

``appointment_to_invoice`` and ``invoice_lag`` both match attendees to customers (e-mail,
then full name, then a first-name prefix with the same last name) and invoices to customers.
On a million records that matching is most of their work, so :func:`matched` computes it
once per detection pass: it remembers the last result together with (weak references to)
the frames it came from, and hands it out again only for those very frames. Detectors never
mutate their inputs, so the same frame objects mean the same answer; the memo is a
convenience of one process, not state: losing it costs only time.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind
from detectors import _frames as fr
from detectors.base import DetectionContext, Frames


@dataclass(frozen=True)
class Matched:
    """Matched records; treat the frames as read-only (they are shared)."""

    #: Known (customer, email, name, label) facts from the customer list and invoices.
    directory: pd.DataFrame
    #: Customer id -> display name.
    names: dict[Any, str]
    #: Non-void invoices up to ``as_of`` with their customer.
    invoices: pd.DataFrame
    #: Held appointments up to ``as_of`` with the customer each attendee matches.
    appointments: pd.DataFrame


_INPUTS = (RecordKind.APPOINTMENT, RecordKind.CUSTOMER, RecordKind.INVOICE)
_lock = threading.Lock()
#: The last (key, weak references to the input frames, result); at most one entry.
_memo: list[tuple[tuple[Any, ...], tuple[weakref.ref[pd.DataFrame], ...], Matched]] = []


def matched(frames: Frames, context: DetectionContext, min_prefix_chars: int) -> Matched:
    """Appointments and invoices of ``frames`` matched to customers (memoised per pass)."""
    inputs = tuple(frames[kind] for kind in _INPUTS)
    key = (*(id(frame) for frame in inputs), context.timezone, context.as_of, min_prefix_chars)
    with _lock:
        last = _memo[0] if _memo else None
    if (
        last is not None
        and last[0] == key
        and all(ref() is frame for ref, frame in zip(last[1], inputs, strict=True))
    ):
        return last[2]
    result = _match(frames, context, min_prefix_chars)
    with _lock:
        _memo[:] = [(key, tuple(weakref.ref(frame) for frame in inputs), result)]
    return result


def _match(frames: Frames, context: DetectionContext, min_prefix_chars: int) -> Matched:
    today = fr.as_of(context).normalize()
    directory, names = _directory(frames[RecordKind.CUSTOMER], frames[RecordKind.INVOICE])
    maps = (_unique_map(directory, "email"), _unique_map(directory, "name"))
    invoices = _invoices(frames[RecordKind.INVOICE], maps, today)
    appointments = _appointments(
        frames[RecordKind.APPOINTMENT], directory, maps, context, min_prefix_chars
    )
    return Matched(directory, names, invoices, appointments)


#: Normalised e-mail -> customer and normalised name -> customer, for unambiguous values.
Maps = tuple["pd.Series[str]", "pd.Series[str]"]


def _appointments(
    raw: pd.DataFrame,
    directory: pd.DataFrame,
    maps: Maps,
    context: DetectionContext,
    min_prefix_chars: int,
) -> pd.DataFrame:
    """Held appointments up to ``as_of`` with the customer each attendee matches."""
    held = ~fr.lowered(raw["status"]).isin(["cancelled", "no_show"])
    started = fr.as_datetimes(raw["start_at"]) <= fr.as_of(context)
    raw = raw[(held & started).to_numpy()]
    frame = pd.DataFrame(
        {
            "appt_id": fr.as_text(raw["source_id"]),
            "appt_source": fr.as_text(raw["source"]),
            "date": fr.local_dates(raw["start_at"], context.timezone).astype("datetime64[ns]"),
            "email": fr.normalise_email(raw["attendee_email"]),
            "name": fr.normalise_name(raw["attendee_name"]),
            "booked_by_hand": fr.is_manual(raw["origin"]),
        }
    ).reset_index(drop=True)
    by_email, by_name = maps
    email_hit = frame["email"].map(by_email).astype("str")
    name_hit = frame["name"].map(by_name).astype("str")
    # Prefix matching is a many-to-many merge on last names: only for the few attendees
    # that neither an e-mail nor the full name identified.
    unmatched = email_hit.isna() & name_hit.isna()
    prefix_hit = pd.Series(pd.NA, index=frame.index, dtype="str")
    if unmatched.any():
        prefix_hit[unmatched] = _prefix_matches(
            frame["name"][unmatched], directory, min_prefix_chars
        )
    frame["customer"] = email_hit.fillna(name_hit).fillna(prefix_hit)
    frame["method"] = np.select(
        [email_hit.notna(), name_hit.notna(), prefix_hit.notna()],
        ["email", "name", "prefix"],
        default="none",
    )
    return frame[frame["customer"].notna()]


def _prefix_matches(
    names: pd.Series[str], directory: pd.DataFrame, min_prefix_chars: int
) -> pd.Series[str]:
    """Customer per attendee name whose last name agrees and first names prefix each other."""
    left = _name_parts(names).reset_index(names="row")
    right = _name_parts(directory["name"].dropna()).assign(customer=directory["customer"])
    pairs = left.merge(right, on="last", suffixes=("", "_c")).drop_duplicates(["row", "customer"])
    result = pd.Series(pd.NA, index=names.index, dtype="str")
    if pairs.empty:
        return result
    first = pairs["first"].to_numpy(dtype=str)
    other = pairs["first_c"].to_numpy(dtype=str)
    short = np.where(np.strings.str_len(first) <= np.strings.str_len(other), first, other)
    long = np.where(np.strings.str_len(first) <= np.strings.str_len(other), other, first)
    ok = np.strings.startswith(long, short) & (np.strings.str_len(short) >= min_prefix_chars)
    hits = pairs[ok]
    unique = hits.groupby("row")["customer"].agg(["nunique", "first"])
    unique = unique[unique["nunique"] == 1]
    result.loc[unique.index] = unique["first"].to_numpy()
    return result


def _directory(
    customers: pd.DataFrame, invoices: pd.DataFrame
) -> tuple[pd.DataFrame, dict[Any, str]]:
    """Known (customer, email, name) facts from the customer list and invoices, plus names."""
    from_customers = pd.DataFrame(
        {
            "customer": fr.as_text(customers["source_id"]),
            "email": fr.normalise_email(customers["email"]),
            "name": fr.normalise_name(customers["name"]),
            "label": fr.as_text(customers["name"]),
        }
    )
    # Invoices repeat their customer's details: normalise each distinct combination once.
    people = invoices[["customer_id", "customer_email", "customer_name"]].drop_duplicates()
    from_invoices = pd.DataFrame(
        {
            "customer": fr.as_text(people["customer_id"]),
            "email": fr.normalise_email(people["customer_email"]),
            "name": fr.normalise_name(people["customer_name"]),
            "label": fr.as_text(people["customer_name"]),
        }
    )
    directory = pd.concat([from_customers, from_invoices], ignore_index=True)
    directory = directory[directory["customer"].notna()].drop_duplicates()
    labels = directory.dropna(subset=["label"]).drop_duplicates("customer")
    return directory.reset_index(drop=True), dict(
        zip(labels["customer"], labels["label"], strict=True)
    )


def _unique_map(directory: pd.DataFrame, column: str) -> pd.Series[str]:
    """``column`` value -> customer, for values that identify exactly one customer."""
    known = directory[[column, "customer"]].dropna().drop_duplicates()
    counts = known[column].value_counts()
    unique = known[known[column].isin(counts[counts == 1].index)]
    return pd.Series(unique["customer"].to_numpy(), index=unique[column].to_numpy(), dtype="str")


def _name_parts(names: pd.Series[str]) -> pd.DataFrame:
    """First and last token of each name with at least two tokens."""
    present = names.dropna()
    codes, distinct = pd.factorize(present)
    parts = pd.Series(distinct, dtype="str").str.extract(r"^(?P<first>\S+) (?:.* )?(?P<last>\S+)$")
    parts = parts.iloc[codes].set_axis(present.index)
    return parts.dropna()


def _invoices(raw: pd.DataFrame, maps: Maps, today: pd.Timestamp) -> pd.DataFrame:
    """Non-void invoices up to ``today`` with their customer (by id, else e-mail, else name)."""
    customer = fr.as_text(raw["customer_id"])
    missing = customer.isna().to_numpy()
    if missing.any():  # only invoices without a customer id need the e-mail and name lookups
        unnamed = raw[missing]
        by_email = fr.normalise_email(unnamed["customer_email"]).map(maps[0]).astype("str")
        by_name = fr.normalise_name(unnamed["customer_name"]).map(maps[1]).astype("str")
        customer[missing] = by_email.fillna(by_name).to_numpy()
    frame = pd.DataFrame(
        {
            "customer": customer,
            "invoice_id": fr.as_text(raw["source_id"]),
            "invoice_source": fr.as_text(raw["source"]),
            "issued": fr.as_dates(raw["issued_on"]).astype("datetime64[ns]"),
            "total": fr.as_money(raw["total"]),
            "manual": fr.is_manual(raw["origin"]),
        }
    )
    keep = (fr.lowered(raw["status"]) != "void") & customer.notna() & (frame["issued"] <= today)
    return frame[keep.to_numpy()].reset_index(drop=True)
