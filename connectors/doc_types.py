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

    def matches(self, number: pd.Series, description: pd.Series) -> np.ndarray:
        """Which rows match every pattern the rule has (missing text never matches)."""
        hit = np.ones(len(number), dtype=bool)
        for pattern, values in ((self.number, number), (self.description, description)):
            if pattern is not None:
                hit &= _searches(re.compile(pattern), values)
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
    number = _text(raw, "number")
    description = _text(raw, "description")
    out = given.to_numpy(dtype=object).copy()
    for rule in settings.rules:
        hit = open_rows & rule.matches(number, description)
        out[hit] = rule.type
        open_rows &= ~hit
    if not settings.by_sign:
        out[open_rows] = INVOICE  # otherwise the store derives the type from the total
    return raw.assign(doc_type=out)


def _searches(pattern: re.Pattern[str], values: pd.Series) -> np.ndarray:
    """Which values the pattern is found in; each distinct value is searched once."""
    codes, uniques = pd.factorize(values)
    found = np.array([bool(pattern.search(str(value))) for value in uniques] + [False], dtype=bool)
    return found[codes]  # code -1 (missing) picks the appended False


def _text(raw: pd.DataFrame, column: str) -> pd.Series:
    if column not in raw.columns:
        return pd.Series(None, index=raw.index, dtype=object)
    return raw[column].astype(object).str.strip()
