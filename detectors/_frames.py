"""Shared, vectorised helpers the detectors use to read canonical record frames."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from busywork.store.records import AUTOMATED_ORIGINS, Origin
from detectors._distinct import clean_lowered, missing, per_distinct, per_distinct_test
from detectors.base import DetectionContext, WorkingCalendar

#: Average days in a month, used to turn counts over a span into counts per month.
DAYS_PER_MONTH = 365.25 / 12

#: Origin values (lower case) of records that are already automated.
AUTOMATED_ORIGIN_VALUES = frozenset(origin.value for origin in AUTOMATED_ORIGINS)
#: Origin value the store writes when a source does not say how a record was made.
UNKNOWN_ORIGIN_VALUE = Origin.UNKNOWN.value

_CURRENCY_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "AUD": "A$", "CAD": "C$", "NZD": "NZ$"}
_NAME_TITLES = re.compile(r"\b(?:mr|mrs|ms|miss|mx|dr|prof|sir|dame|rev|jr|sr)\b")
_PUNCTUATION = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")


def as_dates(values: pd.Series[Any]) -> pd.Series[pd.Timestamp]:
    """Coerce a date-like column (dates, strings, datetimes) to midnight ``datetime64``."""
    return pd.to_datetime(values, errors="coerce").dt.normalize()


def as_datetimes(values: pd.Series[Any]) -> pd.Series[pd.Timestamp]:
    """Coerce a datetime-like column to naive-UTC ``datetime64`` (unparseable values: NaT).

    Naive values are taken to be UTC already; timezone-aware ones are converted to UTC.
    """
    return pd.to_datetime(values, errors="coerce", utc=True).dt.tz_localize(None)


def as_of(context: DetectionContext) -> pd.Timestamp:
    """``context.as_of`` as a naive-UTC timestamp."""
    stamp = pd.Timestamp(context.as_of)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


def in_window(
    raw: pd.DataFrame,
    stamps: pd.Series[pd.Timestamp],
    after: pd.Timestamp,
    upto: pd.Timestamp,
    columns: Collection[str] | None = None,
) -> pd.DataFrame:
    """Rows of ``raw`` whose ``stamps`` lie in (``after``, ``upto``]; of ``columns`` only.

    Detectors that look only at a trailing window cut to it first, so every later clean-up
    (e-mails, names, statuses) runs on the window rather than the whole history. The rows
    are copied column by column: given the columns it reads (:meth:`Detector.reads`), a
    detector copies those alone, not every column the pass loaded for all detectors.
    """
    if columns is not None:
        raw = raw[[column for column in raw.columns if column in columns]]
    return raw[((stamps > after) & (stamps <= upto)).to_numpy()]


def as_money(values: pd.Series[Any]) -> pd.Series[float]:
    """Coerce a money column to float64 (unparseable values become NaN)."""
    return pd.to_numeric(values, errors="coerce").astype("float64")


def as_text(values: pd.Series[Any]) -> pd.Series[str]:
    """Coerce a column to pandas strings, keeping nulls as NaN."""
    return values.astype("str")


def lowered(values: pd.Series[Any]) -> pd.Series[str]:
    """Trimmed lower-case text (nulls stay null), for comparing status and origin values."""
    return per_distinct(values, clean_lowered)


def is_manual(origin: pd.Series[Any]) -> pd.Series[bool]:
    """True where a record was made by hand: origin ``manual``, ``unknown`` or missing."""
    return pd.Series(per_distinct_test(origin, _made_by_hand, True), index=origin.index)


def _made_by_hand(origin: str) -> bool:
    return clean_lowered(origin) not in AUTOMATED_ORIGIN_VALUES


def is_unknown_origin(origin: pd.Series[Any]) -> pd.Series[bool]:
    """True where nothing says how a record was made: origin missing, blank or ``unknown``.

    The store writes ``unknown`` where a source gave no origin, a CSV file leaves the cell
    blank and a frame built by hand may hold ``None``: all three are the same fact.
    """
    return pd.Series(per_distinct_test(origin, _says_nothing, True), index=origin.index)


def _says_nothing(origin: str) -> bool:
    return clean_lowered(origin) in ("", UNKNOWN_ORIGIN_VALUE)


def normalise_email(values: pd.Series[Any]) -> pd.Series[str]:
    """Trimmed, lower-case e-mail addresses; blanks and values without ``@`` become null."""
    return per_distinct(values, clean_email)


def clean_email(text: str) -> str | None:
    """One e-mail address as :func:`normalise_email` cleans it."""
    low = text.strip().lower()
    if low == text:
        low = text  # the value itself, not an equal copy: most addresses are clean already
    return low if "@" in low else None


def normalise_name(values: pd.Series[Any]) -> pd.Series[str]:
    """Comparable person or company names.

    Accents are folded to ASCII, text is lower-cased, punctuation is removed ("O'Brien" becomes
    "obrien"), titles and suffixes (Mr, Mrs, Dr, Jr ...) are dropped and whitespace is collapsed.
    Names that end up empty become null.
    """
    return per_distinct(values, clean_name)


def clean_name(text: str) -> str | None:
    """One name as :func:`normalise_name` cleans it."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    bare = _PUNCTUATION.sub("", ascii_text.lower())
    cleaned = _SPACES.sub(" ", _NAME_TITLES.sub(" ", bare)).strip()
    return cleaned or None


