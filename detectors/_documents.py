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
from detectors import _distinct as ds
from detectors import _frames as fr
from detectors._codes import Codes
from detectors._shared import shared
from detectors.base import Frames

#: The column detectors declare to tell sales from other documents.
DOC_TYPE = "doc_type"


def is_sales_invoice(raw: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """True for rows that are sales invoices: type ``invoice`` and a total above zero.

    The total is checked as well as the type: a negative or zero "invoice" from a source
    that typed it by hand is still no sale.
    """
    # Several detectors narrow the pass's invoice frame to its sales: once per pass.
    return shared("sales_rows", (raw,), (), lambda: _sales_rows(raw))


def _sales_rows(raw: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.bool_]]:
    keep = np.ones(len(raw), dtype=bool)
    if DOC_TYPE in raw.columns:
        # Each distinct type is tested once; a row without one is taken for an invoice.
        keep &= ds.per_distinct_test(raw[DOC_TYPE], _is_invoice_type, True)
    if "total" in raw.columns:
        keep &= (fr.as_money(raw["total"]) > 0).to_numpy(dtype=bool)
    keep.flags.writeable = False  # shared within a pass
    return keep


def _is_invoice_type(doc_type: str) -> bool:
    return ds.clean_lowered(doc_type) == INVOICE


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
    in another order match. Text is reduced to integer codes first and the sums are taken
    over sorted codes: no per-invoice Python work, and no hashing of strings per line.

    Returns:
        A frame indexed by invoice id with ``signature`` (text) and ``line_count``.
    """
    invoice_codes, invoice_ids = pd.factorize(fr.as_text(lines["invoice_id"]))
    keep = invoice_codes >= 0
    if not keep.any():
        return pd.DataFrame(
            {"signature": pd.Series(dtype=object), "line_count": pd.Series(dtype="int64")}
        )
    parts: dict[str, np.ndarray[Any, np.dtype[np.int64]]] = {}
    for column in ("item", "description"):
        if column in lines.columns:
            parts[column] = Codes.of([lines[column]], ds.clean_lowered).codes
    for column in ("quantity", "amount"):
        if column in lines.columns:
            cents = (fr.as_money(lines[column]) * 100).round().fillna(0)
            parts[column] = np.asarray(cents, dtype=np.int64)
    hashed = pd.util.hash_pandas_object(pd.DataFrame(parts), index=False).to_numpy(np.uint64)
    codes, hashed = invoice_codes[keep], hashed[keep]
    order = np.argsort(codes, kind="stable")
    codes, hashed = codes[order], hashed[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    sums = np.add.reduceat(hashed, starts)  # uint64: wraps modulo 2**64, order-independent
    counts = np.diff(np.r_[starts, len(codes)])
    text = np.array(
        [f"{total:x}:{count}" for total, count in zip(sums.tolist(), counts.tolist(), strict=True)],
        dtype=object,
    )
    return pd.DataFrame(
        {"signature": text, "line_count": counts.astype(np.int64)},
        index=pd.Index(np.asarray(invoice_ids, dtype=object)[codes[starts]], name="invoice_id"),
    )
