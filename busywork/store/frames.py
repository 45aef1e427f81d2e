"""Record frames: the typed pandas shape of each record kind, and validation into it.

Connectors hand over raw values (strings from a CSV, JSON values from an API); one
function, :func:`validate_records`, turns them into the canonical frame and reports every
bad cell with its row, so bad rows are skipped and good rows are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa

from busywork.store.doc_types import DOC_TYPES, default_doc_types
from busywork.store.records import (
    CANCELLED_BY,
    RECORD_MODELS,
    STATUSES,
    SYSTEM_COLUMNS,
    Origin,
    RecordKind,
)
from busywork.store.text_codes import TextCodes, text_codes

LogicalType = Literal["str", "int", "float", "bool", "date", "datetime"]
ORIGINS = frozenset(origin.value for origin in Origin)


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


@dataclass(frozen=True)
class RowProblem:
    """A value that could not be accepted; ``row`` is the 0-based position in the input."""

    row: int
    column: str
    message: str


def logical_type(column_type: Any) -> LogicalType:
    """What a column of SQLAlchemy type ``column_type`` holds, as frames and records see it."""
    if isinstance(column_type, sa.TypeDecorator):
        column_type = column_type.impl_instance
    if isinstance(column_type, sa.Boolean):
        return "bool"
    if isinstance(column_type, sa.DateTime):
        return "datetime"
    if isinstance(column_type, sa.Date):
        return "date"
    if isinstance(column_type, sa.Integer):
        return "int"
    if isinstance(column_type, sa.Numeric | sa.Float):
        return "float"
    return "str"


def column_specs(kind: RecordKind) -> tuple[ColumnSpec, ...]:
    """The columns a connector may send for ``kind``, in table order."""
    table = RECORD_MODELS[kind].__table__  # type: ignore[attr-defined]
    return tuple(
        ColumnSpec(
            name=column.name,
            type=logical_type(column.type),
            required=not column.nullable and column.default is None,
            default=None if column.default is None else column.default.arg,
            max_length=getattr(column.type, "length", None),
            max_abs=_fixed_point_limit(column),
        )
        for column in table.columns
        if column.name not in SYSTEM_COLUMNS
    )


def _fixed_point_limit(column: sa.Column[object]) -> float | None:
    """10 ** (precision - scale) for ``NUMERIC(precision, scale)``: larger numbers overflow."""
    column_type = column.type
    if isinstance(column_type, sa.TypeDecorator):
        column_type = column_type.impl_instance
    if isinstance(column_type, sa.Numeric) and not isinstance(column_type, sa.Float):
        precision, scale = column_type.precision, column_type.scale
        if precision is not None and scale is not None:
            return float(10 ** (precision - scale))
    return None


@dataclass(frozen=True)
class ValidatedRecords:
    """The rows that passed, in canonical dtypes, and every problem found."""

    frame: pd.DataFrame
    problems: tuple[RowProblem, ...]
    #: Positions (in the input) of the rows kept, aligned with ``frame``.
    kept_rows: tuple[int, ...]
    #: Columns known to hold only ``str`` values and None (the CSV case): what the content
    #: hashes would otherwise find out with another pass over every value.
    text_columns: frozenset[str] = frozenset()
    #: Those of ``text_columns`` read as text cells (the CSV case), as codes into their
    #: distinct values, aligned with ``frame``.
    text_codes: Mapping[str, TextCodes] = field(default_factory=dict)


def validate_records(
    kind: RecordKind,
    raw: pd.DataFrame,
    *,
    timezone: str = "UTC",
    date_format: str | None = None,
    defaults: Mapping[str, object] | None = None,
) -> ValidatedRecords:
    """Coerce ``raw`` into the canonical frame for ``kind``; reject rows with bad values.

    Empty strings count as missing. Naive datetimes are read in ``timezone``; all datetimes
    come out as UTC. Columns not in the schema are ignored. The input is not modified.

    Args:
        kind: the record kind.
        raw: one row per record, columns named as in :func:`column_specs`.
        timezone: the business timezone, for naive datetimes.
        date_format: a ``strptime`` format for dates and datetimes, or None for ISO-8601.
        defaults: values for missing optional cells (``origin`` defaults to ``unknown``;
            an invoice's ``doc_type`` to the type its total's sign implies, see
            :func:`~busywork.store.doc_types.default_doc_types`).
    """
    specs = column_specs(kind)
    fills = {spec.name: spec.default for spec in specs if spec.default is not None}
    if kind is RecordKind.INVOICE:
        fills.pop("doc_type", None)  # derived from the total below, unless given
    fills.update(defaults or {})
    fills = {
        name: value.strip() if isinstance(value, str) else value for name, value in fills.items()
    }
    n_rows = len(raw)
    bad = np.zeros(n_rows, dtype=bool)
    problems: list[RowProblem] = []
    out: dict[str, pd.Series] = {}
    # The str columns known to hold str values and None only; those read as text cells
    # (the CSV case) with their codes.
    text: dict[str, tuple[pd.Series, TextCodes | None]] = {}
    for spec in specs:
        coded: TextCodes | None = None
        if spec.name in raw:
            values, missing, lengths, coded = _blank_to_na(raw[spec.name])
        else:
            values = pd.Series([None] * n_rows, index=raw.index, dtype=object)
            missing, lengths = np.ones(n_rows, dtype=bool), None
        if spec.name in fills and missing.any():
            values = values.where(~missing, fills[spec.name])
            missing = values.isna().to_numpy()
            lengths = coded = None
        if spec.required and missing.any():
            problems += _problems(missing, spec.name, "required value missing")
            bad |= missing
        converted, invalid = _convert(values, ~missing, spec, timezone, date_format, lengths, coded)
        if spec.type == "str" and lengths is not None:
            text[spec.name] = (converted, coded)
        invalid &= ~missing
        if invalid.any():
            shown = values.astype(str).str.slice(0, 40).to_numpy()
            problems += [
                RowProblem(int(i), spec.name, f"not a valid {spec.type}: {shown[i]!r}")
                for i in np.flatnonzero(invalid)
            ]
            bad |= invalid
        if spec.max_length is not None:
            too_long = _longer_than(converted, ~missing, spec, lengths)
            problems += _problems(too_long, spec.name, f"longer than {spec.max_length} characters")
            bad |= too_long
        if spec.max_abs is not None:
            # A fixed-point column cannot hold it: PostgreSQL would refuse the whole batch.
            too_large = ~missing & ~invalid & (converted.abs() >= spec.max_abs).to_numpy()
            problems += _problems(
                too_large, spec.name, f"too large (must be below {spec.max_abs:,.0f})"
            )
            bad |= too_large
        out[spec.name] = converted
    if kind is RecordKind.INVOICE:
        out["doc_type"] = default_doc_types(out["doc_type"], out["total"], out["status"])
    bad |= _check_enums(kind, out, problems)
    _origin_from_template(out)
    frame = pd.DataFrame(out, index=raw.index)[~bad].reset_index(drop=True)
    problems.sort(key=lambda problem: (problem.row, problem.column))
    # A column replaced since (the doc type, a template's origin) is left to be looked at.
    text_columns = frozenset(name for name, (values, _) in text.items() if out[name] is values)
    return ValidatedRecords(
        frame,
        tuple(problems),
        tuple(np.flatnonzero(~bad).tolist()),
        text_columns,
        {
            name: coded.rows(~bad)
            for name, (_, coded) in text.items()
            if coded is not None and name in text_columns
        },
    )


def _origin_from_template(columns: dict[str, pd.Series]) -> None:
    """A record naming the template that made it was made by it, when its origin is unsaid.

    Exports often carry ``template_id`` but no ``origin``; an explicit origin (even
    ``manual``: a template used by hand) is kept.
    """
    template = columns.get("template_id")
    if template is None:
        return
    unsaid = columns["origin"].isna() | (columns["origin"] == Origin.UNKNOWN.value)
    columns["origin"] = columns["origin"].where(~(unsaid & template.notna()), Origin.TEMPLATE.value)


def _blank_to_na(
    values: pd.Series,
) -> tuple[pd.Series, np.ndarray, np.ndarray | None, TextCodes | None]:
    """Blank strings become None; text (the CSV case) comes back trimmed as well.

    Returns:
        The values as objects, missing ones None, the mask of those missing, and for a
        column of text only (every value a ``str``: the CSV case) the length of each trimmed
        value (0 for a blank one) and the column as codes into its distinct values, else
        None twice.
    """
    objects = values.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(objects, skipna=False) == "string":
        # Every value a str, none missing (a CSV column): each distinct value is trimmed
        # and measured once (text_codes), and the rows share the trimmed objects.
        coded, lengths = text_codes(objects)
        text = pd.Series(coded.column(), index=values.index, dtype=object)
        return text, coded.codes < 0, lengths, coded
    values = values.astype(object)
    if _all_text(values):
        trimmed = values.str.strip()
        is_blank = trimmed.eq("").to_numpy(dtype=bool, na_value=False)
        kept = ~is_blank & values.notna().to_numpy()
        return trimmed.astype(object).where(kept, None), ~kept, None, None
    is_blank = values.map(lambda value: isinstance(value, str) and not value.strip()).to_numpy(
        dtype=bool
    )
    kept = ~is_blank & values.notna().to_numpy()
    return values.where(kept, None), ~kept, None, None


def _all_text(values: pd.Series) -> bool:
    """Whether every present value is a ``str`` (the CSV case), so ``.str`` methods apply."""
    return pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")


def _longer_than(
    values: pd.Series, present: np.ndarray, spec: ColumnSpec, lengths: np.ndarray | None
) -> np.ndarray:
    """Which values are longer than ``spec.max_length``; text is measured without a .str pass.

    ``lengths`` are those :func:`_blank_to_na` measured, if it did.
    """
    if lengths is not None and spec.type == "str":
        too_long: np.ndarray = lengths > (spec.max_length or 0)
        return too_long
    if spec.type != "str":
        return (values.map(len).fillna(0) > spec.max_length).to_numpy()
    text = values.to_numpy(dtype=object)[present]
    too_long = np.zeros(len(values), dtype=bool)
    too_long[present] = np.fromiter(map(len, text), dtype=np.int64, count=len(text)) > (
        spec.max_length or 0
    )
    return too_long


def _problems(mask: np.ndarray, column: str, message: str) -> list[RowProblem]:
    return [RowProblem(int(i), column, message) for i in np.flatnonzero(mask)]


def _convert(
    values: pd.Series,
    present: np.ndarray,
    spec: ColumnSpec,
    timezone: str,
    date_format: str | None,
    lengths: np.ndarray | None = None,
    coded: TextCodes | None = None,
) -> tuple[pd.Series, np.ndarray]:
    """``values`` in ``spec``'s dtype, and which present values could not be converted.

    ``lengths`` (from :func:`_blank_to_na`) says the values are trimmed text already;
    ``coded``, the same values as codes, lets numbers be parsed once per distinct text.
    """
    if spec.type == "str":
        # Trimmed by _blank_to_na already, missing values are None.
        if lengths is not None or _all_text(values):
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
    if _all_text(values):
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


def _check_enums(
    kind: RecordKind, columns: dict[str, pd.Series], problems: list[RowProblem]
) -> np.ndarray:
    bad = np.zeros(len(columns["origin"]), dtype=bool)
    checks = {"origin": ORIGINS}
    if kind in STATUSES:
        checks["status"] = STATUSES[kind]
    if kind is RecordKind.APPOINTMENT:
        checks["cancelled_by"] = CANCELLED_BY
    if kind is RecordKind.INVOICE:
        checks["doc_type"] = DOC_TYPES
    for column, allowed in checks.items():
        values = columns[column]
        invalid = (values.notna() & ~values.isin(allowed)).to_numpy()
        if invalid.any():
            valid = ", ".join(sorted(allowed))
            shown = values.to_numpy()
            problems += [
                RowProblem(int(i), column, f"{shown[i]!r} is not one of {valid}")
                for i in np.flatnonzero(invalid)
            ]
            bad |= invalid
    return bad