def subject_key(primary: pd.Series[Any], names: pd.Series[Any], kind: str = "id") -> pd.Series[str]:
    """Who each record is for: ``<kind>:<primary>``, else ``name:<cleaned name>``, else null.

    Args:
        primary: Ids (taken as they are) or, with ``kind="email"``, e-mail addresses (cleaned
            as :func:`normalise_email` does).
        names: Names, used where ``primary`` is null.
        kind: ``"id"`` or ``"email"``.
    """
    key = per_distinct(primary, _PRIMARY_KEYS[kind])
    unnamed = key.isna().to_numpy()
    if unnamed.any():
        key[unnamed] = name_keys(names[unnamed]).to_numpy()
    return key


def name_keys(names: pd.Series[Any]) -> pd.Series[str]:
    """The key :func:`subject_key` gives a record known by its name: ``name:<cleaned name>``."""
    return per_distinct(names, _name_key)


def has_subject(primary: pd.Series[Any], names: pd.Series[Any]) -> np.ndarray[Any, Any]:
    """True where :func:`subject_key` (ids) gives a key: an id, else a name that cleans.

    The names are cleaned only on the rows without an id: a filter that needs no key.
    """
    named = ~missing(primary)
    unnamed = ~named
    if unnamed.any():
        named[unnamed] = normalise_name(names[unnamed]).notna().to_numpy()
    return named


def _id_key(text: str) -> str:
    return "id:" + text


def _email_key(text: str) -> str | None:
    email = clean_email(text)
    return None if email is None else "email:" + email


def _name_key(text: str) -> str | None:
    name = clean_name(text)
    return None if name is None else "name:" + name


_PRIMARY_KEYS: dict[str, Callable[[str], str | None]] = {"id": _id_key, "email": _email_key}


def local_dates(values: pd.Series[Any], timezone: str) -> pd.Series[pd.Timestamp]:
    """Calendar dates, in ``timezone``, of naive-UTC datetimes (as midnight ``datetime64``)."""
    stamps = as_datetimes(values)
    if timezone.upper() == "UTC":
        return stamps.dt.normalize()
    local = stamps.dt.tz_localize("UTC").dt.tz_convert(timezone).dt.tz_localize(None)
    return local.dt.normalize()


