"""Which invoice rows are sales: the one filter every invoice detector reads through.

Credit notes, refunds, fees, adjustments and zero-total documents share the ``invoice``
table with sales (see :mod:`busywork.store.doc_types`). None of them is "invoiced by hand",
"paid late" or "entered twice": a detector that counted them would report a customer's
refunds as a billing habit or a shop's returns as slow payers. Detectors that read
invoices declare ``doc_type`` and take their rows through :func:`sales_only`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from busywork.store.doc_types import INVOICE
from busywork.store.records import RecordKind
from detectors import _frames as fr
from detectors.base import Frames

#: The column detectors declare to tell sales from other documents.
DOC_TYPE = "doc_type"


def is_sales_invoice(raw: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """True for rows that are sales invoices: type ``invoice`` and a total above zero.

    The total is checked as well as the type: a negative or zero "invoice" from a source
    that typed it by hand is still no sale.
    """
    keep = np.ones(len(raw), dtype=bool)
    if DOC_TYPE in raw.columns:
        keep &= (fr.lowered(raw[DOC_TYPE]).fillna(INVOICE) == INVOICE).to_numpy(dtype=bool)
    if "total" in raw.columns:
        keep &= (fr.as_money(raw["total"]) > 0).to_numpy(dtype=bool)
    return keep


def sales_invoices(raw: pd.DataFrame) -> pd.DataFrame:
    """The rows of an invoice frame that are sales invoices (the frame itself if all are)."""
    keep = is_sales_invoice(raw)
    return raw if keep.all() else raw[keep]


def sales_only(frames: Frames) -> Frames:
    """``frames`` with the invoice frame narrowed to sales invoices (nothing is mutated)."""
    invoices = frames.get(RecordKind.INVOICE)
    if invoices is None:
        return frames
    return {**frames, RecordKind.INVOICE: sales_invoices(invoices)}


def line_signatures(lines: pd.DataFrame) -> pd.DataFrame:
    """Per invoice id: a signature of its lines (equal for the same lines in any order).

    A line is its item, description, quantity and amount; the signature is the sum of
    the lines' 64-bit hashes with the line count, so two invoices with the same lines
    in another order match and no per-invoice Python loop is needed.

    Returns:
        A frame indexed by invoice id with ``signature`` (text) and ``line_count``.
    """
    if lines.empty:
        return pd.DataFrame(
            {"signature": pd.Series(dtype=object), "line_count": pd.Series(dtype="int64")}
        )
    parts = pd.DataFrame(
        {
            column: fr.lowered(lines[column]).fillna("")
            for column in ("item", "description")
            if column in lines.columns
        }
    )
    for column in ("quantity", "amount"):
        if column in lines.columns:
            parts[column] = (fr.as_money(lines[column]) * 100).round().fillna(0).astype("int64")
    hashed = pd.util.hash_pandas_object(parts, index=False).to_numpy(dtype=np.uint64)
    grouped = pd.DataFrame(
        {"invoice_id": fr.as_text(lines["invoice_id"]).to_numpy(), "hash": hashed}
    ).groupby("invoice_id")["hash"]
    total = grouped.sum()  # wraps around modulo 2**64, which keeps it order-independent
    count = grouped.size()
    return pd.DataFrame(
        {
            "signature": [f"{int(h):x}:{int(n)}" for h, n in zip(total, count, strict=True)],
            "line_count": count.astype("int64").to_numpy(),
        },
        index=total.index,
    )
