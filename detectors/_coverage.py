"""Facts a detector needs from the data, and how much of this business's data carries them.

A detector declares its facts (:attr:`detectors.base.Detector.facts`). Each fact says which
rows it is about (invoices past their payment, bills past approval, held appointments …)
and which of those carry it. Its *coverage* is that share, measured once per pass over the
records up to ``as_of``, per source too so a reason can name the one that lacks it:

* below the fact's ``threshold`` the detector does not report, and the pass says why in
  plain words ("no payment dates in `shop`: payment speed not checked");
* between ``threshold`` and ``full`` it reports with its confidence scaled by
  ``share / full``, and its summary says how much of the data carried the fact;
* a fact with no relevant rows at all is no reason to stop (there is nothing to misread).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind

if TYPE_CHECKING:
    # Types only: the detector base class builds on this module.
    from detectors.base import Candidate, DetectionContext, Detector, Frames

#: Which rows a fact is about, which of them carry it, and their source names.
Measure = Callable[["Frames", "DetectionContext"], tuple[np.ndarray, np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Fact:
    """Something a detector needs the data to say, and how to tell whether it does.

    Args:
        name: Stable identifier in the JSON document (``payment_dates``).
        label: Plural words for the reason ("payment dates").
        rows: What the relevant rows are ("invoices").
        columns: Columns :attr:`measure` reads, per record kind (a subset of the
            detector's inputs; kinds the detector takes optionally may be absent).
        measure: The vectorised measurement.
        threshold: Below this share the detector does not report.
        full: From this share on, confidence is not lowered.
    """

    name: str
    label: str
    rows: str
    columns: Mapping[RecordKind, tuple[str, ...]]
    measure: Measure = field(compare=False, repr=False)
    threshold: float
    full: float


@dataclass(frozen=True)
class FactCoverage:
    """How much of the relevant data carries one fact."""

    fact: Fact
    #: Relevant rows, and how many carry the fact.
    rows: int
    carrying: int
    #: Share carrying the fact per source, for sources with relevant rows.
    by_source: Mapping[str, float]

    @property
    def share(self) -> float | None:
        """Share of relevant rows that carry the fact; None when no row is relevant."""
        return None if self.rows == 0 else self.carrying / self.rows

    @property
    def checked(self) -> bool:
        """Whether there is enough of the fact to report on."""
        return self.share is None or self.share >= self.fact.threshold

    @property
    def scale(self) -> float:
        """The factor a finding's confidence is multiplied by (1 when fully covered)."""
        share = self.share
        if share is None or share >= self.fact.full or self.fact.full <= 0:
            return 1.0
        return share / self.fact.full

    def lacking_sources(self) -> list[str]:
        """Sources below the threshold (every source when none is on its own)."""
        low = [name for name, share in self.by_source.items() if share < self.fact.threshold]
        return sorted(low or self.by_source)

    def to_json(self) -> dict[str, Any]:
        """The fact's entry in the ``coverage`` object of the JSON document."""
        share = self.share
        return {
            "fact": self.fact.name,
            "label": self.fact.label,
            "rows": self.rows,
            "carrying": self.carrying,
            "share": None if share is None else round(share, 4),
            "threshold": self.fact.threshold,
            "full": self.fact.full,
            "by_source": {name: round(value, 4) for name, value in sorted(self.by_source.items())},
        }


@dataclass(frozen=True)
class Coverage:
    """A detector's facts as measured in one pass: whether it could check, and why not."""

    kind: str
    checks: str
    facts: tuple[FactCoverage, ...] = ()

    @property
    def checked(self) -> bool:
        """Whether every fact the detector needs is covered enough."""
        return all(item.checked for item in self.facts)

    @property
    def scale(self) -> float:
        """The factor the detector's confidences are multiplied by."""
        return float(np.prod([item.scale for item in self.facts])) if self.facts else 1.0

    @property
    def reason(self) -> str | None:
        """Why the detector did not report, in plain words; None when it could check."""
        missing = [item for item in self.facts if not item.checked]
        if not missing:
            return None
        return "; ".join(_lacking(item) for item in missing) + f": {self.checks} not checked"

    @property
    def note(self) -> str | None:
        """What a partly covered finding's summary adds; None when fully covered."""
        partial = [item for item in self.facts if item.checked and item.scale < 1.0]
        if not partial:
            return None
        parts = [
            f"only {item.share:.0%} of {item.fact.rows} carry {item.fact.label} ({_sources(item)})"
            for item in partial
        ]
        return (
            "Data coverage: "
            + "; ".join(parts)
            + f", so confidence is lowered to {self.scale:.0%} of what the pattern alone gives."
        )

    def to_json(self) -> dict[str, Any]:
        """The detector's ``coverage`` object in the JSON document."""
        return {
            "checks": self.checks,
            "checked": self.checked,
            "reason": self.reason,
            "confidence_scale": round(self.scale, 4),
            "facts": [item.to_json() for item in self.facts],
        }

    def apply(self, candidates: list[Candidate]) -> list[Candidate]:
        """``candidates`` as the coverage allows: none, or with confidence scaled and said."""
        if not self.checked:
            return []
        note = self.note
        if note is None:
            return candidates
        return [
            replace(
                candidate,
                confidence=round(min(1.0, max(0.0, candidate.confidence * self.scale)), 4),
                summary=f"{candidate.summary} {note}",
            )
            for candidate in candidates
        ]


def _lacking(item: FactCoverage) -> str:
    share = item.share or 0.0
    if share == 0:
        return f"no {item.fact.label} in {_names(item.lacking_sources())}"
    return (
        f"{item.fact.label} on only {share:.0%} of {item.fact.rows}"
        f" in {_names(item.lacking_sources())}"
    )


def _names(sources: list[str]) -> str:
    quoted = [f"`{name}`" for name in sources] or ["the data"]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _sources(item: FactCoverage) -> str:
    return ", ".join(f"`{name}`: {share:.0%}" for name, share in sorted(item.by_source.items()))


def measure_fact(fact: Fact, frames: Frames, context: DetectionContext) -> FactCoverage:
    """How much of ``frames`` carries ``fact`` (vectorised; one grouped count per source)."""
    if any(kind not in frames for kind in _needed_kinds(fact)):
        return FactCoverage(fact, 0, 0, {})
    relevant, carrying, sources = fact.measure(frames, context)
    if not relevant.any():
        return FactCoverage(fact, 0, 0, {})
    carried = carrying[relevant]
    return FactCoverage(
        fact, int(relevant.sum()), int(carried.sum()), _share_by_source(sources[relevant], carried)
    )


def _share_by_source(sources: np.ndarray, carrying: np.ndarray) -> dict[str, float]:
    """Share of rows carrying the fact per source name (null: ""), in order of name.

    Rows are counted per distinct source value, a handful, and the values named after.
    """
    codes, values = pd.factorize(sources)
    rows = np.bincount(codes + 1, minlength=len(values) + 1)  # code -1 (null) first
    carried = np.bincount(codes + 1, weights=carrying.astype(float), minlength=len(values) + 1)
    totals: dict[str, list[float]] = {}
    for value, count, carry in zip([None, *values], rows.tolist(), carried.tolist(), strict=True):
        if count:
            total = totals.setdefault("" if pd.isna(value) else str(value), [0.0, 0.0])
            total[0] += carry
            total[1] += count
    return {name: carry / count for name, (carry, count) in sorted(totals.items())}


def _needed_kinds(fact: Fact) -> set[RecordKind]:
    # The first kind listed is the one the fact is about; the others are optional inputs.
    return {next(iter(fact.columns))} if fact.columns else set()


def measure_pass(
    detectors: Iterable[Detector], frames: Frames, context: DetectionContext
) -> dict[str, Coverage]:
    """Each detector's coverage, measuring every distinct fact once."""
    measured: dict[str, FactCoverage] = {}
    out: dict[str, Coverage] = {}
    for detector in detectors:
        for fact in detector.facts:
            if fact.name not in measured:
                measured[fact.name] = measure_fact(fact, frames, context)
        out[detector.kind] = Coverage(
            detector.kind,
            detector.checks,
            tuple(measured[fact.name] for fact in detector.facts),
        )
    return out
