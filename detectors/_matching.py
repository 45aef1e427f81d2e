"""Who an appointment was for, and which invoices bill whom: shared by two detectors.

``appointment_to_invoice`` and ``invoice_lag`` both match attendees to customers (e-mail,
then full name, then a first-name prefix with the same last name, then the entity resolution
of :mod:`detectors._entities`) and invoices to customers. Customers are *resolved entities*:
the same customer in Stripe and QuickBooks, or keyed twice with a typo, is one customer code,
and the links that joined them are kept for the findings' evidence.
On a million records that matching is most of their work, so it is done on integer codes:
every e-mail, name and customer id is cleaned once per distinct value and replaced by a
code, and the "which customer owns this address" questions become array look-ups.

:func:`matched` computes the result once per detection pass
(:func:`detectors._shared.detection_pass`): the detectors of one pass share it, and it is
dropped when the pass ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind
from detectors import _documents as docs
from detectors import _frames as fr
from detectors._codes import first_per_code, look_up, owners, prefix_owners
from detectors._customers import link_evidence, resolve_customers
from detectors._distinct import lowered_in
from detectors._known import known_text
from detectors._mirrors import MIRROR_COLUMNS, one_per_booking
from detectors._nodes import NodeLabels
from detectors._ordering import day_order
from detectors._shared import shared
from detectors._similar_names import without_legal_words
from detectors.base import DetectionContext, EntityLink, Frames


@dataclass(frozen=True)
class Matched:
    """Matched records; treat the frames as read-only (they are shared).

    The ``customer`` column of both frames holds customer codes: positions in
    ``customer_ids`` and ``labels``.
    """

    #: Customer id per customer code.
    customer_ids: np.ndarray[Any, np.dtype[np.object_]]
    #: Display name per customer code (``None`` where no record names the customer).
    labels: np.ndarray[Any, np.dtype[np.object_]]
    #: Non-void invoices up to ``as_of`` with their customer, by issue date (then customer, id).
    invoices: pd.DataFrame
    #: Held appointments up to ``as_of`` with the customer each attendee matches, by date
    #: (then customer, id); ``method`` says how the customer was found.
    appointments: pd.DataFrame
    #: Per customer code: the other ids (``<source>:<id>``) resolved to the same customer.
    alt_ids: np.ndarray[Any, np.dtype[np.object_]]
    #: Links that made several records one customer: ``customer`` (code), ``left``, ``right``
    #: (node codes of ``node_labels``), ``score`` and ``method``.
    links: pd.DataFrame
    #: Each linked node's label (``<source>:<id>``, ``email:…`` or ``name:…``).
    node_labels: NodeLabels

    def evidence(self, customer: int) -> tuple[EntityLink, ...]:
        """The links that joined ``customer``'s records, for a finding's evidence."""
        return link_evidence(self.links, self.node_labels, customer)


#: The name :func:`matched` shares its result under (``Detector.shares``).
MATCHED = "matched"
_INPUTS = (RecordKind.APPOINTMENT, RecordKind.CUSTOMER, RecordKind.INVOICE)


def matched(frames: Frames, context: DetectionContext, min_prefix_chars: int) -> Matched:
    """Appointments and invoices of ``frames`` matched to customers (shared within a pass)."""
    return shared(
        MATCHED,
        tuple(frames[kind] for kind in _INPUTS),
        (context.timezone, context.as_of, min_prefix_chars),
        lambda: _match(frames, context, min_prefix_chars),
    )


def _match(frames: Frames, context: DetectionContext, min_prefix_chars: int) -> Matched:
    customers, invoices = frames[RecordKind.CUSTOMER], frames[RecordKind.INVOICE]
    appointments = _held(frames[RecordKind.APPOINTMENT], context)
    # Rows in this order: customers, invoices, appointments. Customers come from the first
    # two (resolved across sources); e-mails and names from all three, so that equal values
    # share one code.
    # Each text column is coded once: the raw codes find the distinct party rows, their
    # cleaned values match attendees.
    # The records' columns are coded once per pass (:mod:`detectors._known`).
    # The records' own values are cleaned once per pass too (:meth:`KnownText.cleaned`).
    known_emails, known_names = known_text(customers, "email"), known_text(customers, "name")
    # The held appointments are rows of the loaded frame: their codes are its column's
    # (:func:`detectors._distinct.text_codes`), and only distinct values are looked up.
    raw_emails = known_emails.then(invoices["customer_email"], appointments["attendee_email"])
    raw_names = known_names.then(invoices["customer_name"], appointments["attendee_name"])
    emails = known_emails.cleaned(raw_emails, fr.clean_email)
    names = known_names.cleaned(raw_names, fr.clean_name)
    directory = resolve_customers(
        customers,
        invoices,
        appointments,
        coded={"email": raw_emails.codes, "name": raw_names.codes},
        # Names as matching compares them: the cleaned names without legal words, each
        # cleaned name stripped once (the same codes as cleaning with match_name).
        cleaned={"email": emails, "name": names.cleaned(without_legal_words)},
    )
    known = len(customers) + len(invoices)  # directory rows: customers and invoices
    customer = directory.code[:known]
    size = len(directory.ids)
    by_email = owners(emails.codes[:known], customer, len(emails.values))
    by_name = owners(names.codes[:known], customer, len(names.values))
    labels = first_per_code(customer, raw_names.codes[:known], raw_names.values, size)
    invoice_rows = slice(len(customers), known)
    invoice_customer = _fallback(
        customer[invoice_rows],
        emails.codes[invoice_rows],
        names.codes[invoice_rows],
        by_email,
        by_name,
    )
    attendees = slice(known, None)
    email_hit = look_up(by_email, emails.codes[attendees])
    name_hit = look_up(by_name, names.codes[attendees])
    prefix_hit = np.full(len(appointments), -1, dtype=np.int64)
    unmatched = (email_hit < 0) & (name_hit < 0) & (names.codes[attendees] >= 0)
    if unmatched.any():
        by_prefix = prefix_owners(
            names.values,
            names.codes[:known],
            customer,
            names.codes[attendees][unmatched],
            min_prefix_chars,
        )
        prefix_hit[unmatched] = by_prefix
    # Last, the entity the attendee resolved to (a typo'd or differently written name).
    entity_hit = directory.code[known:]
    return Matched(
        customer_ids=directory.ids,
        labels=labels,
        invoices=_invoices(invoices, invoice_customer, fr.as_of(context).normalize()),
        appointments=_appointments(
            appointments, email_hit, name_hit, prefix_hit, entity_hit, context
        ),
        alt_ids=directory.alt_ids,
        links=directory.links,
        node_labels=directory.labels,
    )


#: The appointment columns :func:`_match` and :func:`_held` read.
_MATCHING_COLUMNS = frozenset((*MIRROR_COLUMNS, "mirror_id"))
#: Those the held appointments keep: who attended, which appointment, when, made how.
_HELD_COLUMNS = ("source", "source_id", "start_at", "origin", "attendee_email", "attendee_name")


def _held(raw: pd.DataFrame, context: DetectionContext) -> pd.DataFrame:
    """Appointments that were held (not cancelled, not no-shows) and started by ``as_of``."""
    # A booking tool's calendar copy is the same session: one appointment, self-booked. The
    # copies go first, so a no-show the booking tool knows of is not held in its copy.
    # Only the columns matching reads: the copies below are not made of the others.
    raw = one_per_booking(raw[[name for name in raw.columns if name in _MATCHING_COLUMNS]])
    held = ~lowered_in(raw["status"], _NOT_HELD)
    started = (fr.as_datetimes(raw["start_at"]) <= fr.as_of(context)).to_numpy()
    # Kept for the whole matching: without the columns only the filters above read.
    return raw.loc[held & started, list(_HELD_COLUMNS)]


#: Statuses (trimmed, lower case) of appointments that did not take place.
_NOT_HELD = frozenset(("cancelled", "no_show"))


def _fallback(
    customer: np.ndarray[Any, np.dtype[np.int64]],
    email: np.ndarray[Any, np.dtype[np.int64]],
    name: np.ndarray[Any, np.dtype[np.int64]],
    by_email: np.ndarray[Any, np.dtype[np.int64]],
    by_name: np.ndarray[Any, np.dtype[np.int64]],
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """The customer id's code; without an id, the customer the e-mail, else the name, names."""
    guess = look_up(by_email, email)
    guess = np.where(guess >= 0, guess, look_up(by_name, name))
    return np.where(customer >= 0, customer, guess)


