"""The declarative mapping from one exported file to one record kind.

Each feature is data in the YAML, applied in a fixed order to the file's text cells:
``columns`` renames their headers to ours, ``combine`` builds a column from several (or
part of one), ``negative`` signs amounts an export writes unsigned (a credit-note file's
totals), ``values`` translates their words to ours, ``constants`` and ``defaults`` fill
what the file lacks, and ``group_by`` turns line-level rows into one record per key.
Validation (types, required values) happens afterwards, in :mod:`busywork.store.validation`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

Aggregate = Literal["first", "last", "sum", "min", "max", "count", "join"]


class Combine(BaseModel):
    """One of our columns built from their columns; give exactly one operation.

    ``add``/``subtract``/``multiply`` are numeric (blank counts as 0 for add and
    subtract); ``join`` glues text with ``sep``; ``first_of`` takes the first non-blank
    cell; ``split`` takes part ``index`` of one column cut at ``sep``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    add: tuple[str, ...] = ()
    subtract: tuple[str, str] | None = None
    multiply: tuple[str, ...] = ()
    join: tuple[str, ...] = ()
    first_of: tuple[str, ...] = ()
    split: str | None = None
    sep: str = " "
    index: int = 0

    @model_validator(mode="after")
    def _one_operation(self) -> Combine:
        given = [
            name
            for name in ("add", "subtract", "multiply", "join", "first_of", "split")
            if getattr(self, name)
        ]
        if len(given) != 1:
            raise ValueError("give exactly one of add, subtract, multiply, join, first_of or split")
        return self

    def sources(self) -> tuple[str, ...]:
        """Their column names this operation reads."""
        return (
            self.add
            + (self.subtract or ())
            + self.multiply
            + self.join
            + self.first_of
            + ((self.split,) if self.split else ())
        )

    def apply(self, raw: pd.DataFrame, thousands: str | None) -> pd.Series:
        """The combined column over ``raw``'s rows, as text."""
        if self.split:
            parts = raw[self.split].str.split(self.sep, regex=False)
            return parts.map(
                lambda cells: cells[self.index].strip() if len(cells) > self.index else ""
            )
        if self.join:
            text = raw[list(self.join)].apply(lambda column: column.str.strip())
            joined: pd.Series = text.apply(
                lambda row: self.sep.join(cell for cell in row if cell), axis=1
            )
            return joined
        if self.first_of:
            result = pd.Series("", index=raw.index, dtype=object)
            for name in reversed(self.first_of):
                cells = raw[name].str.strip()
                result = cells.where(cells != "", result)
            return result
        if self.subtract:
            left, right = (_number(raw[name], thousands) for name in self.subtract)
            return _text(left.fillna(0) - right.fillna(0))
        if self.add:
            numbers = [_number(raw[name], thousands) for name in self.add]
            return _text(sum((number.fillna(0) for number in numbers), pd.Series(0.0, raw.index)))
        numbers = [_number(raw[name], thousands) for name in self.multiply]
        product = numbers[0]
        for number in numbers[1:]:
            product = product * number
        return _text(product)


class GroupBy(BaseModel):
    """One record per distinct ``key`` (our column); ``aggregate`` says how other columns fold.

    Columns not named are taken from the key's first row. ``join`` gives the sorted,
    distinct values joined with ``|`` (the shape of a journal's ``accounts``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    aggregate: dict[str, Aggregate] = Field(default_factory=dict)


class FileMapping(BaseModel):
    """How one file becomes records of one kind."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str | None = Field(default=None, description="File name; <kind>.csv if left out.")
    encoding: str | None = Field(default=None, description="Detected per file if left out.")
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    skip_rows: int = Field(
        default=0, ge=0, le=100, description="Title lines above the header (report exports)."
    )
    date_format: str | None = Field(default=None, description="strptime format, e.g. %d/%m/%Y.")
    thousands: str | None = Field(
        default=None, max_length=1, description="Thousands separator in amounts, e.g. ','."
    )
    columns: dict[str, str] = Field(default_factory=dict, description="Their header -> ours.")
    combine: dict[str, Combine] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Per column of ours: their value -> ours."
    )
    constants: dict[str, str] = Field(default_factory=dict, description="Always this value.")
    defaults: dict[str, str] = Field(default_factory=dict, description="When blank or absent.")
    negative: tuple[str, ...] | None = Field(
        default=None,
        description="Amount columns of ours made negative whatever their sign (a credit-note"
        " export lists the credit as a positive amount); for credit_notes: total, balance.",
    )
    group_by: GroupBy | None = None

    def targets(self) -> set[str]:
        """Every column of ours this mapping writes."""
        return (
            set(self.columns.values())
            | set(self.combine)
            | set(self.values)
            | set(self.constants)
            | set(self.defaults)
            | set(self.negative or ())
            | ({self.group_by.key, *self.group_by.aggregate} if self.group_by else set())
        )

    def sources(self) -> set[str]:
        """Every header of theirs this mapping reads."""
        return set(self.columns) | {
            name for combine in self.combine.values() for name in combine.sources()
        }


