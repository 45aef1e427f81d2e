"""The same generated business through CSV files and through the fake vendor APIs."""

from __future__ import annotations

import pytest

from busywork.evaluate import make_business, scan

pytestmark = pytest.mark.slow


def _findings(route: str) -> set[tuple[str, str | None]]:
    business = make_business(2, scale=0.05)
    document = scan(business, seed=2, route=route)
    return {(item["kind"], item["subject"]["id"]) for item in document["recommendations"]}


@pytest.mark.xfail(
    strict=True,
    reason="issue 13 class 5: facts lost in mapping (QuickBooks bills have no approval step "
    "and its invoices no paid date)",
)
def test_csv_and_api_routes_report_the_same_findings() -> None:
    assert _findings("api") == _findings("csv")
