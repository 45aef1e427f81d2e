"""A real transaction ledger: Something New's finances, September 2014 to April 2019.

Rows a bookkeeper can check by hand in ``tests/data/real/party_ledger/party.2486.csv``: 152
payments to suppliers and 255 donations, each row one movement of money with a running cash
balance. There are no invoice numbers, due dates or approvals, and nothing says how a charge
was made (most are card subscriptions: Digital Ocean, Heroku, SoundCloud, NationBuilder).
The payments are imported as what they are in the books: paid supplier bills.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import pytest

from tests.real.scanning import REAL, kinds, scan

EXPORT = REAL / "party_ledger" / "party.2486.csv"
AS_OF = datetime(2019, 4, 30, 23, 59)


def export() -> pd.DataFrame:
    """The ledger as published; ``value`` is in GBP, negative for money paid out."""
    rows = pd.read_csv(EXPORT, dtype=str, keep_default_na=False)
    rows["value"] = pd.to_numeric(rows["value"].replace("", None))
    return rows


def prepared() -> dict[str, pd.DataFrame]:
    """What a bookkeeper would import: each payment out as a supplier bill, paid that day.

    Nothing is invented: no number, due date, approval or origin; donations are income
    without an invoice and are left out.
    """
    rows = export()
    paid = rows[rows["value"] < 0]
    bills = pd.DataFrame(
        {
            "source_id": [f"row-{index + 2}" for index in paid.index],  # line in the file
            "vendor_name": paid["supplier"],
            "issued_on": paid["date"],
            "paid_at": paid["date"],
            "status": "paid",
            "total": -paid["value"],
            "currency": "GBP",
            "description": paid["description"],
        }
    )
    return {"bills": bills}


def test_the_ledger_is_what_its_provenance_says() -> None:
    rows = export()
    assert len(rows) == 408
    assert (rows["value"] < 0).sum() == 152
    assert round(rows.loc[rows["value"] < 0, "value"].sum(), 2) == -2430.54
    assert (rows["value"] > 0).sum() == 255
    assert round(rows.loc[rows["value"] > 0, "value"].sum(), 2) == 3157.80
    # The one Heroku charge written in USD only (1 April 2017, -5.33 USD).
    assert rows.loc[rows["value"].isna(), ["supplier", "non_gbp_value"]].values.tolist() == [
        ["Heroku", "-5.33"]
    ]


def test_digital_ocean_charged_every_first_of_the_month_from_june_2017() -> None:
    rows = export()
    ocean = rows[(rows["supplier"] == "Digital Ocean, Inc.") & (rows["date"] >= "2017-06-01")]
    assert len(ocean) == 23
    assert set(pd.to_datetime(ocean["date"]).dt.day) == {1}


def test_the_two_same_day_charges_both_left_the_account() -> None:
    # Lines 69-70: Digital Ocean, -3.92, 2016-07-15; running balance 25.64 then 21.72.
    rows = export()
    pair = rows[(rows["supplier"] == "Digital Ocean, Inc.") & (rows["date"] == "2016-07-15")]
    assert pair["value"].tolist() == [-3.92, -3.92]
    assert pair["cash_balance"].tolist() == ["25.64", "21.72"]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The scan of the supplier payments, as of the end of the ledger's last month."""
    return scan(prepared(), tmp_path_factory.mktemp("party"), AS_OF)


def test_subscriptions_are_not_called_bills_keyed_by_hand(report: dict[str, Any]) -> None:
    # Nothing in the ledger says who or what made a charge: no finding may say "by hand".
    assert "recurring_bill" not in kinds(report)
    for item in report["recommendations"]:
        assert "by hand" not in str(item.get("title", "")).lower()


def test_the_approval_queue_is_reported_as_not_checkable(report: dict[str, Any]) -> None:
    entry = report["detectors"]["approval_backlog"]["coverage"]
    assert entry["checked"] is False
    assert "approval" in entry["reason"]
    assert "approval_backlog" not in kinds(report)


def test_no_payment_finding_from_a_ledger_without_sales(report: dict[str, Any]) -> None:
    found = kinds(report)
    assert "slow_collection" not in found
    assert "payment_reminders" not in found


def test_two_real_debits_are_not_reported_as_entered_twice(report: dict[str, Any]) -> None:
    # Lines 69-70 (Digital Ocean, 3.92 twice on 15 July 2016): the running balance fell twice,
    # so both charges were real; one pair of unknown origin is no evidence of double entry.
    assert "duplicate_entry" not in kinds(report)
