"""What one exported file holds, and the mapping that reads it, guessed from headers and cells.

Each kind is scored on the file's name, how many of the kind's columns its headers supply
and whether the required ones are all there. Line-level exports (one row per invoice line,
as Xero and Shopify write them) are recognised by repeated document numbers and mapped with
``group_by``, plus the lines themselves from the same file. A credit-note export is told
by its name or a ``Type`` column of nothing but credit notes (a file mixing them with
invoices is read as invoices).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from busywork.onboarding.dates import DateGuess, guess_format
from busywork.onboarding.vocabulary import NAME_HINTS, STATUS_VALUES, SYNONYMS, normalise
from busywork.store.frames import column_specs
from connectors.csv_export import FILE_STEMS
from connectors.csv_reading import UnreadableFileError, decode, find_header, read_table

_OFFSET = re.compile(r"\d:\d\d(:\d\d)?\s*[+-]\d\d:?\d\d$")
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
#: Stems mapped as another's columns: lines are read from invoice files; credit notes are
#: scored on their name and types, not their columns (they have an invoice's).
_NOT_SCORED_ON_COLUMNS = ("invoice_lines", "credit_notes")


@dataclass
class FileGuess:
    """What ``init`` believes about one file."""

    path: Path
    kind: str | None = None
    score: int = 0
    #: Per kind (the file's kind, and ``invoice_lines`` for line-level invoices): mapping.
    mappings: dict[str, dict[str, Any]] = field(default_factory=dict)
    dates: DateGuess = field(default_factory=lambda: DateGuess(None))
    encoding: str = "utf-8"
    encoding_detected: bool = False
    currencies: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    problem: str = ""


def recognise(path: Path) -> FileGuess:
    """Read ``path`` and guess its kind and mapping; never raises for bad input."""
    guess = FileGuess(path)
    try:
        text, encoding, detected = decode(path.read_bytes(), None)
        skip_rows, delimiter = find_header(text)
        table = read_table(path, encoding=encoding, delimiter=delimiter, skip_rows=skip_rows)
    except (UnreadableFileError, OSError) as exc:
        guess.problem = f"cannot read it: {exc}"
        return guess
    guess.encoding, guess.encoding_detected = table.encoding, detected
    frame = table.frame
    headers = {normalise(name): name for name in frame.columns}
    kind, score, columns = _best_kind(path, headers, frame)
    if kind is None:
        guess.problem = "not recognised from its name or headers" + _nearest(headers)
        return guess
    guess.kind, guess.score = kind, score
    missing = _missing(kind, columns, headers) if kind == "credit_notes" else []
    if missing:
        guess.problem = (
            f"credit notes, but nothing reads as {', '.join(missing)}: map the file by hand"
            " (docs/csv-mapping.md)"
        )
        return guess
    base: dict[str, Any] = {"file": path.name}
    if detected:
        base["encoding"] = table.encoding
    if delimiter != ",":
        base["delimiter"] = delimiter
    if skip_rows:
        base["skip_rows"] = skip_rows
        guess.notes.append(f"{skip_rows} title line(s) above the header skipped")
    guess.mappings = _mappings(kind, columns, headers, frame, base)
    guess.dates = _dates(kind, columns, frame)
    if _with_offsets(kind, columns, frame):
        guess.notes.append(
            "times carry their UTC offset; set --timezone to yours so dates fall on your day"
        )
    if "currency" in columns:
        guess.currencies = Counter(
            value.strip().upper() for value in frame[columns["currency"]] if value.strip()
        )
    if any(_THOUSANDS.match(str(v)) for c in _numeric(kind, columns) for v in frame[c][:500]):
        for mapping in guess.mappings.values():
            mapping["thousands"] = ","
    return guess


def _best_kind(
    path: Path, headers: dict[str, str], frame: pd.DataFrame
) -> tuple[str | None, int, dict[str, str]]:
    name = normalise(path.stem)
    type_values = {
        v.strip().lower() for h, c in headers.items() if h == "type" for v in frame[c][:200]
    } - {""}
    types = " ".join(sorted(type_values))
    credits_only = bool(type_values) and all("credit" in value for value in type_values)
    best: tuple[str | None, int, dict[str, str]] = (None, 0, {})
    for kind in SYNONYMS:
        if kind == "invoice_lines":
            continue
        hinted = any(word in name for word in NAME_HINTS.get(kind, ()))
        if kind == "credit_notes":
            mixed = bool(type_values) and not credits_only
            score = 10 if (hinted and not mixed) or credits_only else 0
            columns: dict[str, str] = map_columns(kind, headers)
        else:
            columns = map_columns(kind, headers)
            missing = _missing(kind, columns, headers)
            score = len(columns) + (4 if hinted else 0) - 4 * len(missing) + _shape(kind, headers)
            if kind == "bills" and ("bill" in types or "purchase" in types):
                score += 4
        if score > best[1]:
            best = (kind, score, columns)
    return best if best[1] >= 3 else (None, 0, {})


def _nearest(headers: dict[str, str]) -> str:
    """What the closest kind found and lacked, so a reader knows what to map by hand."""
    kinds = [kind for kind in SYNONYMS if kind not in _NOT_SCORED_ON_COLUMNS]
    found = {kind: map_columns(kind, headers) for kind in kinds}
    kind = max(kinds, key=lambda k: len(found[k]) - len(_missing(k, found[k], headers)))
    missing = _missing(kind, found[kind], headers)
    if not found[kind] or not missing:
        return ""
    columns = ", ".join(f"{theirs} as {ours}" for ours, theirs in found[kind].items())
    return (
        f"; nearest is {kind.replace('_', ' ')} ({columns}), but nothing reads as "
        f"{', '.join(missing)}: map the file by hand (docs/csv-mapping.md)"
    )


def _shape(kind: str, headers: dict[str, str]) -> int:
    """Bonuses and penalties for what a kind's files always (or never) have."""
    has = set(headers)
    if kind == "journal_entries":
        return 4 if {"debit", "credit"} <= has else -6
    if kind == "appointments":
        return 3 if any(h.startswith("start") for h in has) else -6
    if kind == "customers":
        dated = any("date" in h or h in ("total", "amount") for h in has)
        return -6 if dated else 0
    if kind == "payments":
        return -3 if "duedate" in has else 0
    return 0