#: The status (trimmed, lower case) of a cancelled invoice.
_VOID = frozenset(("void",))
#: How an attendee's customer was found, by code (the last: not found).
_METHODS = np.array(["email", "name", "prefix", "entity", "none"], dtype=object)


def _appointments(
    raw: pd.DataFrame,
    email_hit: np.ndarray[Any, np.dtype[np.int64]],
    name_hit: np.ndarray[Any, np.dtype[np.int64]],
    prefix_hit: np.ndarray[Any, np.dtype[np.int64]],
    entity_hit: np.ndarray[Any, np.dtype[np.int64]],
    context: DetectionContext,
) -> pd.DataFrame:
    """Matched appointments with their customer code and how it was found."""
    customer = np.where(
        email_hit >= 0,
        email_hit,
        np.where(name_hit >= 0, name_hit, np.where(prefix_hit >= 0, prefix_hit, entity_hit)),
    )
    frame = pd.DataFrame(
        {
            "appt_id": fr.as_text(raw["source_id"]),
            "appt_source": fr.as_text(raw["source"]),
            "date": fr.local_dates(raw["start_at"], context.timezone).astype("datetime64[ns]"),
            "booked_by_hand": fr.is_manual(raw["origin"]),
            "customer": customer,
            # One string object per method, not one per appointment.
            "method": _METHODS[
                np.select(
                    [email_hit >= 0, name_hit >= 0, prefix_hit >= 0, entity_hit >= 0],
                    [0, 1, 2, 3],
                    default=4,
                )
            ],
        }
    )
    frame = frame[customer >= 0]
    order = day_order(frame["date"], frame["customer"].to_numpy(), frame["appt_id"])
    return frame.take(order).reset_index(drop=True)


def _invoices(
    raw: pd.DataFrame, customer: np.ndarray[Any, np.dtype[np.int64]], today: pd.Timestamp
) -> pd.DataFrame:
    """Non-void sales invoices up to ``today`` that have a customer, with its code."""
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
    keep = ~lowered_in(raw["status"], _VOID) & (customer >= 0) & docs.is_sales_invoice(raw)
    frame = frame[keep & (frame["issued"] <= today).to_numpy()]
    order = day_order(frame["issued"], frame["customer"].to_numpy(), frame["invoice_id"])
    return frame.take(order).reset_index(drop=True)
