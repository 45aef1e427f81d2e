"""Which records repeat an earlier one, and which repeats same-day sessions explain.

:func:`mark_repeats` flags, among records sharing their subject and amount
(:func:`detectors._same_amount.ledger`), each record that repeats an earlier one with the
same content within a few days (or, for bills, the same supplier reference), the record it
repeats, and repeats keyed in a second system. :func:`without_sessions` clears the runs of
identical invoices that as many same-day sessions explain (two sessions, two sales).
``duplicate_entry`` reports the subjects left with enough repeats.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from detectors import _frames as fr
from detectors._same_amount import AMOUNT
from detectors._sessions import explained_runs
from detectors.base import DetectionContext, Frames


def mark_repeats(records: pd.DataFrame, max_gap_days: int, *, by_number: bool) -> pd.DataFrame:
    """Flag each record that repeats an earlier one, and the record it repeats.

    Args:
        records: Those sharing their subject and amount with another (only they can be
            either; :func:`detectors._same_amount.ledger`): a few per cent of a ledger.
        max_gap_days: Most calendar days between a record and its repeat.
        by_number: Also count a record with the same supplier reference (``number``) as
            an earlier one as a repeat, whatever the days between (bills).

    Returns:
        The records sorted by subject, amount, issue date and id, with ``duplicate`` (it
        repeats an earlier one), ``original`` (a duplicate repeats it) and ``cross`` (a
        duplicate keyed in another source than what it repeats).
    """
    if records.empty:
        return records.assign(duplicate=False, original=False, cross=False)
    records = records.sort_values([*AMOUNT, "issued", "source_id"]).reset_index(drop=True)
    same = [*AMOUNT, "content"]
    groups = records.groupby(same, dropna=False, sort=False)
    gap = fr.to_days(groups["issued"].diff())
    duplicate = (gap <= max_gap_days).to_numpy(copy=True)
    cross = duplicate & (groups["source"].shift() != records["source"]).to_numpy()
    if by_number:
        numbered = records["number"].notna()
        repeat = records[numbered].duplicated([*AMOUNT, "number"], keep="first")
        by_reference = repeat[repeat].index.to_numpy()
        by_reference = by_reference[~duplicate[by_reference]]
        duplicate[by_reference] = True
        records.loc[by_reference, "matched"] = "number"
        by_ref = records[numbered].groupby([*AMOUNT, "number"], sort=False)["source"]
        other = (by_ref.transform("nunique") > 1).reindex(records.index, fill_value=False)
        cross |= duplicate & other.to_numpy()
    # The record each duplicate repeats is evidence too (it is the one to keep).
    rows = pd.Series(np.arange(len(records)), index=records.index)
    previous = rows.groupby([records[c] for c in same], dropna=False, sort=False).shift()
    repeated = previous[pd.Series(duplicate, index=records.index) & previous.notna()]
    original = np.zeros(len(records), dtype=bool)
    original[repeated.to_numpy(dtype=np.int64)] = True
    if by_number:
        first_ref = (
            rows[numbered]
            .groupby([records.loc[numbered, c] for c in (*AMOUNT, "number")], sort=False)
            .transform("first")
        )
        original[first_ref[repeat].to_numpy(dtype=np.int64)] = True
    original &= ~duplicate
    return records.assign(duplicate=duplicate, original=original, cross=cross)


def without_sessions(
    records: pd.DataFrame, frames: Frames, context: DetectionContext, max_session_lag_days: int
) -> pd.DataFrame:
    """``records`` with the runs that same-day sessions explain no longer duplicates."""
    if not records["duplicate"].any():
        return records
    group = records.groupby([*AMOUNT, "content"], dropna=False, sort=False)
    # A run: a first record and the duplicates that follow it within its group.
    starts = pd.Series(~records["duplicate"].to_numpy(), index=records.index)
    run = group.ngroup() * len(records) + starts.groupby(group.ngroup()).cumsum()
    with_repeat = run.isin(run[records["duplicate"].to_numpy()])
    runs = records[with_repeat.to_numpy()].assign(run=run[with_repeat])
    explained = pd.Series(False, index=records.index)
    explained[runs.index] = explained_runs(runs, frames, context, max_session_lag_days)
    if not explained.any():
        return records
    keep = ~explained.to_numpy()
    return records.assign(
        duplicate=records["duplicate"].to_numpy() & keep,
        original=records["original"].to_numpy() & keep,
        cross=records["cross"].to_numpy() & keep,
    )
