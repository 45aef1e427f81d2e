"""One booking seen in two calendars is one appointment: recognise the copies, keep one row.

A booking tool writes each booking into the host's calendar too: Calendly's scheduled event
names the Google or Outlook event it wrote (``calendar_event.external_id``, stored as
``mirror_id``), and the Google or Outlook copy says "Powered by Calendly" in its description
(the connectors then give it the ``booking_link`` origin). With both tools connected, the
booking arrives twice. Counting both would report a self-booking client as booked by hand,
double their hours on the calendar, and leave one of every two sessions "uninvoiced".

Two rules link a copy to the row that is kept:

1. **named** -- a row's ``mirror_id`` is another source's ``source_id``;
2. **same slot** -- rows with the same start instant and the same attendee (normalised
   e-mail, else name): one person cannot attend two meetings at once. The rows must come
   from *different* sources, or, within one source (exports of two calendars merged into
   one file), one must be a booking-link booking and the other of unknown origin: the copy
   a booking tool writes carries no sign of how it was made.

The kept row is the one that names its copy, else an automated one (booking link first),
else the one whose status says more (a no-show or cancellation), then by source and id so
the choice never depends on row order. It is marked automated when any row of the booking
is: a booking its copy shows was self-booked counts as self-booked.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from detectors import _distinct as ds
from detectors import _frames as fr

#: Columns :func:`one_per_booking` reads (``mirror_id`` is used when the frame has it).
MIRROR_COLUMNS = (
    "source",
    "source_id",
    "start_at",
    "status",
    "attendee_email",
    "attendee_name",
    "origin",
)
_INFORMATIVE_STATUSES = ("no_show", "cancelled")

Bools = np.ndarray[Any, np.dtype[np.bool_]]


def mirror_pairs(raw: pd.DataFrame) -> pd.DataFrame:
    """The copies in an appointment frame: one row per (kept, copy) pair.

    Returns:
        Columns ``kept`` and ``copy`` (positions in ``raw``), ``kept_id``, ``copy_id``,
        ``copy_source`` and ``rule`` (``named`` or ``same_slot``); no rows when every
        booking is seen once.
    """
    empty = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in _PAIR_DTYPES.items()})
    if raw.empty or not _may_hold_copies(raw):
        return empty
    source = fr.as_text(raw["source"]).to_numpy(dtype=object)
    named = _named(raw, source)
    copies = np.zeros(len(raw), dtype=bool)
    copies[named[:, 1]] = True
    slot = _same_slot(raw, source, copies)
    pairs = np.concatenate([named, slot])
    rules = np.array(["named"] * len(named) + ["same_slot"] * len(slot), dtype=object)
    if not len(pairs):
        return empty
    ids = _ids(raw)
    return pd.DataFrame(
        {
            "kept": pairs[:, 0],
            "copy": pairs[:, 1],
            "kept_id": ids[pairs[:, 0]],
            "copy_id": ids[pairs[:, 1]],
            "copy_source": source[pairs[:, 1]],
            "rule": rules,
        }
    )


def one_per_booking(raw: pd.DataFrame) -> pd.DataFrame:
    """``raw`` without the copies :func:`mirror_pairs` finds.

    A kept row's origin becomes ``booking_link`` when a copy of it was automated and it was
    not. When the frame has a ``calendar`` column, a kept row takes its copy's calendar: a
    booking tool's booking occupies the host's calendar it was written into, not a calendar
    of the tool's own. The input is never mutated; without copies it is returned as it is.
    """
    pairs = mirror_pairs(raw)
    if pairs.empty:
        return raw
    automated = ~fr.is_manual(raw["origin"]).to_numpy()
    kept, copy = pairs["kept"].to_numpy(), pairs["copy"].to_numpy()
    lift = np.zeros(len(raw), dtype=bool)
    lift[kept[automated[copy] & ~automated[kept]]] = True
    out = raw.copy()
    if lift.any():
        origin = out["origin"].astype(object).to_numpy(copy=True)
        origin[lift] = "booking_link"
        out["origin"] = origin
    if "calendar" in out.columns:
        calendar = out["calendar"].astype(object).to_numpy(copy=True)
        host = calendar[copy]
        named = pd.notna(host) & (fr.as_text(pd.Series(host)).fillna("").to_numpy() != "")
        calendar[kept[named]] = host[named]
        out["calendar"] = calendar
    keep = np.ones(len(raw), dtype=bool)
    keep[copy] = False
    return out[keep]


_PAIR_DTYPES = {
    "kept": "int64",
    "copy": "int64",
    "kept_id": "object",
    "copy_id": "object",
    "copy_source": "object",
    "rule": "object",
}


def _ids(raw: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.object_]]:
    """The rows' ``source_id`` as text: read only where copies are named or found."""
    return fr.as_text(raw["source_id"]).to_numpy(dtype=object)


