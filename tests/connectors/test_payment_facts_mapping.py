"""Xero and Stripe invoices, mapped from vendor-shaped payloads, carry their payment facts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from busywork.store.records import RecordKind
from connectors.stripe_mapping import map_invoice as map_stripe_invoice
from connectors.xero_mapping import map_invoice as map_xero_invoice
from detectors._payments import PAID, UNPAID, payment_facts
from tests.connectors.fake_stripe import invoice as stripe_invoice

VENDOR = Path(__file__).resolve().parents[2] / ".." / "shared" / "vendor"
XERO_INVOICES = VENDOR / "xero" / "examples" / "GET_Invoices.200.json"


def invoice_frame(pairs: list[tuple[RecordKind, dict[str, Any]]], source: str) -> pd.DataFrame:
    rows = [row for kind, row in pairs if kind is RecordKind.INVOICE]
    return pd.DataFrame(rows).assign(source=source)


@pytest.mark.skipif(not XERO_INVOICES.is_file(), reason="vendor artefacts not present")
def test_xero_fully_paid_on_date_is_the_paid_date() -> None:
    body = json.loads(XERO_INVOICES.read_text(encoding="utf-8"))
    pairs = [pair for obj in body["Invoices"] for pair in map_xero_invoice(obj)]
    invoices = invoice_frame(pairs, "xero")
    facts = payment_facts(invoices, None).set_index(invoices["status"])
    assert facts.loc["paid", "state"] == PAID
    # FullyPaidOnDate /Date(1543449600000+0000)/ is 29 Nov 2018.
    assert facts.loc["paid", "paid_at"] == pd.Timestamp("2018-11-29")
    assert facts.loc["open", "state"] == UNPAID  # AmountDue 115.00


def test_stripe_status_transitions_paid_at_is_the_paid_date() -> None:
    pairs = [
        *map_stripe_invoice(stripe_invoice(1, status="paid")),
        *map_stripe_invoice(stripe_invoice(2, status="open")),
    ]
    invoices = invoice_frame(pairs, "stripe")
    facts = payment_facts(invoices, None)
    assert list(facts["state"]) == [PAID, UNPAID]
    paid_at = pd.Timestamp(invoices["paid_at"].iloc[0]).tz_localize(None)
    assert facts["paid_at"].iloc[0] == paid_at
    assert pd.isna(facts["paid_at"].iloc[1])
