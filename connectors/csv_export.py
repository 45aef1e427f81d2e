"""CSV exports as a connector: one file per record kind in a folder, re-read when it changes.

Files are named after the record kind (``invoices.csv``, ``invoice_lines.csv`` …) unless
``files`` says otherwise; ``columns`` maps another tool's headers onto ours. A row with a
bad value is reported with its file and line and skipped; the good rows are kept. An
optional ``deleted`` column (true/false) marks rows deleted at the source.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationInfo, field_validator

from busywork.store.frames import column_specs, validate_records
from busywork.store.ingest import RecordBatch
from busywork.store.records import RecordKind
from connectors.base import Connector, ConnectorConfig, SyncPage
from connectors.doc_types import DocTypeRules, classify
from connectors.registry import register

#: File stem per record kind, in the order files are loaded (people before their invoices).
FILE_STEMS: dict[str, RecordKind] = {
    "customers": RecordKind.CUSTOMER,
    "vendors": RecordKind.VENDOR,
    "invoices": RecordKind.INVOICE,
    "invoice_lines": RecordKind.INVOICE_LINE,
    "payments": RecordKind.PAYMENT,
    "bills": RecordKind.BILL,
    "appointments": RecordKind.APPOINTMENT,
    "journal_entries": RecordKind.JOURNAL_ENTRY,
    "recurring_templates": RecordKind.RECURRING_TEMPLATE,
}
_TRUE = {"true", "1", "yes", "y"}


class CsvConfig(ConnectorConfig):
    """A folder of CSV exports."""

    type: Literal["csv"] = "csv"
    path: Path = Field(description="Folder holding the CSV files; relative to the config file.")
    files: dict[str, str] = Field(
        default_factory=dict, description="File name per kind, if not <kind>.csv."
    )
    columns: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Per kind: their column header -> our column name."
    )
    date_format: str | None = Field(
        default=None, description="strptime format, e.g. %d/%m/%Y; ISO-8601 if unset."
    )
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: str = "utf-8-sig"
    doc_types: DocTypeRules = Field(
        default_factory=DocTypeRules,
        description="Rules telling credit notes, fees … from sales (connectors.doc_types).",
    )

    @field_validator("path")
    @classmethod
    def _relative_to_config(cls, value: Path, info: ValidationInfo) -> Path:
        base = (info.context or {}).get("base_dir")
        return value if value.is_absolute() or base is None else Path(base) / value

    @field_validator("files", "columns")
    @classmethod
    def _known_kinds(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(FILE_STEMS))
        if unknown:
            raise ValueError(
                f"unknown record kind {unknown[0]!r}; valid kinds: {', '.join(FILE_STEMS)}"
            )
        return value

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for stem, mapping in value.items():
            ours = {spec.name for spec in column_specs(FILE_STEMS[stem])} | {"deleted"}
            wrong = sorted(set(mapping.values()) - ours)
            if wrong:
                raise ValueError(
                    f"{wrong[0]!r} is not a column of {stem}; valid: {', '.join(sorted(ours))}"
                )
        return value


@register
class CsvConnector(Connector):
    """Imports a folder of CSV exports; a file is re-read only when its content changed."""

    type = "csv"
    config_model = CsvConfig
    config: CsvConfig

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[SyncPage]:
        """One page per new or changed file; the cursor remembers each file's hash."""
        seen: dict[str, Any] = dict(cursor or {})
        if not self.config.path.is_dir():
            raise FileNotFoundError(f"{self.name}: folder {self.config.path} does not exist")
        for stem, kind in FILE_STEMS.items():
            path = self.config.path / self.config.files.get(stem, f"{stem}.csv")
            if not path.is_file():
                continue
            digest = _sha256(path)
            if seen.get(stem, {}).get("sha256") == digest:
                continue
            batch, problems = self._read(path, kind, stem)
            if batch is None:
                yield SyncPage(batches=(), cursor=dict(seen), problems=problems)
                continue
            seen[stem] = {"sha256": digest, "rows": len(batch.frame)}
            yield SyncPage(batches=(batch,), cursor=dict(seen), problems=problems)

    def _read(
        self, path: Path, kind: RecordKind, stem: str
    ) -> tuple[RecordBatch | None, tuple[str, ...]]:
        try:
            raw = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                sep=self.config.delimiter,
                encoding=self.config.encoding,
            )
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            return None, (f"{path.name}: cannot read the file: {str(exc).strip().splitlines()[0]}",)
        raw = raw.rename(
            columns={**{c: c.strip() for c in raw.columns}, **self.config.columns.get(stem, {})}
        )
        missing = [
            spec.name
            for spec in column_specs(kind)
            if spec.required and spec.name not in raw.columns
        ]
        if (
            kind is RecordKind.INVOICE_LINE
            and "source_id" in missing
            and "invoice_id" in raw.columns
        ):
            missing.remove("source_id")
        if missing:
            return None, (
                f"{path.name}: missing required column(s) {', '.join(missing)}; file skipped",
            )
        raw, deleted_ids = _split_deleted(raw)
        if kind is RecordKind.INVOICE_LINE:
            raw = _default_line_ids(raw)
        if kind is RecordKind.INVOICE:
            raw = classify(raw, self.config.doc_types)
        result = validate_records(
            kind, raw, timezone=self.context.timezone, date_format=self.config.date_format
        )
        # Line numbers assume one physical line per row, after the header line.
        problems = tuple(
            f"{path.name}:{int(raw.index[problem.row]) + 2}: {problem.column}: {problem.message}"
            for problem in result.problems
        )
        return RecordBatch(kind, result.frame, deleted_ids), problems


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _split_deleted(raw: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
    if "deleted" not in raw.columns:
        return raw, ()
    flagged = raw["deleted"].str.strip().str.lower().isin(_TRUE)
    deleted = tuple(sorted(raw.loc[flagged, "source_id"].str.strip())) if "source_id" in raw else ()
    return raw[~flagged].drop(columns="deleted"), deleted


def _default_line_ids(raw: pd.DataFrame) -> pd.DataFrame:
    """Lines without a ``source_id`` get ``<invoice_id>:<line_no>`` (line 1 if none)."""
    if "source_id" not in raw.columns:
        return raw.assign(source_id=_line_ids(raw))
    blank = _blank(raw["source_id"])
    if not blank.any():
        return raw
    return raw.assign(source_id=raw["source_id"].where(~blank, _line_ids(raw[blank])))


def _line_ids(raw: pd.DataFrame) -> pd.Series:
    line_no = raw["line_no"] if "line_no" in raw.columns else pd.Series("1", index=raw.index)
    return raw["invoice_id"].str.strip() + ":" + line_no.astype(str).str.strip()


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
