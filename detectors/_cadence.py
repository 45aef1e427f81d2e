"""Cadence scoring shared by the "same thing keyed by hand every period" detectors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from detectors import _frames as fr
from detectors._codes import frequent, sort_keyed

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
) -> tuple[pd.DataFrame, dict[str, pd.Series[bool]]]:
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
        ``regular_share``, ``amount_cv``, ``typical_amount``, ``skipped``, ``median_gap``) and,
        per cadence name, the mask of rows in each key's latest run.
    """
    # Integer keys: every groupby below would otherwise re-factorize the text keys. The
    # items are sorted by key, so codes in order of appearance are in key order.
    codes, labels = pd.factorize(items["key"])
    items = items.assign(key=codes)
    gaps = fr.to_days(items.groupby("key", sort=False)["issued"].diff())
    runs: dict[str, pd.Series[bool]] = {}
    summaries = []
    for name, days, _ in CADENCES:
        runs[name], summary = _score(items, gaps, days, rules, today)
        summaries.append(summary.assign(cadence=name, cadence_days=days))
    scores = pd.concat(summaries).reset_index()
    scores = scores[scores["qualifies"]].sort_values(
        ["key", "regular_share", "single", "occurrences", "cadence_days"],
        ascending=[True, False, False, False, True],
    )
    best = scores.drop_duplicates("key").reset_index(drop=True)
    return best.assign(key=labels[best["key"].to_numpy()]), runs


def _score(
    items: pd.DataFrame,
    gaps: pd.Series[float],
    days: float,
    rules: CadenceRules,
    today: pd.Timestamp,
) -> tuple[pd.Series[bool], pd.DataFrame]:
    """Mark each key's latest run under one cadence and summarise it per key."""
    key = items["key"]
    tol = max(rules.min_tolerance_days, rules.tolerance * days)
    periods = (gaps / days).round()
    close = (gaps - periods * days).abs() <= tol
    starts = gaps.isna() | (gaps > 2 * days + tol)
    run_no = starts.astype("int64").groupby(key).cumsum()
    in_run = run_no == run_no.groupby(key).transform("max")
    run_gap = in_run & ~starts
    single = run_gap & close & (periods == 1)
    skip = run_gap & close & (periods == 2)
    # One skipped period per run is a holiday or a late month; more is not a schedule.
    first_skip = skip & (skip.astype("int64").groupby(key).cumsum() == 1)
    amounts = items["amount"].where(in_run)
    median = amounts.groupby(key).transform("median")
    frame = pd.DataFrame(
        {
            "key": key,
            "in_run": in_run,
            "gap": run_gap,
            "regular": single | first_skip,
            "single": single,
            "skip": first_skip,
            "last": items["issued"].where(in_run),
            "median": median,
            "deviation": (amounts - median).abs(),
            # Near the typical amount: within twice the allowed variation of the median.
            "near": in_run & ((amounts - median).abs() <= 2 * rules.max_amount_cv * median),
            "gap_days": gaps.where(run_gap),
        }
    )
    summary = frame.groupby("key").agg(
        occurrences=("in_run", "sum"),
        gaps=("gap", "sum"),
        regular=("regular", "sum"),
        single=("single", "sum"),
        skipped=("skip", "sum"),
        last=("last", "max"),
        typical_amount=("median", "first"),
        mad=("deviation", "median"),
        median_gap=("gap_days", "median"),
        near=("near", "sum"),
    )
    summary["regular_share"] = summary["regular"] / summary["gaps"].where(summary["gaps"] > 0)
    positive = summary["typical_amount"].where(summary["typical_amount"] > 0)
    summary["amount_cv"] = (1.4826 * summary["mad"] / positive).fillna(np.inf)
    idle_days = fr.to_days(today - summary["last"])
    summary["qualifies"] = (
        (summary["occurrences"] >= rules.min_occurrences)
        & (summary["regular_share"].fillna(0.0) >= rules.min_regular_share)
        & (summary["amount_cv"] <= rules.max_amount_cv)
        & (
            (summary["near"] >= rules.min_regular_share * summary["occurrences"])
            | (not rules.require_near_amounts)
        )
        & (idle_days <= rules.max_idle_periods * days + tol)
    )
    return in_run, summary


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
        evidence = items[runs[str(row.cadence)] & (items["key"] == row.key)]
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
