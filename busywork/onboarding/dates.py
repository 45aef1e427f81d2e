"""Which date format a column uses, and whether the data leaves it ambiguous (01/02/2026).

A format is a candidate when it parses every sampled value. Day-first and month-first
slash dates are told apart by any value above 12 in either place; when none is, the
question goes to the user (or ``--yes`` takes the likelier one and says why).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

#: Formats tried, ISO first (None means ISO-8601, the connector's default).
FORMATS: tuple[str | None, ...] = (
    None,
    "%Y-%m-%d %H:%M:%S %z",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%d-%b-%y",
)
SAMPLE = 300


@dataclass(frozen=True)
class DateGuess:
    """The format chosen for a file's dates, and the question it raised, if any."""

    format: str | None
    #: Both readings fit every value: (day-first format, month-first format, an example).
    ambiguous: tuple[str, str, str] | None = None
    #: None of the formats fits every value.
    unknown: bool = False
    #: Whether the file has any dates at all.
    sampled: bool = True


def _parses(value: str, fmt: str | None) -> bool:
    try:
        if fmt is None:
            datetime.fromisoformat(value)
        else:
            datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def guess_format(values: Sequence[str]) -> DateGuess:
    """The format every value in ``values`` (non-blank cells of date columns) fits."""
    sample = [value.strip() for value in values if value and value.strip()][:SAMPLE]
    if not sample:
        return DateGuess(None, sampled=False)
    fitting = [fmt for fmt in FORMATS if all(_parses(value, fmt) for value in sample)]
    if not fitting:
        return DateGuess(None, unknown=True)
    for day_first, month_first in (
        ("%d/%m/%Y", "%m/%d/%Y"),
        ("%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M"),
        ("%d/%m/%y", "%m/%d/%y"),
    ):
        if day_first in fitting and month_first in fitting:
            example = next((v for v in sample if v[:2] != v[3:5]), sample[0])
            return DateGuess(day_first, ambiguous=(day_first, month_first, example))
    return DateGuess(fitting[0])


def likelier(guess: DateGuess, currency: str | None) -> tuple[str, str]:
    """For an ambiguous guess: the likelier format and the reason, for ``--yes``."""
    assert guess.ambiguous is not None
    day_first, month_first, _ = guess.ambiguous
    if currency in ("USD", "CAD", "PHP"):
        return month_first, f"month first, as usual for {currency} books"
    return day_first, "day first, as in most of the world"
