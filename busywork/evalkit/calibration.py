"""Does stated confidence mean anything? Brier score and a reliability table over findings.

Every reported finding is one forecast: the detector said "this is real" with probability
``confidence``, and the truth file says whether it was (1) or not (0). A well-calibrated
detector's 90 % findings are right about 90 % of the time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Upper edges of the confidence bins; the first bin starts at 0.
BIN_EDGES: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


@dataclass(frozen=True)
class Forecast:
    """One reported finding: its stated confidence and whether the truth planted it."""

    confidence: float
    correct: bool


@dataclass(frozen=True)
class Bin:
    """Findings whose confidence fell in ``(low, high]`` (the first bin includes 0)."""

    low: float
    high: float
    count: int
    mean_confidence: float
    observed_precision: float

    @property
    def gap(self) -> float:
        """Stated minus observed: positive means over-confident."""
        return self.mean_confidence - self.observed_precision


@dataclass(frozen=True)
class Calibration:
    """Brier score and reliability bins over every reported finding."""

    forecasts: int
    brier: float
    bins: tuple[Bin, ...]

    @property
    def expected_calibration_error(self) -> float:
        """Count-weighted mean absolute gap between stated and observed (0 when empty)."""
        if not self.forecasts:
            return 0.0
        return sum(b.count * abs(b.gap) for b in self.bins) / self.forecasts


def calibrate(forecasts: Iterable[Forecast], edges: Sequence[float] = BIN_EDGES) -> Calibration:
    """Brier score (mean squared error of confidence against 0/1) and per-bin precision.

    Confidences outside [0, 1] are clipped: a detector that overstates still counts as
    having said "certain".
    """
    items = [(min(1.0, max(0.0, f.confidence)), 1.0 if f.correct else 0.0) for f in forecasts]
    brier = sum((p - y) ** 2 for p, y in items) / len(items) if items else 0.0
    bins = []
    low = 0.0
    for high in edges:
        inside = [(p, y) for p, y in items if (low < p <= high) or (low == 0.0 and p == 0.0)]
        if inside:
            bins.append(
                Bin(
                    low=low,
                    high=high,
                    count=len(inside),
                    mean_confidence=sum(p for p, _ in inside) / len(inside),
                    observed_precision=sum(y for _, y in inside) / len(inside),
                )
            )
        low = high
    return Calibration(forecasts=len(items), brier=brier, bins=tuple(bins))


def format_calibration(calibration: Calibration) -> str:
    """The reliability table as Markdown, with the Brier score above it."""
    lines = [
        f"Calibration over {calibration.forecasts} reported findings: "
        f"Brier score {calibration.brier:.3f}, "
        f"expected calibration error {calibration.expected_calibration_error:.3f}",
        "",
        "| stated confidence | findings | mean stated | observed precision | gap |",
        "|---|---:|---:|---:|---:|",
    ]
    for b in calibration.bins:
        lines.append(
            f"| {b.low:.0%}-{b.high:.0%} | {b.count} | {b.mean_confidence:.3f} | "
            f"{b.observed_precision:.3f} | {b.gap:+.3f} |"
        )
    return "\n".join(lines)
