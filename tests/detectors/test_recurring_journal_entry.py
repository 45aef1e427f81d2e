"""Tests for the recurring journal entry (same manual journal every period) detector."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from busywork.store.records import RecordKind
from detectors import RecurringJournalEntryDetector
from detectors.base import Subject
from detectors.recurring_journal_entry import accounts_signature
from tests.detectors.catalogue_factories import journal, journal_scenario, journals
from tests.detectors.detector_factories import context, empty_frames


def test_hand_keyed_depreciation_is_found_and_payroll_and_accruals_are_not() -> None:
    (finding,) = RecurringJournalEntryDetector().detect(journal_scenario(), context())

    assert finding.subject.type == "account"
    assert finding.subject.id == "depreciation|fixed assets"
    assert finding.subject.name == "Fixed Assets / Depreciation"
    assert finding.record_ids == tuple(f"dep-{n:02d}" for n in range(12))
    assert finding.metrics["typical_amount"] == 350.0
    assert finding.hours_saved_per_month == pytest.approx(
        finding.metrics["journals_per_month"] * 8 / 60, rel=1e-3
    )
    assert "every month" in finding.title


def test_signature_ignores_order_case_and_spaces() -> None:
    cells = pd.Series(["Fixed Assets|Depreciation", " depreciation | FIXED ASSETS ", None, "|"])
    assert accounts_signature(cells).tolist()[:2] == ["depreciation|fixed assets"] * 2
    assert accounts_signature(cells).isna().tolist()[2:] == [True, True]


def test_spellings_of_the_same_accounts_make_one_run() -> None:
    rows = [
        journal(f"d{n}", posted_on=date(2024, n + 1, 28),
                accounts="Depreciation|Fixed Assets" if n % 2 else "fixed assets | depreciation",
                amount=350.0)
        for n in range(12)
    ]  # fmt: skip
    (finding,) = RecurringJournalEntryDetector().detect(
        {RecordKind.JOURNAL_ENTRY: journals(rows)}, context()
    )
    assert finding.metrics["occurrences"] == 12


def test_amount_tolerance_is_a_threshold() -> None:
    loose = RecurringJournalEntryDetector(max_amount_cv=5.0, min_regular_share=0.0)
    kinds = {c.subject.id for c in loose.detect(journal_scenario(), context())}
    assert "accruals|utilities" in kinds
    assert "net wages|wages" not in kinds  # automated: never reported, whatever the threshold


def test_empty_frame_gives_nothing() -> None:
    detector = RecurringJournalEntryDetector()
    assert detector.detect(empty_frames(RecurringJournalEntryDetector), context()) == []


def test_input_is_not_modified() -> None:
    frames = journal_scenario()
    before = frames[RecordKind.JOURNAL_ENTRY].copy()
    RecurringJournalEntryDetector().detect(frames, context())
    pd.testing.assert_frame_equal(frames[RecordKind.JOURNAL_ENTRY], before)


def _monthly(
    debit_id: str | None,
    debit_name: str | None,
    accounts: str,
    *,
    source: str,
    prefix: str = "j",
    amount: float = 350.0,
) -> list[dict[str, object]]:
    return [
        journal(f"{prefix}{n:02d}", posted_on=date(2024, n + 1, 28), accounts=accounts,
                amount=amount, debit_account_id=debit_id, debit_account=debit_name, source=source)
        for n in range(12)
    ]  # fmt: skip


def test_quickbooks_journal_is_about_its_debit_account() -> None:
    rows = _monthly("84", "Depreciation Expense", "Accumulated Depreciation|Depreciation Expense",
                    source="quickbooks")  # fmt: skip
    (finding,) = RecurringJournalEntryDetector().detect(
        {RecordKind.JOURNAL_ENTRY: journals(rows)}, context()
    )
    assert finding.subject == Subject(
        "account",
        "84",
        "Depreciation Expense",
        source_id="84",
        alt_ids=("accounts:accumulated depreciation|depreciation expense",),
    )
    assert finding.title.startswith(
        "The Depreciation Expense (Accumulated Depreciation / Depreciation Expense) journal"
    )


def test_xero_journal_names_the_debit_account_code_not_a_sorted_pair() -> None:
    # Xero manual journal lines carry account codes: debit 620 (prepayments) against 433.
    rows = _monthly("620", "620", "433|620", source="xero")
    (finding,) = RecurringJournalEntryDetector().detect(
        {RecordKind.JOURNAL_ENTRY: journals(rows)}, context()
    )
    assert (finding.subject.id, finding.subject.source_id) == ("620", "620")
    assert finding.subject.alt_ids == ("accounts:433|620",)


def test_two_journals_debiting_one_account_keep_distinct_subjects() -> None:
    rows = _monthly("620", "Prepayments", "433|620", source="xero", prefix="a") + _monthly(
        "620", "Prepayments", "620|800", source="xero", prefix="b", amount=90.0
    )
    found = RecurringJournalEntryDetector().detect(
        {RecordKind.JOURNAL_ENTRY: journals(rows)}, context()
    )
    assert sorted(f.subject.id for f in found) == ["620", "620:620|800"]
    assert len({f.stable_id("biz") for f in found}) == 2


def test_same_accounts_debited_the_other_way_are_two_journals() -> None:
    rows = _monthly("433", "433", "433|620", source="xero", prefix="a") + _monthly(
        "620", "620", "433|620", source="xero", prefix="b", amount=90.0
    )
    found = RecurringJournalEntryDetector().detect(
        {RecordKind.JOURNAL_ENTRY: journals(rows)}, context()
    )
    assert sorted(f.subject.id for f in found) == ["433", "620"]
