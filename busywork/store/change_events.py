"""The event rows a commit appends: one per record written, created or updated or moved on.

A record written for the first time is ``<kind>.created``; one whose content changed is
``<kind>.updated``, unless its status changed, which is reported as the status it moved to
(``invoice.paid``, ``bill.approved`` …) with the status before and after as its detail.
Deletions are ``<kind>.deleted`` (:mod:`busywork.store.ingest`). The rows carry only what
differs between a batch's events; the commit adds the columns they share.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from busywork.store.records import RECORD_MODELS, RecordKind

#: A change of status is reported as its own event type (``invoice.paid`` ...).
STATUS_EVENTS: dict[RecordKind, dict[str, str]] = {
    RecordKind.INVOICE: {"paid": "paid", "void": "voided", "open": "opened", "draft": "drafted"},
    RecordKind.BILL: {
        "awaiting_approval": "submitted",
        "approved": "approved",
        "paid": "paid",
        "void": "voided",
        "draft": "drafted",
    },
    RecordKind.APPOINTMENT: {
        "cancelled": "cancelled",
        "no_show": "no_show",
        "confirmed": "confirmed",
        "tentative": "tentative",
    },
}


def change_events(kind: RecordKind, written: pd.DataFrame, is_new: pd.Series) -> pd.DataFrame:
    """One event row per written record: created, updated, or the status it moved to."""
    if written.empty:
        return event_rows([], [])
    status_events = STATUS_EVENTS.get(kind, {})
    # Two type objects shared by every row, not a million strings made one by one.
    shared = np.array([f"{kind.value}.updated", f"{kind.value}.created"], dtype=object)
    types = shared.take(is_new.to_numpy(dtype=bool).astype(np.intp))
    details: list[dict[str, Any] | None] = [None] * len(written)
    status_column = RECORD_MODELS[kind].status_column
    if status_column:
        new_status = written[status_column].to_numpy()
        old_status = written["status_old"].to_numpy()
        moved = ~is_new.to_numpy() & (new_status != old_status)
        for i in np.flatnonzero(moved):
            types[i] = f"{kind.value}.{status_events.get(new_status[i], 'updated')}"
            details[i] = {"status": new_status[i], "previous": old_status[i]}
    return event_rows(written["source_id"].tolist(), types, details)


def event_rows(
    source_ids: Sequence[str],
    types: Sequence[str] | np.ndarray,
    details: Sequence[dict[str, Any] | None] | None = None,
) -> pd.DataFrame:
    """Event rows without the columns every event of a batch shares (business, kind …)."""
    count = len(source_ids)
    return pd.DataFrame(
        {
            "type": list(types),
            "source_id": list(source_ids),
            "detail": list(details) if details is not None else [None] * count,
        },
        dtype=object,
    )
