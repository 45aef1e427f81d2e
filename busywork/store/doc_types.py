"""Document types of the ``invoice`` table: what a customer document is, when not a sale.

Accounting tools keep sales invoices, credit notes, refunds, fees and adjustments in
the same ledger, and exports mix them in one file. Only sales invoices are what
"invoiced by hand", "paid late" or "entered twice" are about, so every row of the
``invoice`` table carries a ``doc_type`` from the small vocabulary below. Credit notes
and refunds are stored with a negative total (they reduce what the customer owes).

A connector that knows the type sets it (QuickBooks ``CreditMemo``, Xero
``ACCRECCREDIT``, Stripe credit notes); when a row has none, :func:`default_doc_types`
derives it from the total's sign, which is the one rule every source agrees on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: A sale: the only type the invoice detectors read.
INVOICE = "invoice"
#: Reduces or cancels what a customer owes (negative total), e.g. ``C536379``.
CREDIT_NOTE = "credit_note"
#: Money paid back to a customer (negative total), e.g. QuickBooks ``RefundReceipt``.
REFUND = "refund"
#: A charge that is not a sale: card or bank fees, postage, late fees keyed as documents.
FEE = "fee"
#: Bad debt written off, bank or manual corrections keyed as documents.
ADJUSTMENT = "adjustment"
#: A document with a zero total (a quote, a sample, a cancelled order kept on file).
ZERO = "zero"

DOC_TYPES = frozenset({INVOICE, CREDIT_NOTE, REFUND, FEE, ADJUSTMENT, ZERO})
#: The types :func:`default_doc_types` derives, by code: one object each, not one per row.
_DERIVED = np.array([INVOICE, CREDIT_NOTE, ZERO], dtype=object)


def default_doc_types(
    given: pd.Series, total: pd.Series, status: pd.Series | None = None
) -> pd.Series:
    """``given`` where set; otherwise a type from the sign of ``total``.

    A negative total is a credit note, a zero total a zero document (unless voided: a
    void invoice keeps its type and its ``void`` status), anything else an invoice.

    Args:
        given: the types a source sent (missing values: None/NaN).
        total: the document totals, as floats.
        status: the canonical statuses, if known.

    Returns:
        One type per row, indexed like ``given``.
    """
    out = given.astype(object).to_numpy(copy=True)
    missing = given.isna().to_numpy()
    if missing.any():  # a connector that types its documents leaves nothing to derive
        amounts = pd.to_numeric(total, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        void = (
            np.zeros(len(given), dtype=bool)
            if status is None
            else (status.astype(object) == "void").to_numpy(dtype=bool)
        )
        amounts, void = amounts[missing], void[missing]
        derived = np.where(amounts < 0, 1, np.where((amounts == 0) & ~void, 2, 0))
        out[missing] = _DERIVED[derived]
    return pd.Series(out, index=given.index, dtype=object)
