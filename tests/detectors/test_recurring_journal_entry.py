"""Tests for the recurring journal entry (same manual journal every period) detector."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from busywork.store.records import RecordKind
from detectors import RecurringJournalEntryDetector
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
