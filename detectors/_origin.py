"""How sure a finding may be that records were made by hand, and what to say when unsure.

Sources that record how a document was made (QuickBooks ``RecurDataRef``, Stripe's
subscription, our CSV ``origin`` column) let a detector say "created by hand". A web-shop
or till export says nothing: its orders have no ``origin`` at all. Such records still
count as candidates (nobody told us they are automated), but a finding about them must not
claim they were typed by hand: its confidence is lowered and its text says what is unknown.

Channel hints make "unknown" lean one way: order-like numbering (long numeric ids), many
lines per document (baskets) and documents created around the clock all point to a shop
or another system rather than a person at a desk. Each hint found lowers the confidence
further and is named in the explanation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from detectors import _frames as fr

#: Origins a source writes when it knows the record was made by a person.
KNOWN_MANUAL = "manual"
#: Confidence multiplier when the origin is unknown, and per channel hint on top.
UNKNOWN_FACTOR = 0.7
HINT_FACTOR = 0.8
#: A number of at least this many digits and nothing else looks like an order id.
ORDER_DIGITS = 6
#: Median lines per document from which a document looks like a basket.
BASKET_LINES = 5.0
#: Share of documents created outside 07:00-20:00 or at weekends that means "around the clock".
AROUND_THE_CLOCK_SHARE = 0.2
#: Fewest documents a hint is judged on.
MIN_HINT_DOCUMENTS = 3


@dataclass(frozen=True)
class OriginCertainty:
    """Whether the evidence says it was made by hand, and the channel hints found."""

    known_manual: bool
    hints: tuple[str, ...] = ()

    @property
    def factor(self) -> float:
        """What a finding's confidence is multiplied by (1.0 when the origin is known)."""
        if self.known_manual:
            return 1.0
        return UNKNOWN_FACTOR * HINT_FACTOR ** len(self.hints)

    def by_hand(self, phrase: str = "by hand") -> str:
        """``phrase`` when the records are known to be manual, else "" (no claim made)."""
        return phrase if self.known_manual else ""

    def caveat(self, documents: str) -> str:
        """A sentence on what is unknown, or "" when the origin is known.

        Args:
            documents: what the records are, plural ("invoices", "orders").
        """
        if self.known_manual:
            return ""
        text = (
            f" The source does not say how these {documents} were made (no origin), so "
            "they may come from a web shop or another system rather than being typed by hand"
        )
        if self.hints:
            text += "; it looks like one: " + ", ".join(self.hints)
        return text + "."


def assess(
    origin: pd.Series,
    *,
    number: pd.Series | None = None,
    created_at: pd.Series | None = None,
    lines_per_document: pd.Series | None = None,
    timezone: str = "UTC",
) -> OriginCertainty:
    """Judge the evidence records of one finding.

    Args:
        origin: the records' ``origin`` values.
        number: their document numbers, if the source has them.
        created_at: when they were created (naive UTC), if known.
        lines_per_document: how many lines each has, if lines were given.
        timezone: the business's timezone, for the time-of-day hint.
    """
    known = bool(len(origin)) and bool(
        (fr.lowered(origin) == KNOWN_MANUAL).to_numpy(dtype=bool, na_value=False).all()
    )
    if known:
        return OriginCertainty(known_manual=True)
    hints: list[str] = []
    if number is not None and _order_like(number):
        hints.append("order-like numbering")
    if lines_per_document is not None:
        counts = pd.to_numeric(lines_per_document, errors="coerce").dropna()
        if len(counts) >= MIN_HINT_DOCUMENTS and float(counts.median()) >= BASKET_LINES:
            hints.append(f"{float(counts.median()):.0f} lines per document")
    if created_at is not None and _around_the_clock(created_at, timezone):
        hints.append("created around the clock")
    return OriginCertainty(known_manual=False, hints=tuple(hints))


def _order_like(number: pd.Series) -> bool:
    text = fr.as_text(number).dropna().str.strip()
    if len(text) < MIN_HINT_DOCUMENTS:
        return False
    digits = text.str.fullmatch(rf"[A-Za-z]?\d{{{ORDER_DIGITS},}}").to_numpy(dtype=bool)
    return bool(digits.mean() >= 0.8)


def _around_the_clock(created_at: pd.Series, timezone: str) -> bool:
    stamps = fr.local_times(created_at, timezone).dropna()
    if len(stamps) < MIN_HINT_DOCUMENTS:
        return False
    hours = stamps.dt.hour.to_numpy()
    weekend = stamps.dt.day_of_week.to_numpy() >= 5
    outside = (hours < 7) | (hours >= 20) | weekend
    return bool(np.mean(outside) >= AROUND_THE_CLOCK_SHARE)
