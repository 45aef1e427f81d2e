"""The CSV schema of every frame, frame construction, and writing CSVs plus ``truth.json``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

ColumnKind = Literal["str", "date", "datetime", "money", "int", "number"]

_COMMON: tuple[tuple[str, ColumnKind], ...] = (
    ("source_id", "str"),
    ("origin", "str"),
    ("created_at", "datetime"),
    ("updated_at", "datetime"),
)

#: Columns of each CSV, in order, with how their cells are written.
SCHEMAS: dict[str, tuple[tuple[str, ColumnKind], ...]] = {
    "customers": (*_COMMON, ("name", "str"), ("email", "str"), ("phone", "str")),
    "vendors": (*_COMMON, ("name", "str"), ("email", "str")),
    "invoices": (
        *_COMMON,
        ("customer_id", "str"),
        ("customer_name", "str"),
        ("customer_email", "str"),
        ("number", "str"),
        ("status", "str"),
        ("issued_on", "date"),
        ("due_on", "date"),
        ("paid_at", "datetime"),
        ("total", "money"),
        ("balance", "money"),
        ("currency", "str"),
        ("template_id", "str"),
        ("description", "str"),
    ),
    "invoice_lines": (
        *_COMMON,
        ("invoice_id", "str"),
        ("line_no", "int"),
        ("description", "str"),
        ("item", "str"),
        ("quantity", "number"),
        ("unit_price", "money"),
        ("amount", "money"),
    ),
    "payments": (
        *_COMMON,
        ("invoice_id", "str"),
        ("customer_id", "str"),
        ("paid_at", "datetime"),
        ("amount", "money"),
        ("currency", "str"),
        ("method", "str"),
        ("bill_id", "str"),
        ("vendor_id", "str"),
    ),
    "bills": (
        *_COMMON,
        ("vendor_id", "str"),
        ("vendor_name", "str"),
        ("number", "str"),
        ("status", "str"),
        ("issued_on", "date"),
        ("due_on", "date"),
        ("approved_at", "datetime"),
        ("paid_at", "datetime"),
        ("total", "money"),
        ("currency", "str"),
        ("description", "str"),
    ),
    "appointments": (
        *_COMMON,
        ("title", "str"),
        ("start_at", "datetime"),
        ("end_at", "datetime"),
        ("status", "str"),
        ("attendee_email", "str"),
        ("attendee_name", "str"),
        ("series_id", "str"),
        ("calendar", "str"),
        ("cancelled_at", "datetime"),
        ("cancelled_by", "str"),
    ),
    "journal_entries": (
        *_COMMON,
        ("posted_on", "date"),
        ("accounts", "str"),
        ("amount", "money"),
        ("currency", "str"),
        ("memo", "str"),
    ),
}

STEMS: tuple[str, ...] = tuple(SCHEMAS)


def header(stem: str) -> list[str]:
    """The CSV header of ``stem``."""
    return [name for name, _ in SCHEMAS[stem]]


def make_frame(stem: str, values: Mapping[str, npt.NDArray[Any]]) -> pd.DataFrame:
    """A typed frame: dates and datetimes as ``datetime64[s]``, money in pounds, text as str.

    Money arrives in integer pence, so sums stay exact until this point.

    Raises:
        KeyError: a schema column is missing from ``values``.
    """
    data: dict[str, Any] = {}
    for name, kind in SCHEMAS[stem]:
        array = values[name]
        if kind == "money":
            data[name] = pd.array(array / 100.0, dtype="float64")
        elif kind in ("date", "datetime"):
            data[name] = array.astype("datetime64[s]")
        elif kind == "int":
            data[name] = array.astype(np.int64)
        elif kind == "number":
            data[name] = array.astype(np.float64)
        else:
            data[name] = pd.array(array, dtype="str")
    return pd.DataFrame(data)


def _cells(series: pd.Series, kind: ColumnKind) -> npt.NDArray[Any]:
    """The column's CSV cells as strings, empty where null."""
    values = series.to_numpy()
    if kind in ("date", "datetime"):
        stamps = values.astype("datetime64[D]" if kind == "date" else "datetime64[s]")
        text = np.datetime_as_string(stamps).astype(object)
        if kind == "datetime":
            text = text + "Z"
        text[np.isnat(stamps)] = ""
        return text
    if kind == "money":
        amounts = values.astype(np.float64)
        text = np.char.mod("%.2f", np.round(amounts, 2)).astype(object)
        # An export without a value leaves the cell empty; "nan" would be a bad number.
        text[np.isnan(amounts)] = ""
        return text
    if kind == "number":
        return np.char.mod("%g", values.astype(np.float64)).astype(object)
    if kind == "int":
        return values.astype(np.int64).astype(str).astype(object)
    return series.fillna("").to_numpy(dtype=object)


def write_csv(frame: pd.DataFrame, stem: str, path: Path, encoding: str = "utf-8") -> None:
    """Write ``frame`` with exactly the ``stem`` schema's header and cell formats.

    Raises:
        UnicodeEncodeError: a cell holds a character ``encoding`` cannot write.
    """
    cells = pd.DataFrame(
        {name: _cells(frame[name], kind) for name, kind in SCHEMAS[stem]}, dtype=object
    )
    cells.to_csv(path, index=False, lineterminator="\n", encoding=encoding)


def write_all(frames: Mapping[str, pd.DataFrame], truth: Mapping[str, Any], out_dir: Path) -> None:
    """Write one CSV per frame and ``truth.json`` into ``out_dir`` (created if needed).

    The CSVs use ``truth["encoding"]`` (UTF-8 unless a profile chose another); the truth
    file is always UTF-8.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    encoding = str(truth.get("encoding", "utf-8"))
    for stem in STEMS:
        write_csv(frames[stem], stem, out_dir / f"{stem}.csv", encoding)
    text = json.dumps(truth, indent=2, ensure_ascii=False, sort_keys=False)
    (out_dir / "truth.json").write_text(text + "\n", encoding="utf-8")
