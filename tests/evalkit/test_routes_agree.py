"""The same generated business through CSV files and through the fake vendor APIs.

Vendors name things their own way (a Stripe customer id, a ledger account's Id or code),
so findings are compared by what they are about: each one keyed to the subject the truth
knows, the way ``busywork eval`` scores them.
"""

from __future__ import annotations

import pytest

from busywork.evaluate import run_seed

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("seed", [2, 3], ids=["quickbooks", "xero"])
def test_csv_and_api_routes_report_the_same_findings(seed: int) -> None:
    through_files = run_seed(seed, scale=0.05, route="csv")
    through_apis = run_seed(seed, scale=0.05, route="api")
    assert through_apis.found == through_files.found
    assert through_apis.found  # a business with nothing to find would prove nothing
