r"""Document types for CSV invoices: rules by number, description and sign, set in YAML.

An export rarely says which rows are credit notes, refunds or fees; its numbers and
descriptions usually do (the UCI Online Retail export writes ``C536379`` for a
cancellation, ``Bank Charges`` or ``AMAZON FEE`` for fees, ``Adjust bad debt`` for a
write-off). Each invoice row without a ``doc_type`` of its own is given the type of the
first rule that matches it, then, with ``by_sign``, the type its total implies (negative:
``credit_note``, zero: ``zero``); anything else is a sales ``invoice``. The rules replace
the defaults when given::

    doc_types:
      by_sign: true
      rules:
        - {number: '^C\\d+$', type: credit_note}
        - {description: '(?i)bank charges|card fees', type: fee}
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from busywork.store.doc_types import ADJUSTMENT, CREDIT_NOTE, DOC_TYPES, FEE, INVOICE


class DocTypeRule(BaseModel):
    """Rows whose number and/or description match these patterns are of ``type``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(description=f"One of {', '.join(sorted(DOC_TYPES))}.")
    number: str | None = Field(default=None, description="Regular expression on the number.")
    description: str | None = Field(
        default=None, description="Regular expression on the description."
    )

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in DOC_TYPES:
            raise ValueError(
                f"{value!r} is not a document type; use {', '.join(sorted(DOC_TYPES))}"
            )
        return value

    @field_validator("number", "description")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"{value!r} is not a regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _has_a_pattern(self) -> DocTypeRule:
        if self.number is None and self.description is None:
            raise ValueError("a rule needs a number or a description pattern")
        return self

    def matches(self, number: DistinctText, description: DistinctText) -> np.ndarray:
        """Which rows match every pattern the rule has (missing text never matches)."""
        hit = np.ones(len(number.codes), dtype=bool)
        for pattern, values in ((self.number, number), (self.description, description)):
            if pattern is not None:
                hit &= values.searches(re.compile(pattern))
        return hit


#: The default rules: cancellation numbers and the fee and write-off lines of shop exports.
DEFAULT_RULES: tuple[DocTypeRule, ...] = (
    DocTypeRule(number=r"^C\d+$", type=CREDIT_NOTE),
    DocTypeRule(description=r"(?i)^\s*(bank charges|amazon fee|card fees?)\s*$", type=FEE),
    DocTypeRule(description=r"(?i)bad debt|write[- ]?off", type=ADJUSTMENT),
)


class DocTypeRules(BaseModel):
    """How a CSV connector tells sales invoices from other documents."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: tuple[DocTypeRule, ...] = Field(
        default=DEFAULT_RULES, description="Checked in order; the first match wins."
    )
    by_sign: bool = Field(
        default=True, description="Unmatched rows: negative total is a credit note, zero is zero."
    )


def classify(raw: pd.DataFrame, settings: DocTypeRules) -> pd.DataFrame:
    """``raw`` invoice rows (text, as read) with ``doc_type`` filled where it was blank.

    A ``doc_type`` given in the file wins; the input is not modified.
    """
    given = (
        raw["doc_type"].astype(object).where(raw["doc_type"].notna(), "").str.strip()
        if "doc_type" in raw.columns
        else pd.Series("", index=raw.index, dtype=object)
    )
    open_rows = (given == "").to_numpy(dtype=bool, copy=True)
    if not open_rows.any():
        return raw
    number = DistinctText.of(raw, "number")
    description = DistinctText.of(raw, "description")
    out = given.to_numpy(dtype=object).copy()
    for rule in settings.rules:
        hit = open_rows & rule.matches(number, description)
        out[hit] = rule.type
        open_rows &= ~hit
    if not settings.by_sign:
        out[open_rows] = INVOICE  # otherwise the store derives the type from the total
    return raw.assign(doc_type=out)


@dataclass(frozen=True)
class DistinctText:
    """A column's trimmed text, each distinct cell once: patterns are searched per value.

    An invoice file repeats its descriptions (and a number is searched once per rule), so
    trimming and searching each distinct cell once spares a pass of Python calls per row.
    A cell that is no ``str`` (missing, or a number) counts as missing text.
    """

    #: Per row, the position of its cell in ``texts``; -1 for a missing cell.
    codes: np.ndarray
    #: Each distinct cell, trimmed; None where the cell is no text.
    texts: tuple[str | None, ...]

    @classmethod
    def of(cls, raw: pd.DataFrame, column: str) -> DistinctText:
        """The cells of ``raw[column]``; all missing when there is no such column."""
        if column not in raw.columns:
            return cls(np.full(len(raw), -1, dtype=np.intp), ())
        codes, uniques = pd.factorize(raw[column].to_numpy(dtype=object))
        texts = tuple(cell.strip() if isinstance(cell, str) else None for cell in uniques)
        return cls(codes, texts)

    def searches(self, pattern: re.Pattern[str]) -> np.ndarray:
        """Which rows the pattern is found in (never in missing text)."""
        found = [text is not None and pattern.search(text) is not None for text in self.texts]
        hit: np.ndarray = np.array([*found, False], dtype=bool)[self.codes]  # -1: the False
        return hit