def map_columns(kind: str, headers: dict[str, str]) -> dict[str, str]:
    """Our column -> their header, each header used once, in synonym order."""
    used: set[str] = set()
    columns: dict[str, str] = {}
    for ours, words in SYNONYMS[kind].items():
        for word in words:
            if word in headers and word not in used:
                columns[ours] = headers[word]
                used.add(word)
                break
    return columns


def _missing(kind: str, columns: dict[str, str], headers: dict[str, str]) -> list[str]:
    required = {spec.name for spec in column_specs(FILE_STEMS[kind]) if spec.required} - {
        "currency"
    }
    named = normalise(columns.get("name", "")) in (
        "contactname",
        "customername",
        "displayname",
        "customer",
        "name",
    )
    if kind == "customers" and not named and {"firstname", "lastname"} <= set(headers):
        required.discard("name")
    if kind in ("invoices", "credit_notes") and _priced_lines(headers):
        required.discard("total")
    return sorted(required - set(columns))


def _priced_lines(headers: dict[str, str]) -> bool:
    """Whether each row is a line with a quantity and a unit price (its total is their product)."""
    lines = map_columns("invoice_lines", headers)
    return "quantity" in lines and "unit_price" in lines


def _mappings(
    kind: str,
    columns: dict[str, str],
    headers: dict[str, str],
    frame: pd.DataFrame,
    base: dict[str, Any],
) -> dict[str, dict[str, Any]]:
    mapping: dict[str, Any] = {
        **base,
        "columns": {theirs: ours for ours, theirs in columns.items()},
    }
    named = normalise(columns.get("name", "")) in (
        "contactname",
        "customername",
        "displayname",
        "customer",
        "name",
    )
    if kind == "customers" and not named and {"firstname", "lastname"} <= set(headers):
        # A person's name beats a company column that is mostly blank (Shopify).
        mapping["columns"] = {t: o for t, o in mapping["columns"].items() if o != "name"}
        mapping["combine"] = {"name": {"join": [headers["firstname"], headers["lastname"]]}}
    if kind in STATUS_VALUES and "status" in columns:
        translated = _status_values(kind, frame[columns["status"]])
        if translated:
            mapping["values"] = {"status": translated}
    result = {kind: mapping}
    key = columns.get("source_id")
    repeated = (
        key is not None and frame[key].str.strip().replace("", None).dropna().duplicated().any()
    )
    if kind == "journal_entries":
        mapping["group_by"] = {
            "key": "source_id",
            "aggregate": {"accounts": "join", "amount": "sum"},
        }
    elif kind in ("invoices", "credit_notes", "bills") and repeated:
        mapping["group_by"] = {"key": "source_id"}
        if "total" not in columns:
            quantity, price = map_columns("invoice_lines", headers).get("quantity"), None
            price = map_columns("invoice_lines", headers).get("unit_price")
            if quantity and price:
                mapping["combine"] = {"total": {"multiply": [quantity, price]}}
                mapping["group_by"]["aggregate"] = {"total": "sum"}
        if kind == "invoices":
            lines = _lines(headers, key or "", base)
            if lines:
                result["invoice_lines"] = lines
    return result


def _lines(headers: dict[str, str], key: str, base: dict[str, Any]) -> dict[str, Any] | None:
    columns = map_columns("invoice_lines", headers)
    columns["invoice_id"] = key
    mapping: dict[str, Any] = {**base}
    if "amount" not in columns:
        if "quantity" not in columns or "unit_price" not in columns:
            return None
        mapping["combine"] = {"amount": {"multiply": [columns["quantity"], columns["unit_price"]]}}
    mapping["columns"] = {theirs: ours for ours, theirs in columns.items()}
    return mapping


def _status_values(kind: str, cells: pd.Series) -> dict[str, str]:
    ours = STATUS_VALUES[kind]
    seen = {value.strip() for value in cells if value.strip()}
    return {
        value: ours[value.lower()]
        for value in sorted(seen)
        if value.lower() in ours and ours[value.lower()] != value
    }


def _dates(kind: str, columns: dict[str, str], frame: pd.DataFrame) -> DateGuess:
    timed = {s.name for s in column_specs(FILE_STEMS[kind]) if s.type in ("date", "datetime")}
    values = [v for ours, theirs in columns.items() if ours in timed for v in frame[theirs][:300]]
    return guess_format(values)


def _with_offsets(kind: str, columns: dict[str, str], frame: pd.DataFrame) -> bool:
    """Whether the file's times carry a UTC offset (``2026-01-05 10:22:31 +0100``)."""
    timed = {s.name for s in column_specs(FILE_STEMS[kind]) if s.type in ("date", "datetime")}
    return any(
        _OFFSET.search(str(value))
        for ours, theirs in columns.items()
        if ours in timed
        for value in frame[theirs][:50]
    )


def _numeric(kind: str, columns: dict[str, str]) -> list[str]:
    numbers = {s.name for s in column_specs(FILE_STEMS[kind]) if s.type == "float"}
    return [theirs for ours, theirs in columns.items() if ours in numbers]
