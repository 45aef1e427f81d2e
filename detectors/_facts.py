"""The facts detectors need from the data, each with its measurement and thresholds.

Every measurement looks at the records up to ``as_of`` only and returns, per row of the
frame the fact is about, whether the row is relevant, whether it carries the fact, and its
source. The thresholds are documented in ``docs/data-coverage.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind
from detectors import _distinct as ds
from detectors import _frames as fr
from detectors import _payments as pay
from detectors._coverage import Fact, Measure
from detectors.base import DetectionContext, Frames

Rows = tuple[np.ndarray, np.ndarray, np.ndarray]
#: Documents that are no invoice (any more), and appointments that did not take place.
_DEAD = frozenset({"void", "draft"})
_CANCELLED = frozenset({"cancelled"})


def _sources(frame: pd.DataFrame) -> np.ndarray:
    """Per row, its source's name ("" for none), from the column's codes (once per pass)."""
    codes, names = ds.text_codes(frame["source"])
    return np.append(names, "")[codes]  # code -1 (null) picks the appended ""


def _payment_dates(frames: Frames, context: DetectionContext) -> Rows:
    """Invoices not known to be unpaid at ``as_of``: which carry a payment date by then.

    An invoice the data calls unpaid needs no date; one that is paid, or that the data says
    nothing about, does, or nobody can tell how long it took to collect.
    """
    raw = frames[RecordKind.INVOICE]
    as_of = fr.as_of(context)
    facts = pay.payment_facts(raw, frames.get(RecordKind.PAYMENT))
    issued = fr.as_dates(raw["issued_on"])
    dated = facts["paid_at"].notna() & (facts["paid_at"] <= as_of)
    # Paid after as_of, by a source that records payments: open at as_of, and known to be.
    later = facts["paid_at"] > as_of
    unpaid = (facts["state"] == pay.UNPAID) | later
    live = ~ds.lowered_in(raw["status"], _DEAD)
    relevant = (issued <= as_of.normalize()) & (dated | ~unpaid) & live
    return relevant.to_numpy(dtype=bool), dated.to_numpy(dtype=bool), _sources(raw)


def _approval_dates(frames: Frames, context: DetectionContext) -> Rows:
    """Hand-entered bills past approval (approved or paid) by ``as_of``: which say when."""
    raw = frames[RecordKind.BILL]
    status = fr.lowered(raw["status"])
    issued = fr.as_dates(raw["issued_on"])
    relevant = (
        fr.is_manual(raw["origin"])
        & status.isin(["approved", "paid"])
        & (issued <= fr.as_of(context).normalize())
    )
    carrying = fr.as_datetimes(raw["approved_at"]).notna()
    return relevant.to_numpy(dtype=bool), carrying.to_numpy(dtype=bool), _sources(raw)


def _attendees(frames: Frames, context: DetectionContext) -> Rows:
    """Appointments held by ``as_of``: which name who they were with (e-mail or name)."""
    raw = frames[RecordKind.APPOINTMENT]
    started = fr.as_datetimes(raw["start_at"])
    relevant = (started <= fr.as_of(context)) & ~ds.lowered_in(raw["status"], _CANCELLED)
    carrying = ~(ds.missing(raw["attendee_email"]) & ds.missing(raw["attendee_name"]))
    return relevant.to_numpy(dtype=bool), carrying, _sources(raw)


def _entry_times(frames: Frames, context: DetectionContext) -> Rows:
    """Hand-keyed journals posted by ``as_of``: which say when they were keyed in."""
    raw = frames[RecordKind.JOURNAL_ENTRY]
    posted = fr.as_dates(raw["posted_on"])
    relevant = fr.is_manual(raw["origin"]) & (posted <= fr.as_of(context).normalize())
    carrying = fr.as_datetimes(raw["created_at"]).notna()
    return relevant.to_numpy(dtype=bool), carrying.to_numpy(dtype=bool), _sources(raw)


def _party(kind: RecordKind, id_column: str, name_column: str) -> Measure:
    """Invoices or bills (not void or draft) issued by ``as_of``: which name their party."""

    def measure(frames: Frames, context: DetectionContext) -> Rows:
        raw = frames[kind]
        issued = fr.as_dates(raw["issued_on"])
        relevant = (issued <= fr.as_of(context).normalize()) & ~ds.lowered_in(raw["status"], _DEAD)
        carrying = ~(ds.missing(raw[id_column]) & ds.missing(raw[name_column]))
        return relevant.to_numpy(dtype=bool), carrying, _sources(raw)

    return measure


PAYMENT_DATES = Fact(
    name="payment_dates",
    label="payment dates",
    rows="invoices",
    columns={
        RecordKind.INVOICE: (*pay.INVOICE_COLUMNS, "issued_on"),
        **pay.OPTIONAL_PAYMENTS,
    },
    measure=_payment_dates,
    threshold=0.5,
    full=0.9,
)
APPROVAL_DATES = Fact(
    name="approval_dates",
    label="approval dates",
    rows="approved bills",
    columns={RecordKind.BILL: ("source", "status", "origin", "issued_on", "approved_at")},
    measure=_approval_dates,
    threshold=0.5,
    full=0.9,
)
ATTENDEES = Fact(
    name="attendees",
    label="attendees",
    rows="appointments",
    columns={
        RecordKind.APPOINTMENT: ("source", "status", "start_at", "attendee_email", "attendee_name")
    },
    measure=_attendees,
    # Internal meetings have no outside attendee, so a calendar is never fully covered.
    threshold=0.1,
    full=0.25,
)
ENTRY_TIMES = Fact(
    name="entry_times",
    label="entry times",
    rows="manual journals",
    columns={RecordKind.JOURNAL_ENTRY: ("source", "origin", "posted_on", "created_at")},
    measure=_entry_times,
    threshold=0.5,
    full=0.9,
)
INVOICE_CUSTOMERS = Fact(
    name="invoice_customers",
    label="customers",
    rows="invoices",
    columns={RecordKind.INVOICE: ("source", "status", "issued_on", "customer_id", "customer_name")},
    measure=_party(RecordKind.INVOICE, "customer_id", "customer_name"),
    # A finding about one customer rests on that customer's invoices alone: only a source
    # that names (almost) nobody stops the check, and partial cover lowers nothing.
    threshold=0.05,
    full=0.05,
)
BILL_VENDORS = Fact(
    name="bill_vendors",
    label="vendors",
    rows="bills",
    columns={RecordKind.BILL: ("source", "status", "issued_on", "vendor_id", "vendor_name")},
    measure=_party(RecordKind.BILL, "vendor_id", "vendor_name"),
    threshold=0.05,
    full=0.05,
)

#: Every fact, by name.
FACTS = {
    fact.name: fact
    for fact in (
        PAYMENT_DATES,
        APPROVAL_DATES,
        ATTENDEES,
        ENTRY_TIMES,
        INVOICE_CUSTOMERS,
        BILL_VENDORS,
    )
}