def apply_mapping(
    raw: pd.DataFrame, mapping: FileMapping, numeric: set[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """``raw`` (their headers, text cells) as our columns; and which input row each came from.

    ``numeric`` names our number columns (the thousands separator is removed there).
    """
    combined = {name: rule.apply(raw, mapping.thousands) for name, rule in mapping.combine.items()}
    frame = raw.rename(columns={c: c.strip() for c in raw.columns}).rename(columns=mapping.columns)
    frame = frame.loc[:, ~frame.columns.duplicated(keep="last")]
    frame = frame.assign(**combined) if combined else frame
    if mapping.thousands:
        for name in numeric & set(frame.columns):
            frame[name] = frame[name].str.replace(mapping.thousands, "", regex=False)
    for name in mapping.negative or ():
        if name in frame.columns:
            frame[name] = _negated(frame[name])
    for name, table in mapping.values.items():
        if name in frame.columns:
            frame[name] = _translate(frame[name], table)
    for name, value in mapping.constants.items():
        frame[name] = value
    for name, value in mapping.defaults.items():
        if name not in frame.columns:
            frame[name] = value
        else:
            blank = frame[name].astype(str).str.strip() == ""
            frame[name] = frame[name].where(~blank, value)
    origin = np.arange(len(frame))
    if mapping.group_by is not None:
        frame, origin = _group(frame, mapping.group_by, numeric)
    return frame, origin


def _negated(cells: pd.Series) -> pd.Series:
    """``35.00`` and ``+35.00`` as ``-35.00``; negative, blank and non-numeric cells unchanged.

    A cell that is not a number is left as it was, so validation names it as the file has it.
    """
    text = cells.astype(str).str.strip()
    unsigned = text.str.match(r"^\+?\d|^\+?\.\d").fillna(False).to_numpy(dtype=bool)
    return cells.where(~unsigned, "-" + text.str.lstrip("+"))


def _translate(cells: pd.Series, table: dict[str, str]) -> pd.Series:
    """Their words to ours; matched after trimming, case-insensitively; others unchanged."""
    lowered = {key.strip().lower(): value for key, value in table.items()}
    keys = cells.astype(str).str.strip().str.lower()
    return keys.map(lowered).where(keys.isin(lowered.keys()), cells)


def _group(
    frame: pd.DataFrame, rule: GroupBy, numeric: set[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Vectorised: blanks become missing so ``first``/``last`` skip them as pandas does."""
    key = frame[rule.key].astype(str).str.strip()
    keep = (key != "").to_numpy()  # rows without a key stay single and fail validation
    rows = frame[keep].astype(object)
    rows = rows.where(rows.astype(str).apply(lambda column: column.str.strip()) != "", None)
    grouped = rows.groupby(key[keep].to_numpy(), sort=False)
    folded = grouped.first().astype(object)
    for name, how in rule.aggregate.items():
        if name not in rows.columns or how == "first":
            continue
        if how in ("sum", "min", "max"):
            numbers = _number(rows[name].fillna(""), None).groupby(key[keep].to_numpy(), sort=False)
            result = numbers.sum(min_count=1) if how == "sum" else getattr(numbers, how)()
            folded[name] = _text(result)
        elif how == "count":
            folded[name] = grouped[name].size().astype(str)
        elif how == "last":
            folded[name] = grouped[name].last()
        else:  # join
            folded[name] = grouped[name].agg(_joined)
    folded = folded.where(folded.notna(), "").reset_index(drop=True)
    singles = frame[~keep].reset_index(drop=True)
    positions = pd.Series(np.arange(len(frame)))[keep]
    firsts = positions.groupby(key[keep].to_numpy(), sort=False).first().to_numpy()
    origin = np.concatenate([firsts, np.flatnonzero(~keep)])
    return pd.concat([folded, singles], ignore_index=True), origin


def _joined(cells: pd.Series) -> str:
    return "|".join(sorted({str(c).strip() for c in cells.dropna() if str(c).strip()}))


def _number(cells: pd.Series, thousands: str | None) -> pd.Series:
    text = cells.astype(str).str.strip()
    if thousands:
        text = text.str.replace(thousands, "", regex=False)
    return pd.to_numeric(text.where(text != "", None), errors="coerce")


def _text(numbers: pd.Series) -> pd.Series:
    """Numbers back to text cells, blank where not a number."""
    return numbers.map(lambda value: "" if pd.isna(value) else f"{round(value, 6):.15g}")