def business_days(
    start: pd.Series[pd.Timestamp], end: pd.Series[pd.Timestamp], calendar: WorkingCalendar
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Working days from ``start`` to ``end`` (end excluded) under the business's calendar."""
    holidays = np.array(calendar.holidays, dtype="datetime64[D]")
    return np.busday_count(
        start.to_numpy(dtype="datetime64[D]"),
        end.to_numpy(dtype="datetime64[D]"),
        weekmask=calendar.weekmask,
        holidays=holidays,
    ).astype(np.int64)


def to_days(delta: pd.Series[Any]) -> pd.Series[float]:
    """Durations (``timedelta64``) as float days; NaT becomes NaN."""
    return pd.to_timedelta(delta).dt.total_seconds() / 86400.0


def months_covered(start: date | datetime, end: date | datetime, *, minimum: float = 1.0) -> float:
    """Months spanned from ``start`` to ``end`` inclusive, never less than ``minimum``.

    Used as the denominator of "per month" figures, so a burst of evidence inside a few days
    is not extrapolated into an absurd monthly rate.
    """
    days = (pd.Timestamp(end).normalize() - pd.Timestamp(start).normalize()).days + 1
    return max(minimum, days / DAYS_PER_MONTH)


def support_score(count: float, half: float) -> float:
    """A saturating 0-1 score for how much evidence there is: 0.5 when ``count == half``."""
    return float(count) / (float(count) + half) if count > 0 else 0.0


def format_money(amount: float, currency: str) -> str:
    """``amount`` rounded to whole units with the currency's symbol (or code) for messages."""
    code = currency.upper()
    symbol = _CURRENCY_SYMBOLS.get(code)
    sign = "-" if amount < 0 else ""
    if symbol is not None:
        return f"{sign}{symbol}{abs(amount):,.0f}"
    return f"{sign}{abs(amount):,.0f} {code}"


def plural(count: float, singular: str, many: str | None = None) -> str:
    """``count`` with the right form of the noun: "1 business day", "3 business days"."""
    word = singular if round(count) == 1 else (many or singular + "s")
    return f"{count:.0f} {word}"


def sorted_strings(*columns: pd.Series[Any]) -> tuple[str, ...]:
    """Distinct non-null values of ``columns`` as sorted strings (record ids, source names).

    Business-wide findings cite tens of thousands of records: the values are taken as one
    array, not iterated through pandas one by one.
    """
    values = np.concatenate([column.to_numpy(dtype=object)[~missing(column)] for column in columns])
    return tuple(sorted(map(str, pd.unique(values))))


def to_date(value: Any) -> date:
    """A ``date`` from a timestamp-like value."""
    return pd.Timestamp(value).date()


def clamp01(value: float) -> float:
    """``value`` limited to 0-1 and rounded to four places, for confidences."""
    return round(min(1.0, max(0.0, float(value))), 4)


def last_text(values: pd.Series[Any]) -> str | None:
    """The last non-null value of a column as text (the most recent spelling of a name)."""
    clean = values.dropna()
    return str(clean.iloc[-1]) if not clean.empty else None


def local_times(values: pd.Series[Any], timezone: str) -> pd.Series[pd.Timestamp]:
    """Naive-UTC datetimes as naive wall-clock times in ``timezone``."""
    stamps = as_datetimes(values)
    if timezone.upper() == "UTC":
        return stamps
    return stamps.dt.tz_localize("UTC").dt.tz_convert(timezone).dt.tz_localize(None)


def is_busday(days: pd.Series[pd.Timestamp], calendar: WorkingCalendar) -> pd.Series[bool]:
    """True where a date is a working day of ``calendar`` (NaT is not)."""
    valid = days.notna().to_numpy()
    out = np.zeros(len(days), dtype=bool)
    out[valid] = np.is_busday(
        days[valid].to_numpy(dtype="datetime64[D]"),
        weekmask=calendar.weekmask,
        holidays=np.array(calendar.holidays, dtype="datetime64[D]"),
    )
    return pd.Series(out, index=days.index, dtype=bool)


def business_days_between(
    start: pd.Series[pd.Timestamp], end: pd.Series[pd.Timestamp], calendar: WorkingCalendar
) -> pd.Series[float]:
    """Working days from ``start`` to ``end`` as floats, NaN where either is missing."""
    valid = (start.notna() & end.notna()).to_numpy()
    out = np.full(len(start), np.nan)
    if valid.any():
        out[valid] = business_days(start[valid], end[valid], calendar)
    return pd.Series(out, index=start.index)
