"""Bookkeeping and calendar coherence of the generated records, over several seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from busywork.synth import GeneratorSettings, SyntheticBusiness, generate

SEEDS = (1, 2, 5, 9)


@pytest.fixture(scope="module", params=SEEDS)
def business(request: pytest.FixtureRequest) -> SyntheticBusiness:
    return generate(GeneratorSettings(seed=request.param, scale=0.3))


def _per_invoice(frame: pd.DataFrame, column: str, invoices: pd.DataFrame) -> np.ndarray:
    sums = frame.groupby("invoice_id")[column].sum()
    return sums.reindex(invoices["source_id"]).fillna(0.0).to_numpy()


def test_ids_are_unique(business: SyntheticBusiness) -> None:
    for stem, frame in business.frames.items():
        assert frame["source_id"].is_unique, stem


def test_references_resolve(business: SyntheticBusiness) -> None:
    frames = business.frames
    customers = set(frames["customers"]["source_id"])
    invoices = set(frames["invoices"]["source_id"])
    assert set(frames["invoices"]["customer_id"]) <= customers
    assert set(frames["invoice_lines"]["invoice_id"]) <= invoices
    assert set(frames["payments"]["invoice_id"]) <= invoices
    assert set(frames["bills"]["vendor_id"]) <= set(frames["vendors"]["source_id"])
    # Every invoice has between one and three lines, numbered from 1.
    lines = frames["invoice_lines"].groupby("invoice_id")["line_no"].agg(["count", "max"])
    assert set(lines.index) == invoices
    assert lines["count"].between(1, 3).all()
    assert (lines["count"] == lines["max"]).all()


def test_lines_sum_to_totals(business: SyntheticBusiness) -> None:
    invoices, lines = business.frames["invoices"], business.frames["invoice_lines"]
    assert np.allclose(_per_invoice(lines, "amount", invoices), invoices["total"], atol=0.005)
    assert np.allclose(lines["quantity"] * lines["unit_price"], lines["amount"], atol=0.005)
    assert (invoices["total"] > 0).all()


def test_payments_never_exceed_totals_and_match_status(business: SyntheticBusiness) -> None:
    invoices, payments = business.frames["invoices"], business.frames["payments"]
    paid = _per_invoice(payments, "amount", invoices)
    total = invoices["total"].to_numpy()
    status = invoices["status"].to_numpy()
    assert (paid <= total + 0.005).all()
    assert np.allclose(
        invoices["balance"][status != "void"], (total - paid)[status != "void"], atol=0.005
    )
    assert (invoices["balance"][status == "void"] == 0).all()
    assert (paid[np.isin(status, ["void", "draft"])] == 0).all()
    assert np.allclose(paid[status == "paid"], total[status == "paid"], atol=0.005)
    assert (invoices["balance"][status == "open"] > 0).all()
    assert invoices["paid_at"].notna().eq(status == "paid").all()
    # Some payments are partial: more payments than paid invoices.
    assert len(payments) > (status == "paid").sum()


def test_payments_follow_their_invoices(business: SyntheticBusiness) -> None:
    invoices = business.frames["invoices"].set_index("source_id")
    payments = business.frames["payments"]
    issued = invoices.loc[payments["invoice_id"], "issued_on"].to_numpy()
    assert (payments["paid_at"].dt.normalize().to_numpy() >= issued).all()
    assert (payments["paid_at"] <= pd.Timestamp("2026-10-31 23:59:59")).all()
    currency = invoices.loc[payments["invoice_id"], "currency"].to_numpy()
    assert (payments["currency"].to_numpy() == currency).all()


def test_due_dates_use_14_or_30_day_terms(business: SyntheticBusiness) -> None:
    invoices = business.frames["invoices"]
    terms = (invoices["due_on"] - invoices["issued_on"]).dt.days
    assert set(terms) == {14, 30}
    per_customer = terms.groupby(invoices["customer_id"]).nunique()
    assert (per_customer == 1).all()


def test_currency_is_gbp_except_one_customer_abroad(business: SyntheticBusiness) -> None:
    invoices = business.frames["invoices"]
    foreign = invoices[invoices["currency"] != "GBP"]
    assert 1 <= len(foreign) <= 3
    assert foreign["customer_id"].nunique() == 1
    assert set(foreign["currency"]) <= {"EUR", "USD"}
    for stem in ("bills", "journal_entries"):
        assert set(business.frames[stem]["currency"]) == {"GBP"}


def test_appointments_are_in_london_working_hours(business: SyntheticBusiness) -> None:
    appointments = business.frames["appointments"]
    start = appointments["start_at"].dt.tz_localize("UTC").dt.tz_convert("Europe/London")
    end = appointments["end_at"].dt.tz_localize("UTC").dt.tz_convert("Europe/London")
    minutes = (end - start).dt.total_seconds() / 60
    assert minutes.between(30, 90).all()
    assert (start.dt.day_of_week < 5).all()
    assert (start.dt.hour * 60 + start.dt.minute >= 9 * 60).all()
    assert (end.dt.hour * 60 + end.dt.minute <= 17 * 60 + 30).all()
    assert (start.dt.date == end.dt.date).all()
    # Both summer and winter time occur, so the UTC offset handling is exercised.
    utc_hour = appointments["start_at"].dt.hour
    assert set(start.dt.hour - utc_hour) == {0, 1}


def test_appointment_outcomes_are_coherent(business: SyntheticBusiness) -> None:
    appointments = business.frames["appointments"]
    cancelled = appointments["status"] == "cancelled"
    assert appointments["cancelled_at"].notna().eq(cancelled).all()
    dropped = appointments[cancelled]
    assert (dropped["cancelled_at"] < dropped["start_at"]).all()
    assert appointments["cancelled_by"].notna().eq(cancelled).all()
    assert set(dropped["cancelled_by"]) <= {"host", "invitee"}
    assert (appointments["created_at"] < appointments["start_at"]).all()
    assert (appointments["updated_at"] >= appointments["created_at"]).all()
    internal = appointments["attendee_email"].isna() & appointments["attendee_name"].isna()
    assert internal.sum() > 50


def test_bills_are_coherent(business: SyntheticBusiness) -> None:
    bills = business.frames["bills"]
    status = bills["status"]
    assert bills["approved_at"].notna().eq(status.isin(["approved", "paid"])).all()
    assert bills["paid_at"].notna().eq(status == "paid").all()
    paid = bills[status == "paid"]
    assert (paid["paid_at"] >= paid["approved_at"]).all()
    assert (bills["due_on"] >= bills["issued_on"]).all()
    assert {"manual", "recurring"} <= set(bills["origin"])
    rent = bills[bills["description"] == "Office rent"]
    assert len(rent) == 18
    assert set(rent["origin"]) == {"manual"}


def test_records_stay_inside_the_window(business: SyntheticBusiness) -> None:
    start, end = pd.Timestamp("2025-05-01"), pd.Timestamp("2026-10-31 23:59:59")
    for stem, column in (
        ("invoices", "issued_on"),
        ("bills", "issued_on"),
        ("journal_entries", "posted_on"),
        ("appointments", "start_at"),
        ("payments", "paid_at"),
    ):
        values = business.frames[stem][column]
        assert values.between(start, end).all(), stem
    for stem, frame in business.frames.items():
        assert (frame["created_at"] <= end).all(), stem
        assert (frame["updated_at"] >= frame["created_at"]).all(), stem