def _named(raw: pd.DataFrame, source: Any) -> np.ndarray[Any, np.dtype[np.int64]]:
    """(kept, copy) positions where a row's ``mirror_id`` is another source's id."""
    none = np.empty((0, 2), dtype=np.int64)
    if "mirror_id" not in raw.columns:
        return none
    mirror = fr.as_text(raw["mirror_id"]).to_numpy(dtype=object)
    naming = np.flatnonzero(pd.notna(mirror) & (mirror != ""))
    if not len(naming):
        return none
    position = pd.Series(np.arange(len(raw)), index=pd.Index(_ids(raw)))
    position = position[~position.index.duplicated(keep=False)]  # an id two sources share
    hit = position.reindex(mirror[naming]).to_numpy()
    found = ~np.isnan(hit)
    kept, copy = naming[found], hit[found].astype(np.int64)
    other = (source[kept] != source[copy]) & (kept != copy)
    kept, copy = kept[other], copy[other]
    _, first = np.unique(copy, return_index=True)  # a copy belongs to one booking
    return np.stack([kept[first], copy[first]], axis=1).astype(np.int64)


def _same_slot(
    raw: pd.DataFrame, source: Any, taken: np.ndarray[Any, np.dtype[np.bool_]]
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """(kept, copy) positions of rows of different sources with the same start and attendee.

    Rows already found as copies (``taken``) are left out.
    """
    start = fr.as_datetimes(raw["start_at"])
    linked_rows, unknown_rows = _linked_and_unknown(raw["origin"])
    timed = np.flatnonzero(start.notna().to_numpy() & ~taken)
    # Copies share their start instant. Only instants that hold two sources, or a booking
    # link's booking and a row of unknown origin, can hold a copy: the attendees (the costly
    # part, text cleaning) are looked at on those rows alone, usually none at all.
    rows = timed[
        _copy_instants(
            start.to_numpy()[timed], source[timed], linked_rows[timed], unknown_rows[timed]
        )
    ]
    who = fr.subject_key(raw["attendee_email"].iloc[rows], raw["attendee_name"].iloc[rows], "email")
    rows = rows[who.notna().to_numpy()]
    if len(rows) < 2:
        return np.empty((0, 2), dtype=np.int64)
    # A slot per (start, attendee) pair, numbered in order of first appearance.
    when = pd.factorize(start.to_numpy()[rows])[0]
    attendee = pd.factorize(who.dropna().to_numpy(dtype=object))[0]
    slot, _ = pd.factorize(when.astype(np.int64) * (int(attendee.max()) + 1) + attendee)
    status = fr.lowered(raw["status"]) if "status" in raw.columns else None
    informative = (
        status.isin(_INFORMATIVE_STATUSES).to_numpy()[rows]
        if status is not None
        else np.zeros(len(rows), dtype=bool)
    )
    names_copy = (
        fr.as_text(raw["mirror_id"]).notna().to_numpy()[rows]
        if "mirror_id" in raw.columns
        else np.zeros(len(rows), dtype=bool)
    )
    automated = ~fr.is_manual(raw["origin"]).to_numpy()[rows]
    ids = _ids(raw)[rows]
    frame = pd.DataFrame(
        {
            "slot": slot,
            "row": rows,
            "source": source[rows],
            "names": ~names_copy,  # False sorts first: preferred rows lead their slot
            "auto": ~automated,
            "info": ~informative,
            "id": ids,
            "linked": linked_rows[rows],
            "unknown": unknown_rows[rows],
        }
    )
    by_slot = frame.groupby("slot")
    two_sources = by_slot["source"].transform("nunique").to_numpy() > 1
    link_and_copy = by_slot["linked"].transform("any") & by_slot["unknown"].transform("any")
    frame = frame[two_sources | link_and_copy.to_numpy()]
    if frame.empty:
        return np.empty((0, 2), dtype=np.int64)
    frame = frame.sort_values(["slot", "names", "auto", "info", "source", "id"], kind="stable")
    lead = frame.groupby("slot")[["row", "source", "linked"]].transform("first")
    other_source = frame["source"] != lead["source"]
    tool_copy = lead["linked"].astype(bool) & frame["unknown"]
    copy = (frame["row"] != lead["row"]) & (other_source | tool_copy)
    return np.stack(
        [lead["row"].to_numpy()[copy.to_numpy()], frame["row"].to_numpy()[copy.to_numpy()]],
        axis=1,
    ).astype(np.int64)


def _booking_link(origin: str) -> bool:
    return ds.clean_lowered(origin) == "booking_link"


def _linked_and_unknown(origin: pd.Series[Any]) -> tuple[Bools, Bools]:
    """Per row, whether its origin is ``booking_link``, and whether it says nothing.

    The column is coded once and both questions are asked of its distinct values (and of
    null, last): :func:`detectors._frames.is_unknown_origin` counts a null as unknown.
    """
    codes, uniques = pd.factorize(fr.as_text(origin).to_numpy(dtype=object))
    distinct = pd.Series([*uniques, None], dtype=object)
    linked = ds.per_distinct_test(distinct, _booking_link, False)[codes]
    unknown = fr.is_unknown_origin(distinct).to_numpy()[codes]  # code -1: the null, last
    return linked, unknown


def _may_hold_copies(raw: pd.DataFrame) -> bool:
    """False when no row of ``raw`` can be a copy: read before any start or attendee.

    No row names a copy (``mirror_id`` all null), and every row has the same source with
    no booking-link booking beside a row of unknown origin: no start instant can then hold
    the two sources, or the booking and its copy, that :func:`_same_slot` pairs.
    """
    if "mirror_id" in raw.columns and raw["mirror_id"].notna().to_numpy().any():
        return True
    source = raw["source"].to_numpy(dtype=object)
    if not (source == source[0]).all():  # a null anywhere: not known to be one source
        return True
    linked, unknown = _linked_and_unknown(raw["origin"])
    return bool(linked.any() and unknown.any())


def _copy_instants(
    start: np.ndarray[Any, Any],
    source: np.ndarray[Any, Any],
    linked: np.ndarray[Any, np.dtype[np.bool_]],
    unknown: np.ndarray[Any, np.dtype[np.bool_]],
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Per row, whether its start instant holds two sources, or a linked and an unknown row.

    A missing source counts as a source of its own here: the rows kept are a superset of
    those :func:`_same_slot` pairs, never fewer.
    """
    if not len(start):
        return np.zeros(0, dtype=bool)
    when = pd.factorize(start)[0]
    sources = pd.factorize(source)[0] + 1  # null (-1) becomes a value of its own
    width = int(sources.max()) + 1
    pairs = np.unique(when.astype(np.int64) * width + sources)
    instants = int(when.max()) + 1
    two_sources = np.bincount(pairs // width, minlength=instants) > 1
    link_and_copy = (np.bincount(when, weights=linked, minlength=instants) > 0) & (
        np.bincount(when, weights=unknown, minlength=instants) > 0
    )
    return (two_sources | link_and_copy)[when]
