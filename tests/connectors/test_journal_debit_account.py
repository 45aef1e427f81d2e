"""Journals keep the account they debit: QuickBooks Account Id and name, Xero AccountCode."""

from __future__ import annotations

from typing import Any

from busywork.store.records import RecordKind
from connectors.quickbooks_mapping import journal_mapper as quickbooks_journals
from connectors.xero_mapping import account_names
from connectors.xero_mapping import journal_mapper as xero_journals
from tests.connectors.fake_xero import journal as xero_journal


def _line(amount: float, posting: str, account_id: str, name: str) -> dict[str, Any]:
    """A QuickBooks JournalEntry line, as the v3 API returns it."""
    return {
        "Id": account_id,
        "Amount": amount,
        "DetailType": "JournalEntryLineDetail",
        "JournalEntryLineDetail": {
            "PostingType": posting,
            "AccountRef": {"value": account_id, "name": name},
        },
    }


def _quickbooks_entry(*lines: dict[str, Any]) -> dict[str, Any]:
    return {
        "Id": "227",
        "SyncToken": "0",
        "TxnDate": "2026-09-30",
        "MetaData": {
            "CreateTime": "2026-09-30T10:00:00-07:00",
            "LastUpdatedTime": "2026-09-30T10:00:00-07:00",
        },
        "Line": list(lines),
    }


def test_quickbooks_journal_debit_account_is_the_largest_debit_line() -> None:
    entry = _quickbooks_entry(
        _line(100.0, "Debit", "7", "Bank Charges"),
        _line(400.0, "Debit", "84", "Depreciation Expense"),
        _line(500.0, "Credit", "85", "Accumulated Depreciation"),
    )
    [(kind, row)] = list(quickbooks_journals("USD")(entry))
    assert kind is RecordKind.JOURNAL_ENTRY
    assert (row["debit_account_id"], row["debit_account"]) == ("84", "Depreciation Expense")
    assert row["accounts"] == "Accumulated Depreciation|Bank Charges|Depreciation Expense"


def test_quickbooks_journal_without_a_debit_line_has_no_debit_account() -> None:
    entry = _quickbooks_entry(_line(500.0, "Credit", "85", "Accumulated Depreciation"))
    [(_, row)] = list(quickbooks_journals("USD")(entry))
    assert (row["debit_account_id"], row["debit_account"]) == (None, None)


def test_xero_journal_debit_account_is_the_positive_line_code() -> None:
    journal = xero_journal(1)
    journal["JournalLines"] = [
        {"LineAmount": -250.0, "AccountCode": "433"},
        {"LineAmount": 250.0, "AccountCode": "620"},
    ]
    [(_, row)] = list(xero_journals("GBP")(journal))
    assert row["accounts"] == "433|620"  # the sorted pair that named the old subject
    assert (row["debit_account_id"], row["debit_account"]) == ("620", "620")


def test_xero_journal_accounts_are_named_from_the_chart_of_accounts() -> None:
    chart = account_names(
        [
            {"Code": "433", "Name": "Accumulated Depreciation"},
            {"Code": "620", "Name": "Depreciation"},
            {"Code": "091", "Name": ""},  # nameless: the code stays
        ]
    )
    journal = xero_journal(1)
    journal["JournalLines"] = [
        {"LineAmount": -250.0, "AccountCode": "433"},
        {"LineAmount": 250.0, "AccountCode": "620"},
        {"LineAmount": 0.0, "AccountCode": "091"},
    ]
    [(_, row)] = list(xero_journals("GBP", chart)(journal))
    assert row["accounts"] == "091|Accumulated Depreciation|Depreciation"
    assert (row["debit_account_id"], row["debit_account"]) == ("620", "Depreciation")
    assert row["origin"] == "manual"


def test_a_xero_journal_an_app_posted_is_not_keyed_by_hand() -> None:
    journal = {**xero_journal(1), "Url": "https://payroll.example.com/runs/2026-09"}
    [(_, row)] = list(xero_journals("GBP")(journal))
    assert row["origin"] == "integration"
