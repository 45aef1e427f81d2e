"""The data window, working days, local-to-UTC conversion and seasonality."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from busywork.synth.columns import FloatArray, IntArray, TimeArray, shift

WEEKMASK = "1111100"
#: Local working hours in minutes after midnight (09:00-17:30).
OPEN_MINUTE = 9 * 60
CLOSE_MINUTE = 17 * 60 + 30
#: Days either side of the window the UTC-offset table covers (customers predate the window).
_MARGIN_DAYS = 1200


def month_start(day: date, back: int = 0) -> date:
    """The first day of the month ``back`` months before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def days_of(values: list[date]) -> TimeArray:
    """Python dates as a ``datetime64[D]`` array."""
    return np.array(values, dtype="datetime64[D]")


def weekday(days: TimeArray) -> IntArray:
    """Monday = 0 ... Sunday = 6 for each day."""
    # 1970-01-01 was a Thursday (weekday 3).
    return (days.astype("datetime64[D]").astype(np.int64) + 3) % 7


@dataclass(frozen=True)
class Window:
    """The months of data the generator produces, and the business's timezone."""

    start: date
    end: date
    timezone: str = "Europe/London"

    @classmethod
    def ending(cls, end: date, months: int, timezone: str = "Europe/London") -> Window:
        """The ``months`` calendar months ending with ``end``'s month (cut at ``end``)."""
        return cls(month_start(end, months - 1), end, timezone)

    @property
    def first_day(self) -> np.datetime64:
        """``start`` as ``datetime64[D]``."""
        return np.datetime64(self.start, "D")

    @property
    def last_day(self) -> np.datetime64:
        """``end`` as ``datetime64[D]``."""
        return np.datetime64(self.end, "D")

    def working_days(self, first: date | None = None, last: date | None = None) -> TimeArray:
        """Every Monday-Friday from ``first`` to ``last`` (default: the whole window)."""
        lo = np.datetime64(first or self.start, "D")
        hi = np.datetime64(last or self.end, "D") + np.timedelta64(1, "D")
        days = np.arange(lo, hi, dtype="datetime64[D]")
        return days[np.is_busday(days, weekmask=WEEKMASK)]

    def month_starts(self) -> list[date]:
        """The first day of every month in the window."""
        firsts = [self.start]
        while (nxt := month_start(firsts[-1] + timedelta(days=32))) <= self.end:
            firsts.append(nxt)
        return firsts

    def offset_minutes(self, days: TimeArray) -> IntArray:
        """The timezone's UTC offset in minutes on each day (60 in British Summer Time)."""
        table = _offset_table(self.timezone, self.start, self.end)
        base = np.datetime64(self.start, "D") - np.timedelta64(_MARGIN_DAYS, "D")
        index = (days.astype("datetime64[D]") - base).astype(np.int64)
        return table[np.clip(index, 0, len(table) - 1)]

    def local_to_utc(self, days: TimeArray, minutes: IntArray) -> TimeArray:
        """UTC instants (``datetime64[s]``) of local ``minutes`` after midnight on ``days``."""
        return shift(days.astype("datetime64[D]"), (minutes - self.offset_minutes(days)) * 60)

    def working_instants(self, rng: np.random.Generator, days: TimeArray) -> TimeArray:
        """A random UTC instant within local working hours on each day."""
        offsets = rng.integers(OPEN_MINUTE * 60, CLOSE_MINUTE * 60, size=len(days))
        return shift(self.local_to_utc(days, np.zeros(len(days), dtype=np.int64)), offsets)

    def season(self, days: TimeArray, weights: tuple[float, ...]) -> FloatArray:
        """The relative activity of each day's calendar month."""
        months = days.astype("datetime64[M]").astype(np.int64) % 12
        return np.asarray(weights, dtype=np.float64)[months]


_OFFSETS: dict[tuple[str, date, date], IntArray] = {}


def _offset_table(timezone: str, start: date, end: date) -> IntArray:
    """UTC offsets (minutes) at local noon for every day around the window, cached."""
    key = (timezone, start, end)
    if key not in _OFFSETS:
        zone = ZoneInfo(timezone)
        first = start - timedelta(days=_MARGIN_DAYS)
        count = (end - start).days + 2 * _MARGIN_DAYS + 1
        offsets = []
        for step in range(count):
            day = first + timedelta(days=step)
            offset = datetime(day.year, day.month, day.day, 12, tzinfo=zone).utcoffset()
            offsets.append(int(offset.total_seconds() // 60) if offset else 0)
        _OFFSETS[key] = np.asarray(offsets, dtype=np.int64)
    return _OFFSETS[key]
