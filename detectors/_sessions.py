"""Identical invoices that the calendar explains: a client seen twice in one day is billed twice.

Two invoices to one customer for the same sum with the same text a day apart look like one
invoice keyed twice. When the calendar holds two sessions with that customer on one day
shortly before (a morning and an afternoon clean, two back-to-back calls), they are two
sales, each billed once. :func:`explained_runs` tells ``duplicate_entry`` which runs of
identical invoices have as many same-day sessions behind them.

Sessions are the held appointments of :mod:`detectors._matching` (cancelled and no-show
ones left out, a booking tool's calendar copy counted once), matched to customers the way
``appointment_to_invoice`` matches them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind
from detectors import _frames as fr
from detectors._matching import matched
from detectors.base import DetectionContext, Frames

#: Columns the calendar side needs, per record kind (read when the frames are given).
SESSION_COLUMNS: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.APPOINTMENT: (
        "source_id",
        "source",
        "start_at",
        "status",
        "attendee_email",
        "attendee_name",
        "origin",
        "mirror_id",
    ),
    RecordKind.CUSTOMER: ("source", "source_id", "name", "email"),
    RecordKind.INVOICE: ("customer_email",),
}
#: Shortest first name used for prefix name matching (as ``appointment_to_invoice``).
MIN_PREFIX_CHARS = 3


def explained_runs(
    runs: pd.DataFrame, frames: Frames, context: DetectionContext, max_lag_days: int
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Per row of ``runs``, True when its run is explained by same-day sessions.

    A run of ``n`` identical invoices (first issued on ``F``, last on ``L``) is explained
    when the customer had at least ``n`` held sessions on one day between ``F -
    max_lag_days`` and ``L``.

    Args:
        runs: Invoice rows with ``source``, ``source_id``, ``issued`` (dates) and ``run``
            (the same value for the invoices of one run).
        frames: The detection frames; without appointments and customers nothing is
            explained.
        context: The detection context (timezone, as-of).
        max_lag_days: Most days from a session to the invoice that bills it.
    """
    explained = np.zeros(len(runs), dtype=bool)
    if runs.empty or any(kind not in frames for kind in SESSION_COLUMNS):
        return explained
    match = matched(frames, context, MIN_PREFIX_CHARS)
    sessions = match.appointments
    if sessions.empty:
        return explained
    run_ids = fr.as_text(runs["source_id"])
    # Only the matched invoices the runs name (a few of them) need a look-up.
    invoices = match.invoices[match.invoices["invoice_id"].isin(run_ids).to_numpy()]
    code_of = pd.Series(
        invoices["customer"].to_numpy(),
        index=pd.MultiIndex.from_arrays([invoices["invoice_source"], invoices["invoice_id"]]),
    )
    code_of = code_of[~code_of.index.duplicated()]
    keys = pd.MultiIndex.from_arrays([fr.as_text(runs["source"]), run_ids])
    customer = code_of.reindex(keys).fillna(-1).to_numpy(dtype=np.int64)
    per_run = pd.DataFrame(
        {"run": runs["run"].to_numpy(), "customer": customer, "issued": runs["issued"].to_numpy()}
    )
    summary = per_run.groupby("run").agg(
        size=("issued", "size"),
        customer=("customer", "max"),
        first=("issued", "min"),
        last=("issued", "max"),
    )
    # Sessions per customer and day, of the runs' customers only (a few of the calendar's);
    # only days with two or more can explain a repeat.
    theirs = np.isin(sessions["customer"].to_numpy(), summary["customer"].to_numpy())
    per_day = sessions[theirs].groupby(["customer", "date"]).size().rename("sessions").reset_index()
    busy = per_day[per_day["sessions"] >= 2]
    candidates = summary.reset_index().merge(busy, on="customer")
    lag = pd.Timedelta(days=max_lag_days)
    inside = (
        (candidates["date"] >= candidates["first"] - lag)
        & (candidates["date"] <= candidates["last"])
        & (candidates["sessions"] >= candidates["size"])
    )
    covered = set(candidates.loc[inside.to_numpy(), "run"])
    explained[per_run["run"].isin(covered).to_numpy()] = True
    return explained
