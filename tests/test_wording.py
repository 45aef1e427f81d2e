from __future__ import annotations

import pytest

from busywork import wording
from detectors._cadence import spread_words


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (97590.7, "GBP", "£97,591"),
        (1234.5, "EUR", "€1,235"),  # half away from zero, not to the even number
        (-20.4, "USD", "−$20"),
        (-0.4, "GBP", "£0"),  # no "−£0"
        (1200, "CHF", "CHF 1,200"),
        (5, "", "5"),
    ],
)
def test_money_is_whole_units_in_one_format(amount: float, currency: str, expected: str) -> None:
    assert wording.money(amount, currency) == expected


def test_ranges_are_a_quarter_either_side_and_rounded() -> None:
    assert wording.hours_range(86.61) == "65–110 h a month"
    assert wording.hours_range(4.0) == "3–5 h a month"
    assert wording.hours_range(0.2) == "under half an hour a month"
    assert wording.hours_range(0.0) == ""
    assert wording.money_range(650.99, "GBP") == "£490–£810 a month"
    assert wording.money_range(0.4, "GBP") == ""


def test_kpi_changes_read_as_sentences() -> None:
    assert wording.kpi_change("dso_days", -13.3, "GBP") == "cash collected 13 days sooner"
    assert wording.kpi_change("late_fees_per_month", -146.0, "GBP") == (
        "£146 less in late fees a month"
    )
    assert wording.kpi_change("admin_hours_per_month", -0.04, "GBP") == ""  # no "−0.0 h"
    assert wording.kpi_change("admin_hours_per_month", None, "GBP") == ""
    assert wording.kpi_change("new_metric", 3.0, "GBP", "widgets") == "widgets up 3.0"


def test_dates_are_written_out_and_bad_ones_are_dropped() -> None:
    assert wording.long_date("2026-10-31") == "31 October 2026"
    assert wording.long_date("not a date") == ""
    assert wording.long_datetime("2026-12-03T10:02:11+00:00") == "3 December 2026 at 10:02 UTC"
    assert wording.long_datetime(None) == ""


def test_kinds_have_plain_names() -> None:
    assert wording.kind_label("slow_collection") == "Slow collection of invoices"
    assert wording.kind_label("brand_new_kind") == "Brand new kind"


def test_identical_amounts_are_not_said_to_vary_by_zero_percent() -> None:
    assert spread_words(0.0) == "the same amount every time"
    assert spread_words(0.12) == "amounts vary by about 12%"
