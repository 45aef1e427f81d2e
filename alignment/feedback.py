"""Learning from feedback: accepted kinds rise, dismissed kinds sink, within bounds.

The adjustment is recomputed from the feedback currently on record each time the ranking
runs, never accumulated, so withdrawing feedback undoes it. Each accept adds
:data:`STEP`, each dismiss takes it away, and the factor stays within
[:data:`LOWEST`, :data:`HIGHEST`]. Snoozes do not change the factor.
"""

from __future__ import annotations

from dataclasses import dataclass

STEP = 0.15
LOWEST = 0.5
HIGHEST = 1.5


@dataclass(frozen=True)
class FeedbackSummary:
    """Feedback on recommendations of one kind for one business."""

    kind: str
    accepted: int = 0
    dismissed: int = 0

    def describe(self) -> str:
        """Plain words for the report: "2 dismissed recurring-invoice recommendations"."""
        parts = []
        if self.accepted:
            parts.append(f"{self.accepted} accepted")
        if self.dismissed:
            parts.append(f"{self.dismissed} dismissed")
        label = self.kind.replace("_", "-")
        plural = "s" if self.accepted + self.dismissed != 1 else ""
        return f"{' and '.join(parts) or 'no'} {label} recommendation{plural}"


def feedback_factor(summary: FeedbackSummary | None) -> float:
    """The bounded multiplier that feedback applies to scores of the summary's kind."""
    if summary is None:
        return 1.0
    raw = 1.0 + STEP * (summary.accepted - summary.dismissed)
    return round(min(max(raw, LOWEST), HIGHEST), 4)
