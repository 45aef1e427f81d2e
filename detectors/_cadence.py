"""Cadence scoring shared by the "same thing keyed by hand every period" detectors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detectors import _frames as fr
from detectors._codes import frequent
from detectors._ordering import sort_keyed
from detectors._sorted_groups import Bools, Floats, Ints, SortedGroups

#: Cadences looked for: name, days per period, and the phrase used in messages.
CADENCES: tuple[tuple[str, float, str], ...] = (
    ("weekly", 7.0, "week"),
    ("fortnightly", 14.0, "two weeks"),
    ("monthly", fr.DAYS_PER_MONTH, "month"),
    ("quarterly", 365.25 / 4, "quarter"),
)


@dataclass(frozen=True)
class CadenceRules:
    """What makes a run of records a schedule (the detectors' shared parameters)."""

    min_occurrences: int
    min_regular_share: float
    max_amount_cv: float
    tolerance: float
    min_tolerance_days: float
    max_idle_periods: float
    #: Also require most amounts near the typical one (journals and bills vary more than
    #: invoices, and a robust CV alone lets a few close values of a varying series through).
    require_near_amounts: bool = True


def unit_of(cadence: str) -> str:
    """The phrase for one period of ``cadence`` ("month")."""
    return next(phrase for name, _, phrase in CADENCES if name == cadence)


def spread_words(cv: float) -> str:
    """How much a series' amounts vary, in words: "the same every time" below half a percent."""
    if cv < 0.005:
        return "the same amount every time"
    return f"amounts vary by about {cv:.0%}"


def best_runs(
    items: pd.DataFrame, rules: CadenceRules, today: pd.Timestamp
) -> tuple[pd.DataFrame, dict[str, Bools]]:
    """Score every key's latest run under each cadence and keep the best qualifying cadence.

    Args:
        items: Columns ``key``, ``issued`` (midnight ``datetime64``) and ``amount``, sorted by
            key then issue date, with a default ``RangeIndex``.
        rules: The thresholds.
        today: Runs whose last record is too long before this are over.

    Returns:
        A run qualifies with enough records, enough gaps on schedule, a small robust
        coefficient of variation *and* at least ``min_regular_share`` of its amounts within
        twice ``max_amount_cv`` of the median: the robust CV alone ignores up to half of the
        amounts, which lets a few coincidentally close values of a varying journal through.

        One row per qualifying key (``key``, ``cadence``, ``cadence_days``, ``occurrences``,
        ``regular_share``, ``single``, ``amount_cv``, ``typical_amount``, ``skipped``,
        ``median_gap``) and, per cadence name, the mask of rows in each key's latest run.
    """
    # The items are sorted by key, so codes in order of appearance are in key order and
    # each key's rows are contiguous: every per-key figure is one numpy reduction (a pandas
    # group-by's fixed cost is most of the time on the few hundred rows scored here).
    codes, labels = pd.factorize(items["key"])
    keyed = _Keyed.of(items, codes.astype(np.int64, copy=False))
    runs: dict[str, Bools] = {}
    summaries = []
    for name, days, _ in CADENCES:
        runs[name], summary = _score(keyed, days, rules, today)
        summaries.append(summary.assign(cadence=name, cadence_days=days))
    scores = pd.concat(summaries, ignore_index=True)
    scores = scores[scores["qualifies"]].sort_values(
        ["key", "regular_share", "single", "occurrences", "cadence_days"],
        ascending=[True, False, False, False, True],
    )
    best = scores.drop_duplicates("key").reset_index(drop=True)
    return best.assign(key=labels[best["key"].to_numpy()]), runs


@dataclass(frozen=True)
class _Keyed:
    """The sorted items as arrays, and their keys' groups of rows."""

    groups: SortedGroups
    #: Days since the key's previous record (NaN for its first).
    gaps: Floats
    #: Issue dates as ``datetime64`` integers (NaT the smallest integer).
    stamps: Ints
    #: The ``datetime64`` type of the issue dates.
    stamp_type: np.dtype[Any]
    amounts: Floats

    @classmethod
    def of(cls, items: pd.DataFrame, codes: Ints) -> _Keyed:
        """``items`` (sorted by key, then issue date) with their keys' ``codes``."""
        groups = SortedGroups(codes)
        issued = items["issued"].to_numpy()
        gaps = fr.to_days(items["issued"].diff().where(~groups.first))
        return cls(
            groups=groups,
            gaps=np.asarray(gaps, dtype=np.float64),
            stamps=issued.view(np.int64),
            stamp_type=issued.dtype,
            amounts=items["amount"].to_numpy(dtype=np.float64, na_value=np.nan),
        )


def _score(
    keyed: _Keyed, days: float, rules: CadenceRules, today: pd.Timestamp
) -> tuple[Bools, pd.DataFrame]:
    """Mark each key's latest run under one cadence and summarise it per key."""
    groups, gaps = keyed.groups, keyed.gaps
    tol = max(rules.min_tolerance_days, rules.tolerance * days)
    periods = np.round(gaps / days)
    with np.errstate(invalid="ignore"):  # NaN gaps compare False
        close = np.abs(gaps - periods * days) <= tol
        starts = np.isnan(gaps) | (gaps > 2 * days + tol)
    in_run = groups.last_from(starts)  # a key's first record (no gap) starts a run
    run_gap = in_run & ~starts
    single = run_gap & close & (periods == 1)
    skip = run_gap & close & (periods == 2)
    # One skipped period per run is a holiday or a late month; more is not a schedule.
    first_skip = skip & (groups.running_count(skip) == 1)
    amounts = np.where(in_run, keyed.amounts, np.nan)
    typical = groups.median(amounts)
    deviation = np.abs(amounts - typical[groups.of])
    occurrences, gap_count = groups.sum(in_run), groups.sum(run_gap)
    with np.errstate(invalid="ignore"):
        # Near the typical amount: within twice the allowed variation of the median.
        near = in_run & (deviation <= 2 * rules.max_amount_cv * typical[groups.of])
        regular_share = groups.sum(single | first_skip) / np.where(gap_count > 0, gap_count, np.nan)
        amount_cv = 1.4826 * groups.median(deviation) / np.where(typical > 0, typical, np.nan)
    amount_cv[np.isnan(amount_cv)] = np.inf
    last = groups.max(np.where(in_run, keyed.stamps, _NOT_A_TIME)).view(keyed.stamp_type)
    idle_days = fr.to_days(today - pd.Series(last)).to_numpy()
    with np.errstate(invalid="ignore"):  # no last date: NaN idle days do not qualify
        qualifies = (
            (occurrences >= rules.min_occurrences)
            & (np.nan_to_num(regular_share, nan=0.0) >= rules.min_regular_share)
            & (amount_cv <= rules.max_amount_cv)
            & (
                (groups.sum(near) >= rules.min_regular_share * occurrences)
                | (not rules.require_near_amounts)
            )
            & (idle_days <= rules.max_idle_periods * days + tol)
        )
    summary = pd.DataFrame(
        {
            "key": np.arange(len(groups.starts)),
            "occurrences": occurrences,
            "single": groups.sum(single),
            "skipped": groups.sum(first_skip),
            "typical_amount": typical,
            "median_gap": groups.median(np.where(run_gap, gaps, np.nan)),
            "regular_share": regular_share,
            "amount_cv": amount_cv,
            "qualifies": qualifies,
        }
    )
    return in_run, summary


#: NaT as a ``datetime64`` integer: below every date, so a maximum skips it.
_NOT_A_TIME = np.iinfo(np.int64).min


def run_confidence(occurrences: float, share: float, cv: float, max_cv: float) -> float:
    """Support, regularity and amount stability combined into a 0-1 confidence."""
    stability = max(0.0, 1.0 - 0.5 * cv / max_cv) if max_cv else 1.0
    return fr.clamp01(0.5 * fr.support_score(occurrences, 3.0) + 0.3 * share + 0.2 * stability)


@dataclass(frozen=True)
class Run:
    """One subject's recurring run: its evidence rows and the measured figures."""

    key: str
    evidence: pd.DataFrame
    cadence_days: float
    unit: str
    first: pd.Timestamp
    last: pd.Timestamp
    occurrences: int
    per_month: float
    typical_amount: float
    amount_cv: float
    regular_share: float
    skipped: float
    median_gap: float

    def metrics(self, rate_name: str) -> dict[str, float]:
        """The documented metrics of a cadence finding; ``rate_name`` names the per-month rate."""
        return {
            "cadence_days": round(self.cadence_days, 2),
            "occurrences": float(self.occurrences),
            "typical_amount": round(self.typical_amount, 2),
            "amount_cv": round(self.amount_cv, 4),
            "regular_share": round(self.regular_share, 4),
            "skipped_periods": self.skipped,
            "median_gap_days": self.median_gap,
            rate_name: round(self.per_month, 4),
        }


def find_runs(items: pd.DataFrame, rules: CadenceRules, today: pd.Timestamp) -> list[Run]:
    """Every subject's best current run in ``items``.

    Args:
        items: One row per record: ``key`` (the subject), ``issued``, ``amount`` and
            ``source_id``, in any order.
        rules: The thresholds.
        today: Runs whose last record is too long before this are over.
    """
    items = frequent(items, rules.min_occurrences)
    if items.empty:  # no subject has enough records: skip the per-cadence scoring
        return []
    items = sort_keyed(items, "issued")
    best, runs = best_runs(items, rules, today)
    found: list[Run] = []
    for row in best.itertuples(index=False):
        evidence = items[runs[str(row.cadence)] & (items["key"] == row.key).to_numpy()]
        cadence_days = float(row.cadence_days)  # type: ignore[arg-type]
        first, last = evidence["issued"].min(), evidence["issued"].max()
        months = fr.months_covered(first, last + pd.Timedelta(days=cadence_days - 1))
        found.append(
            Run(
                key=str(row.key),
                evidence=evidence,
                cadence_days=cadence_days,
                unit=unit_of(str(row.cadence)),
                first=first,
                last=last,
                occurrences=len(evidence),
                per_month=len(evidence) / months,
                typical_amount=float(row.typical_amount),  # type: ignore[arg-type]
                amount_cv=float(row.amount_cv),  # type: ignore[arg-type]
                regular_share=float(row.regular_share),  # type: ignore[arg-type]
                skipped=float(row.skipped),  # type: ignore[arg-type]
                median_gap=float(row.median_gap),  # type: ignore[arg-type]
            )
        )
    return found
