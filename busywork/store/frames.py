"""Record frames: the typed pandas shape of each record kind, read off its table.

:func:`column_specs` derives what a connector may send for a kind (names, types, limits)
from the kind's SQLModel table; :func:`validate_records` validates rows of that kind with
them (:func:`~busywork.store.validation.validate_with_specs`). A process without the
tables (the import's read-ahead helper) is handed the specs instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa

from busywork.store.column_types import ColumnSpec, LogicalType
from busywork.store.record_kinds import SYSTEM_COLUMNS, RecordKind
from busywork.store.records import RECORD_MODELS
from busywork.store.validation import ValidatedRecords, validate_with_specs


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


def validate_records(
    kind: RecordKind,
    raw: pd.DataFrame,
    *,
    timezone: str = "UTC",
    date_format: str | None = None,
    defaults: Mapping[str, object] | None = None,
) -> ValidatedRecords:
    """:func:`~busywork.store.validation.validate_with_specs` with ``kind``'s table's columns.

    Args:
        kind: the record kind.
        raw: one row per record, columns named as in :func:`column_specs`.
        timezone: the business timezone, for naive datetimes.
        date_format: a ``strptime`` format for dates and datetimes, or None for ISO-8601.
        defaults: values for missing optional cells (see ``validate_with_specs``).
    """
    return validate_with_specs(
        kind,
        raw,
        column_specs(kind),
        timezone=timezone,
        date_format=date_format,
        defaults=defaults,
    )
