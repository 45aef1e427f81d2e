"""Credit notes that exactly cancel an invoice of the same customer within days.

An invoice keyed wrong is usually not edited but cancelled with a credit note for the
same amount and keyed again. The cancelled invoice and the one keyed again then look like
one invoice entered twice; they are a correction, one sale. This module finds the pairs
(with the invoice keyed again where there is one) so that ``duplicate_entry`` sets the
cancelled invoice aside; a credit note is never evidence of double entry itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from busywork.store.doc_types import CREDIT_NOTE, default_doc_types
from detectors import _documents as docs
from detectors import _frames as fr

#: Columns of the frame :func:`find_reversals` returns.
COLUMNS = (
    "key",
    "party_id",
    "party_name",
    "invoice_id",
    "credit_id",
    "reissue_id",
    "invoice_issued",
    "credit_issued",
    "amount",
    "invoice_source",
    "credit_source",
)


def find_reversals(raw: pd.DataFrame, today: pd.Timestamp, max_days: int) -> pd.DataFrame:
    """Pairs of an invoice and the credit note that cancels it exactly, per customer.

    A credit note reverses an invoice when both are for the same customer, its total is
    the invoice's to the cent (whatever its sign), and it is dated at most ``max_days``
    after the invoice. Each credit note cancels one invoice (the nearest before it) and
    each invoice is cancelled once. ``reissue_id`` is the first other sales invoice of
    the customer dated from the cancelled one's date up to ``max_days`` after the credit
    note, if any: the invoice keyed again.

    Args:
        raw: an invoice frame with ``doc_type`` (all document types).
        today: nothing dated later counts.
        max_days: most calendar days from the invoice to its credit note.
    """
    frame = _documents(raw, today)
    if frame is None:
        return pd.DataFrame(columns=list(COLUMNS))
    credits = frame[frame["doc_type"] == CREDIT_NOTE]
    sales = frame[frame["sale"]]
    if credits.empty or sales.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    # Sources that write credit notes unsigned (a C-number with a positive total) match too.
    pairs = credits.assign(cents=credits["cents"].abs()).merge(
        sales, on=["key", "cents"], suffixes=("_credit", "_invoice")
    )
    gap = fr.to_days(pairs["issued_credit"] - pairs["issued_invoice"])
    pairs = pairs[((gap >= 0) & (gap <= max_days)).to_numpy()].assign(gap=gap)
    pairs = pairs.sort_values(["gap", "source_id_invoice", "source_id_credit"])
    pairs = pairs.drop_duplicates("source_id_credit").drop_duplicates("source_id_invoice")
    if pairs.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    out = pd.DataFrame(
        {
            "key": pairs["key"].to_numpy(),
            "party_id": pairs["party_id_invoice"].to_numpy(),
            "party_name": pairs["party_name_invoice"].fillna(pairs["party_name_credit"]).to_numpy(),
            "invoice_id": pairs["source_id_invoice"].to_numpy(),
            "credit_id": pairs["source_id_credit"].to_numpy(),
            "invoice_issued": pairs["issued_invoice"].to_numpy(),
            "credit_issued": pairs["issued_credit"].to_numpy(),
            "amount": pairs["total_invoice"].to_numpy(),
            "invoice_source": pairs["source_invoice"].to_numpy(),
            "credit_source": pairs["source_credit"].to_numpy(),
        }
    )
    out["reissue_id"] = _reissues(out, sales, max_days)
    return out[list(COLUMNS)].sort_values(["key", "invoice_issued", "invoice_id"])


def _documents(raw: pd.DataFrame, today: pd.Timestamp) -> pd.DataFrame | None:
    """Non-void documents up to ``today`` with a customer key, type and amount in cents.

    None when no credit note is among them: then nothing is reversed, and the customers'
    keys (the costly part, one per document) are not worked out.
    """
    total = fr.as_money(raw["total"])
    status = fr.lowered(raw["status"])
    given = fr.lowered(raw["doc_type"]) if "doc_type" in raw else pd.Series(None, index=raw.index)
    doc_type = default_doc_types(given, total, status).to_numpy()
    credit = doc_type == CREDIT_NOTE
    if not credit.any():  # most ledgers: nothing else to work out
        return None
    issued = fr.as_dates(raw["issued_on"])
    keep = ((status != "void") & total.notna() & (issued <= today)).to_numpy()
    if not (keep & credit).any():
        return None
    party_id = fr.as_text(raw["customer_id"])
    party_name = fr.as_text(raw["customer_name"])
    frame = pd.DataFrame(
        {
            "key": fr.subject_key(party_id, party_name),
            "party_id": party_id,
            "party_name": party_name,
            "source_id": fr.as_text(raw["source_id"]),
            "source": fr.as_text(raw["source"]),
            "issued": issued,
            "total": total,
            "cents": np.round(total * 100),
            "doc_type": doc_type,
            "sale": docs.is_sales_invoice(raw),
        }
    )
    return frame[keep & frame["key"].notna().to_numpy()]


def _reissues(pairs: pd.DataFrame, sales: pd.DataFrame, max_days: int) -> np.ndarray:
    """Per pair, the first other sale of the customer in the re-keying window, or None."""
    candidates = pairs[["key", "invoice_id", "invoice_issued", "credit_issued"]].merge(
        sales[["key", "source_id", "issued"]], on="key"
    )
    limit = candidates["credit_issued"] + pd.Timedelta(days=max_days)
    inside = (
        (candidates["source_id"] != candidates["invoice_id"])
        & (candidates["issued"] >= candidates["invoice_issued"])
        & (candidates["issued"] <= limit)
        & ~candidates["source_id"].isin(pairs["invoice_id"])
    )
    first = (
        candidates[inside.to_numpy()]
        .sort_values(["issued", "source_id"])
        .drop_duplicates("invoice_id")
        .set_index("invoice_id")["source_id"]
    )
    return pairs["invoice_id"].map(first).astype(object).where(lambda s: s.notna(), None).to_numpy()
