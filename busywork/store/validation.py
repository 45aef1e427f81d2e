"""Validation of raw record rows into the canonical frame of their kind, given its columns.

Connectors hand over raw values (strings from a CSV, JSON values from an API); one
function, :func:`validate_with_specs`, turns them into the canonical frame and reports
every bad cell with its row, so bad rows are skipped and good rows are kept. It is given
the kind's columns (:class:`~busywork.store.column_types.ColumnSpec`) rather than reading
them off the tables, so validating needs no SQLAlchemy; callers that have the tables at
hand use :func:`busywork.store.frames.validate_records`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from busywork.store.column_types import ColumnSpec, all_text, convert_values
from busywork.store.doc_types import DOC_TYPES, default_doc_types
from busywork.store.record_kinds import CANCELLED_BY, STATUSES, Origin, RecordKind
from busywork.store.text_codes import TextCodes, text_codes

ORIGINS = frozenset(origin.value for origin in Origin)


@dataclass(frozen=True)
class RowProblem:
    """A value that could not be accepted; ``row`` is the 0-based position in the input."""

    row: int
    column: str
    message: str


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


def validate_with_specs(
    kind: RecordKind,
    raw: pd.DataFrame,
    specs: Sequence[ColumnSpec],
    *,
    timezone: str = "UTC",
    date_format: str | None = None,
    defaults: Mapping[str, object] | None = None,
) -> ValidatedRecords:
    """Coerce ``raw`` into the canonical frame for ``kind``; reject rows with bad values.

    Empty strings count as missing. Naive datetimes are read in ``timezone``; all datetimes
    come out as UTC. Columns not in ``specs`` are ignored. The input is not modified.

    Args:
        kind: the record kind.
        raw: one row per record, columns named as in ``specs``.
        specs: the columns of ``kind``, in table order
            (:func:`~busywork.store.frames.column_specs`).
        timezone: the business timezone, for naive datetimes.
        date_format: a ``strptime`` format for dates and datetimes, or None for ISO-8601.
        defaults: values for missing optional cells (``origin`` defaults to ``unknown``;
            an invoice's ``doc_type`` to the type its total's sign implies, see
            :func:`~busywork.store.doc_types.default_doc_types`).
    """
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
        converted, invalid = convert_values(
            values, ~missing, spec, timezone, date_format, lengths, coded
        )
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
    if all_text(values):
        trimmed = values.str.strip()
        is_blank = trimmed.eq("").to_numpy(dtype=bool, na_value=False)
        kept = ~is_blank & values.notna().to_numpy()
        return trimmed.astype(object).where(kept, None), ~kept, None, None
    is_blank = values.map(lambda value: isinstance(value, str) and not value.strip()).to_numpy(
        dtype=bool
    )
    kept = ~is_blank & values.notna().to_numpy()
    return values.where(kept, None), ~kept, None, None


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
