from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from alignment.baselines import measure_baselines
from busywork.store.records import RecordKind
from detectors.base import DetectionContext
from tests.alignment.factories import candidate

AS_OF = datetime(2026, 6, 30, tzinfo=UTC)
CONTEXT = DetectionContext(business="b", as_of=AS_OF, minutes_per_task={"create_invoice": 12.0})


def _invoices() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": ["x"] * 3,
            "source_id": ["I1", "I2", "I3"],
            "origin": ["manual", "manual", "template"],
            "issued_on": pd.to_datetime(["2026-04-01", "2026-05-01", "2026-06-01"]),
            "due_on": pd.to_datetime(["2026-05-01", "2026-05-31", "2026-07-01"]),
            "paid_at": pd.to_datetime(["2026-05-03", None, None]),
            "total": [300.0, 600.0, 900.0],
            "balance": [0.0, 600.0, 900.0],
            "status": ["paid", "open", "open"],
        }
    )


def _appointments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": ["x"] * 4,
            "source_id": ["A1", "A2", "A3", "A4"],
            "origin": ["manual", "booking_link", "manual", "manual"],
            "start_at": pd.to_datetime(
                ["2026-06-01 09:00", "2026-06-02 09:00", "2026-06-03 09:00", "2026-06-04 09:00"]
            ),
            "status": ["confirmed", "no_show", "confirmed", "cancelled"],
        }
    )


def test_measured_from_records() -> None:
    frames = {RecordKind.INVOICE: _invoices(), RecordKind.APPOINTMENT: _appointments()}
    found = measure_baselines(
        [
            "dso_days",
            "overdue_receivables",
            "billed_revenue_per_month",
            "no_show_rate",
            "admin_hours_per_month",
        ],
        frames,
        CONTEXT,
        [],
    )
    assert found["dso_days"] == pytest.approx(1500 / 1800 * 180)  # outstanding / billed × window
    assert found["overdue_receivables"] == 600.0  # only I2 is past due and unpaid
    assert found["billed_revenue_per_month"] == pytest.approx(1800 / (180 / 30.44), rel=1e-3)
    assert found["no_show_rate"] == pytest.approx(100 / 3, abs=1e-3)
    # 2 manual invoices × 12 min + 3 manual appointments × 5 min + 2 invoices fallen past
    # due (I1 paid 2 days late, I2 unpaid) × 10 min of chasing, over ~5.9 months.
    assert found["admin_hours_per_month"] == pytest.approx(
        (24 + 15 + 20) / 60 / (180 / 30.44), rel=1e-3
    )


def test_metrics_only_findings_know_and_unmeasurable_ones() -> None:
    findings = [
        candidate(
            "appointment_to_invoice",
            "C",
            metrics={"leakage_per_month": 40.0, "median_lag_days": 3.0},
        ),
        candidate(
            "appointment_to_invoice",
            "D",
            metrics={"leakage_per_month": 60.0, "median_lag_days": 5.0},
        ),
    ]
    found = measure_baselines(
        ["leakage_per_month", "time_to_invoice_days", "no_show_rate"], {}, CONTEXT, findings
    )
    assert found == {"leakage_per_month": 100.0, "time_to_invoice_days": 4.0}


def test_receivables_are_measured_only_where_the_data_records_payment() -> None:
    shop = _invoices().assign(source="shop", paid_at=pd.NaT, balance=float("nan"), status="open")
    found = measure_baselines(
        ["dso_days", "overdue_receivables", "billed_revenue_per_month"],
        {RecordKind.INVOICE: shop},
        CONTEXT,
        [],
    )
    # Nothing says what is owed: no DSO rather than "everything ever billed is owed".
    assert "dso_days" not in found
    assert "overdue_receivables" not in found
    assert found["billed_revenue_per_month"] == pytest.approx(1800 / (180 / 30.44), rel=1e-3)


def test_paid_invoices_take_their_date_from_linked_payments() -> None:
    books = _invoices().assign(paid_at=pd.NaT)  # I1 paid (balance 0), dated by its payment
    payments = pd.DataFrame(
        {
            "source": ["x"],
            "source_id": ["P1"],
            "origin": ["manual"],
            "invoice_id": ["I1"],
            "paid_at": pd.to_datetime(["2026-05-03"]),
            "amount": [300.0],
        }
    )
    found = measure_baselines(
        ["dso_days"], {RecordKind.INVOICE: books, RecordKind.PAYMENT: payments}, CONTEXT, []
    )
    assert found["dso_days"] == pytest.approx(1500 / 1800 * 180)
