"""The fake vendor APIs of ``eval --route api`` serve every feed the real connectors read.

A connector that learns a new feed (credit notes, say) must not turn the API route into
"connector failed" for every seed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from busywork.evalkit import fake_quickbooks, fake_stripe, fake_xero
from busywork.synth import GeneratorSettings, generate
from connectors import stripe, xero, xero_history
from connectors.quickbooks_mapping import bill_mapper
from connectors.xero_mapping import map_invoice


def test_the_fake_xero_serves_every_xero_feed() -> None:
    assert {path for path, *_ in xero.FEEDS} <= set(fake_xero.FEEDS)


def test_the_fake_stripe_serves_every_stripe_feed() -> None:
    business = generate(GeneratorSettings(seed=1, months=12, customers=20, scale=0.1))
    served = set(fake_stripe.stripe_objects(business.frames))
    assert set(stripe.FEEDS) <= served


def _bills_through(mapped: list[dict[str, Any]], frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    truth = frames["bills"][["source_id", "status", "approved_at"]]
    truth = truth.rename(columns={"status": "status_truth", "approved_at": "approved_at_truth"})
    out = pd.DataFrame(mapped).astype({"source_id": str})
    return out.merge(truth.astype({"source_id": str}), on="source_id", how="inner")


def test_bills_keep_their_approval_through_either_books_vendor() -> None:
    business = generate(GeneratorSettings(seed=2, months=12, customers=20, scale=0.1))
    frames = business.frames
    company = fake_quickbooks.company(frames)
    quickbooks = [row for bill in company["Bill"] for _, row in bill_mapper("GBP")(bill)]
    organisation = fake_xero.organisation(frames)
    history = fake_xero.histories(frames)
    xero = [
        row
        for bill in organisation["Invoices"]
        if bill["Type"] == "ACCPAY"
        for _, row in map_invoice(bill, {bill["InvoiceID"]: bill_history_of(history, bill)})
    ]
    for mapped in (quickbooks, xero):
        joined = _bills_through(mapped, frames)
        waiting = joined["status_truth"] == "awaiting_approval"
        assert waiting.any()
        assert (joined.loc[waiting, "status"] == "awaiting_approval").all()
        approved = joined["approved_at_truth"].notna()
        assert approved.any()
        got = pd.to_datetime(joined.loc[approved, "approved_at"], utc=True)
        want = pd.to_datetime(joined.loc[approved, "approved_at_truth"]).dt.tz_localize("UTC")
        assert (got == want).all()


def bill_history_of(history: dict[str, Any], bill: dict[str, Any]) -> dict[str, Any]:
    return xero_history.bill_history({"HistoryRecords": history.get(bill["InvoiceID"], [])})
