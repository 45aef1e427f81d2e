"""A record column's type as connectors see it, and raw cells converted into that type.

:class:`ColumnSpec` is plain data: a process that only reads exports (the import's
read-ahead helper) is handed the specs, which :func:`busywork.store.frames.column_specs`
derives from the tables, and validates with them without importing SQLAlchemy.
:func:`convert_values` turns one column's cells (text from a CSV, JSON values from an API)
into the column's canonical dtype and says which cells could not be converted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from busywork.store.text_codes import TextCodes

LogicalType = Literal["str", "int", "float", "bool", "date", "datetime"]


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a record kind as connectors see it."""

    name: str
    type: LogicalType
    required: bool
    #: What a missing value becomes (the table's default), or None.
    default: object = None
    #: Longest text accepted, for text columns.
    max_length: int | None = None
    #: Magnitude a number must stay below, for fixed-point columns (``NUMERIC(18, 4)``: 1e14).
    max_abs: float | None = None


def all_text(values: pd.Series) -> bool:
    """Whether every present value is a ``str`` (the CSV case), so ``.str`` methods apply."""
    return pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")


def convert_values(
    values: pd.Series,
    present: np.ndarray,
    spec: ColumnSpec,
    timezone: str,
    date_format: str | None,
    lengths: np.ndarray | None = None,
    coded: TextCodes | None = None,
) -> tuple[pd.Series, np.ndarray]:
    """``values`` in ``spec``'s dtype, and which present values could not be converted.

    ``lengths`` (measured by validation as it trimmed them) says the values are trimmed text;
    ``coded``, the same values as codes, lets numbers be parsed once per distinct text.
    """
    if spec.type == "str":
        # Trimmed by validation already, missing values are None.
        if lengths is not None or all_text(values):
            return values, np.zeros(len(values), dtype=bool)
        converted = values.astype(object).where(present, "").astype(str).str.strip()
        return converted.astype(object).where(present, None), np.zeros(len(values), dtype=bool)
    if spec.type in ("int", "float"):
        numbers = _numbers(values, coded)
        invalid = present & numbers.isna().to_numpy()
        if spec.type == "int":
            # Infinity is no whole number (and cannot become one: it used to raise here).
            whole = numbers.isna() | (np.isfinite(numbers) & (numbers == numbers.round()))
            invalid |= present & ~whole.to_numpy()
            return numbers.where(whole).astype("Int64"), invalid
        numbers = numbers.astype("float64")
        invalid |= present & np.isinf(numbers.to_numpy())  # infinity is no amount
        return numbers, invalid
    if spec.type == "bool":
        text = values.astype(str).str.strip().str.lower()
        truth = text.map(
            {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
        )
        invalid = present & truth.isna().to_numpy()
        return truth.fillna(False).astype(bool), invalid
    return _convert_time(values, present, spec, timezone, date_format, coded)


def _numbers(values: pd.Series, coded: TextCodes | None) -> pd.Series:
    """``pd.to_numeric(values, errors="coerce")``, each distinct text parsed once if coded."""
    return _parse_distinct(values, coded, lambda cells: pd.to_numeric(cells, errors="coerce"))


def _parse_distinct(
    values: pd.Series, coded: TextCodes | None, parse: Callable[[pd.Series], pd.Series]
) -> pd.Series:
    """``parse(values)``; with ``coded`` (the same values as codes), each distinct text once.

    ``to_numeric`` and ``to_datetime`` parse each value on its own and pick the result's
    dtype from the kinds of value they saw (whole numbers or fractions, naive or with an
    offset, missing), so parsing the distinct values, and a None when some are missing,
    gives the same dtype and, per row, the same value (or raises as the whole column would).
    """
    if coded is None:
        return parse(values)
    missing = bool((coded.codes < 0).any())
    distinct = pd.Series(
        np.append(coded.values, np.array([None] * missing, dtype=object)), dtype=object
    )
    parsed = parse(distinct).array
    # Code -1 (missing) takes the None parsed last.
    rows = np.where(coded.codes < 0, len(distinct) - 1, coded.codes)
    return pd.Series(parsed.take(rows), index=values.index, name=values.name)


def _convert_time(
    values: pd.Series,
    present: np.ndarray,
    spec: ColumnSpec,
    timezone: str,
    date_format: str | None,
    coded: TextCodes | None = None,
) -> tuple[pd.Series, np.ndarray]:
    """Dates (business calendar days) or UTC datetimes; naive values are business wall time.

    One parse serves the usual column whose values are all naive or all carry one offset;
    pandas refuses a mix, which then goes value by value through :func:`_convert_mixed`.
    With ``coded``, each distinct text is parsed once (see :func:`_parse_distinct`).
    """

    def parse(cells: pd.Series) -> pd.Series:
        return pd.to_datetime(cells, errors="coerce", format=date_format or "ISO8601")

    try:
        parsed = _parse_distinct(values, coded, parse)
    except (ValueError, TypeError):
        return _convert_mixed(values, spec, timezone, date_format)
    aware = isinstance(parsed.dtype, pd.DatetimeTZDtype)
    if spec.type == "date":
        if aware:
            parsed = parsed.dt.tz_convert(timezone).dt.tz_localize(None)
        return parsed.dt.normalize().astype("datetime64[ns]"), present & parsed.isna().to_numpy()
    if aware:
        stamps = parsed.dt.tz_convert("UTC")
    else:
        stamps = parsed.dt.tz_localize(
            timezone, ambiguous="NaT", nonexistent="shift_forward"
        ).dt.tz_convert("UTC")
    return stamps.astype("datetime64[ns, UTC]"), present & stamps.isna().to_numpy()


def _convert_mixed(
    values: pd.Series, spec: ColumnSpec, timezone: str, date_format: str | None
) -> tuple[pd.Series, np.ndarray]:
    """:func:`_convert_time` for a column mixing naive values and values with offsets."""
    present = values.notna().to_numpy()
    parsed = pd.to_datetime(values, errors="coerce", format=date_format or "ISO8601", utc=True)
    has_offset = _offsets(values)
    local = pd.to_datetime(
        values.where(~has_offset), errors="coerce", format=date_format or "ISO8601"
    )
    if spec.type == "date":
        days = parsed.dt.tz_convert(timezone).dt.tz_localize(None).where(has_offset, local)
        days = days.astype("datetime64[ns]")
        return days.dt.normalize(), present & days.isna().to_numpy()
    localised = local.dt.tz_localize(
        timezone, ambiguous="NaT", nonexistent="shift_forward"
    ).dt.tz_convert("UTC")
    parsed = parsed.where(has_offset, localised)
    return parsed.astype("datetime64[ns, UTC]"), present & parsed.isna().to_numpy()


def _offsets(values: pd.Series) -> np.ndarray:
    """Whether each value carries its own UTC offset; missing values count as yes."""
    if all_text(values):
        text = values.str.strip()
        # "…Z", or a sign after the date part ("2026-01-31T09:30+01:00", "…-0500").
        found = text.str.contains(r"(?:[zZ]$)|(?:^.{10}.*[+-])", regex=True)
        return found.to_numpy(dtype=bool, na_value=True)
    return values.map(_has_offset, na_action="ignore").fillna(True).astype(bool).to_numpy()


def _has_offset(value: object) -> bool:
    if isinstance(value, str):
        text = value.strip()
        return text.endswith(("Z", "z")) or (
            len(text) > 10 and ("+" in text[10:] or "-" in text[10:])
        )
    tzinfo = getattr(value, "tzinfo", None)
    return tzinfo is not None
