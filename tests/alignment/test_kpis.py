from __future__ import annotations

from alignment.kpis import format_amount


def test_amounts_read_as_a_person_writes_them() -> None:
    assert format_amount(-6.54, "days", "GBP") == "−6.5 days"
    assert format_amount(840.0, "{cur}/month", "GBP") == "+840 GBP/month"
    assert format_amount(-0.04, "h/month", "GBP") == "under 0.1 h/month"  # never "−0.0"
    assert format_amount(0.0, "%", "GBP") == "0.0 points"
