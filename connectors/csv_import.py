"""One exported file through its mapping into a validated batch, with an honest outcome.

:func:`read_export` never raises for bad input: an unreadable file becomes a failed
:class:`~connectors.outcomes.FileOutcome` that says what to set, and bad rows are
rejected with their line in the file while the good ones are kept.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from busywork.store.column_types import ColumnSpec
from busywork.store.gc_pause import gc_paused
from busywork.store.record_batch import RecordBatch
from busywork.store.record_kinds import RecordKind
from busywork.store.validation import validate_with_specs
from connectors.base import ConnectorContext
from connectors.csv_mapping import FileMapping, apply_mapping
from connectors.csv_reading import UnreadableFileError, read_table
from connectors.doc_types import DocTypeRules, classify
from connectors.outcomes import FileOutcome, FileStatus, Rejection

_TRUE = {"true", "1", "yes", "y"}


def read_export(
    path: Path,
    kind: RecordKind,
    stem: str,
    mapping: FileMapping,
    context: ConnectorContext,
    doc_types: DocTypeRules | None = None,
    *,
    specs: tuple[ColumnSpec, ...],
) -> tuple[RecordBatch | None, tuple[str, ...], FileOutcome]:
    """Read, map and validate ``path`` as records of ``kind``.

    Invoices are told apart from credit notes, fees and adjustments by ``doc_types``
    (:mod:`connectors.doc_types`; its default rules when not given). ``specs`` are the
    columns of ``kind`` (:func:`~busywork.store.frames.column_specs`), given by the caller
    so that reading a file never imports the record tables (nor SQLAlchemy).

    Returns:
        The batch (None when the file failed), one ``file:line: column: message`` per
        rejected row, and the file's outcome.
    """
    with gc_paused():
        return _read_export(path, kind, stem, mapping, context, doc_types, specs)


def _read_export(
    path: Path,
    kind: RecordKind,
    stem: str,
    mapping: FileMapping,
    context: ConnectorContext,
    doc_types: DocTypeRules | None,
    specs: tuple[ColumnSpec, ...],
) -> tuple[RecordBatch | None, tuple[str, ...], FileOutcome]:
    try:
        table = read_table(
            path,
            encoding=mapping.encoding,
            delimiter=mapping.delimiter,
            skip_rows=mapping.skip_rows,
        )
    except (UnreadableFileError, OSError) as exc:
        hint = getattr(exc, "hint", "")
        outcome = FileOutcome(path.name, stem, FileStatus.FAILED, error=str(exc), hint=hint)
        return None, (f"{path.name}: cannot read the file: {exc}",), outcome
    notes: list[str] = []
    if table.detected:
        notes.append(f"encoding {table.encoding} detected")
    absent = sorted(mapping.sources() - set(table.frame.columns))
    numeric = {spec.name for spec in specs if spec.type in ("int", "float")}
    if absent:
        return _failed(
            path,
            stem,
            f"column(s) {', '.join(repr(a) for a in absent)} named in the mapping are not in"
            f" the file (it has: {', '.join(table.frame.columns[:12])})",
            "correct the mapping, or run `busywork init` on the folder",
        )
    frame, origin = apply_mapping(table.frame, mapping, numeric)
    if _needs_currency(specs, frame):
        frame["currency"] = frame.get("currency", pd.Series("", index=frame.index, dtype=object))
        blank = _blank(frame["currency"])
        frame["currency"] = frame["currency"].where(~blank, context.currency)
        notes.append(f"currency {context.currency} (business.currency) where the file has none")
    missing = [spec.name for spec in specs if spec.required and spec.name not in frame.columns]
    if kind is RecordKind.INVOICE_LINE and "source_id" in missing and "invoice_id" in frame:
        missing.remove("source_id")
    if missing:
        return _failed(
            path,
            stem,
            f"missing required column(s) {', '.join(missing)}; file skipped",
            f"map them under `files: {stem}: columns:` (their header: our name),"
            " or run `busywork init` on the folder",
        )
    frame, deleted_ids, origin = _split_deleted(frame, origin)
    if kind is RecordKind.INVOICE_LINE:
        frame = _default_line_ids(frame)
    if kind is RecordKind.INVOICE:
        frame = classify(frame, doc_types or DocTypeRules())
    result = validate_with_specs(
        kind, frame, specs, timezone=context.timezone, date_format=mapping.date_format
    )
    lines = np.asarray(table.lines, dtype=np.int64)[origin] if len(origin) else np.array([])
    rejections = [Rejection(line, "", message) for line, message in table.rejected] + [
        Rejection(int(lines[problem.row]), problem.column, problem.message)
        for problem in result.problems
    ]
    rejections.sort(key=lambda rejection: rejection.line)
    problems = tuple(
        f"{path.name}:{r.line}: {r.column + ': ' if r.column else ''}{r.message}"
        for r in rejections
    )
    read = len(table.lines) + len(table.rejected)
    if mapping.group_by is not None:
        notes.append(f"{len(frame):,} {stem} built from the rows by {mapping.group_by.key}")
        read = len(frame) + len(table.rejected)
    outcome = FileOutcome(
        path.name,
        stem,
        FileStatus.READ,
        read=read,
        kept=len(result.frame),
        rejections=tuple(rejections),
        notes=tuple(notes),
    )
    batch = RecordBatch(
        kind,
        result.frame,
        deleted_ids,
        text_columns=result.text_columns,
        text_codes=result.text_codes,
    )
    return batch, problems, outcome


def _failed(
    path: Path, stem: str, error: str, hint: str
) -> tuple[None, tuple[str, ...], FileOutcome]:
    outcome = FileOutcome(path.name, stem, FileStatus.FAILED, error=error, hint=hint)
    return None, (f"{path.name}: {error}",), outcome


def _needs_currency(specs: tuple[object, ...], frame: pd.DataFrame) -> bool:
    """Whether the kind carries a currency the file leaves blank or out."""
    if not any(getattr(spec, "name", "") == "currency" for spec in specs):
        return False
    if "currency" not in frame.columns:
        return True
    return bool(_blank(frame["currency"]).any())


def _split_deleted(
    raw: pd.DataFrame, origin: np.ndarray
) -> tuple[pd.DataFrame, tuple[str, ...], np.ndarray]:
    """Rows flagged in a ``deleted`` column become deletions; the rest stay records."""
    if "deleted" not in raw.columns:
        return raw, (), origin
    flagged = raw["deleted"].astype(str).str.strip().str.lower().isin(_TRUE).to_numpy()
    ids: list[str] = (
        raw.loc[flagged, "source_id"].astype(str).str.strip().tolist() if "source_id" in raw else []
    )
    kept = raw[~flagged].drop(columns="deleted").reset_index(drop=True)
    return kept, tuple(sorted(ids)), origin[~flagged]


def _default_line_ids(raw: pd.DataFrame) -> pd.DataFrame:
    """Lines without a ``source_id`` get ``<invoice_id>:<line_no>``.

    Without a ``line_no`` column, lines are numbered 1, 2 … per invoice in file order.
    """
    if "line_no" not in raw.columns:
        invoice = raw["invoice_id"].astype(str).str.strip()
        raw = raw.assign(line_no=(invoice.groupby(invoice, sort=False).cumcount() + 1).astype(str))
    if "source_id" not in raw.columns:
        return raw.assign(source_id=_line_ids(raw))
    blank = _blank(raw["source_id"])
    if not blank.any():
        return raw
    return raw.assign(source_id=raw["source_id"].where(~blank, _line_ids(raw[blank])))


def _line_ids(raw: pd.DataFrame) -> pd.Series:
    """``<invoice_id>:<line_no>``; without a line number column, lines count 1, 2 … per invoice."""
    invoice = raw["invoice_id"].astype(str).str.strip()
    if "line_no" in raw.columns:
        line_no = raw["line_no"].astype(str).str.strip()
    else:
        line_no = (invoice.groupby(invoice, sort=False).cumcount() + 1).astype(str)
    return invoice + ":" + line_no


def _blank(values: pd.Series) -> np.ndarray:
    """Which cells are empty or whitespace; a column of plain strings is checked in C."""
    cells = values.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(cells, skipna=False) == "string":
        spaces = np.fromiter(map(str.isspace, cells), dtype=bool, count=len(cells))
        empty: np.ndarray = cells == ""
        blank: np.ndarray = np.logical_or(empty, spaces)
        return blank
    stripped: np.ndarray = (values.str.strip() == "").to_numpy(dtype=bool, na_value=False)
    return stripped
