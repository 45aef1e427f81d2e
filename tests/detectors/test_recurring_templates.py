"""Recurring templates in the accounting tool silence the three "keyed by hand" detectors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import pytest

from busywork.errors import DetectorInputError
from busywork.store.records import RecordKind
from detectors import RecurringBillDetector, RecurringInvoiceDetector, RecurringJournalEntryDetector
from detectors._templates import TEMPLATE_COLUMNS
from detectors.base import Detector
from tests.detectors.catalogue_factories import journal_scenario, recurring_bill_scenario
from tests.detectors.detector_factories import context, empty_frames, recurring_scenario


@dataclass(frozen=True)
class Case:
    """A detector, its planted scenario, and the planted subject as a template names it."""

    detector: type[Detector]
    scenario: Callable[[], dict[RecordKind, pd.DataFrame]]
    document: str
    source: str
    subject_id: str
    #: The template fields naming the planted subject.
    names: dict[str, Any]
    #: Subject ids found without any template.
    found: frozenset[str]


CASES = [
    Case(
        RecurringInvoiceDetector,
        recurring_scenario,
        "invoice",
        "quickbooks",
        "cus-acme",
        {"counterparty_id": "cus-acme", "counterparty_name": "Acme Ltd"},
        frozenset({"cus-acme"}),
    ),
    Case(
        RecurringBillDetector,
        recurring_bill_scenario,
        "bill",
        "xero",
        "ven-rent",
        {"counterparty_id": "ven-rent", "counterparty_name": "Harbour Estates"},
        frozenset({"ven-rent", "ven-gas"}),
    ),
    Case(
        RecurringJournalEntryDetector,
        journal_scenario,
        "journal_entry",
        "quickbooks",
        "depreciation|fixed assets",
        {"accounts": "Depreciation|Fixed Assets"},
        frozenset({"depreciation|fixed assets"}),
    ),
]
IDS = [case.document for case in CASES]


def templates(*rows: dict[str, Any]) -> pd.DataFrame:
    """A recurring_template frame typed like the store's."""
    base = {
        "source": "quickbooks",
        "counterparty_id": None,
        "counterparty_name": None,
        "accounts": None,
        "schedule": "automated",
        "active": True,
        "end_on": None,
    }
    frame = pd.DataFrame(
        [{**base, "source_id": f"t{n}", **row} for n, row in enumerate(rows)],
        columns=list(TEMPLATE_COLUMNS),
    )
    frame["end_on"] = pd.to_datetime(frame["end_on"]).astype("datetime64[ns]")
    frame["active"] = frame["active"].astype(bool)
    return frame.astype({c: object for c in TEMPLATE_COLUMNS if c not in ("end_on", "active")})


def found(case: Case, *template_rows: dict[str, Any]) -> set[str | None]:
    frames = dict(case.scenario())
    if template_rows:
        frames[RecordKind.RECURRING_TEMPLATE] = templates(*template_rows)
    return {candidate.subject.id for candidate in case.detector().detect(frames, context())}


def planted(case: Case, **changes: Any) -> dict[str, Any]:
    return {"document": case.document, "source": case.source, **case.names, **changes}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_planted_subjects_are_found_without_templates_or_with_an_empty_frame(case: Case) -> None:
    assert found(case) == case.found
    frames = dict(case.scenario())
    frames[RecordKind.RECURRING_TEMPLATE] = templates()
    assert {c.subject.id for c in case.detector().detect(frames, context())} == case.found


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_subject_with_an_active_template_is_already_automated(case: Case) -> None:
    assert found(case, planted(case)) == case.found - {case.subject_id}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_reminded_templates_count_as_scheduled(case: Case) -> None:
    assert found(case, planted(case, schedule="reminded")) == case.found - {case.subject_id}


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize(
    "change",
    [
        {"active": False},
        {"end_on": date(2024, 6, 30)},  # ended before as_of (31 Dec 2024)
        {"schedule": "unscheduled"},  # a saved template someone still uses by hand
    ],
    ids=["inactive", "ended", "unscheduled"],
)
def test_inactive_ended_or_unscheduled_templates_do_not_silence(
    case: Case, change: dict[str, Any]
) -> None:
    assert found(case, planted(case, **change)) == case.found


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_template_for_another_document_does_not_silence(case: Case) -> None:
    other = "bill" if case.document != "bill" else "invoice"
    assert found(case, planted(case, document=other)) == case.found


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.document != "journal_entry"], ids=["invoice", "bill"]
)
def test_counterparties_match_by_id_within_a_source_or_by_name_anywhere(case: Case) -> None:
    name = case.names["counterparty_name"]
    other_source_id = planted(case, source="another-tool", counterparty_name=None)
    assert found(case, other_source_id) == case.found
    by_name = planted(case, source="another-tool", counterparty_id="x-1", counterparty_name=name)
    assert found(case, by_name) == case.found - {case.subject_id}
    shouted = planted(case, counterparty_id=None, counterparty_name=f"  {name.upper()}. ")
    assert found(case, shouted) == case.found - {case.subject_id}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_empty_frames_with_a_template_give_nothing(case: Case) -> None:
    frames = dict(empty_frames(case.detector))
    frames[RecordKind.RECURRING_TEMPLATE] = templates(planted(case))
    assert case.detector().detect(frames, context()) == []


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_template_frame_without_a_column_is_an_input_error(case: Case) -> None:
    frames = dict(case.scenario())
    frames[RecordKind.RECURRING_TEMPLATE] = templates(planted(case)).drop(columns=["end_on"])
    with pytest.raises(DetectorInputError, match=r"\bend_on\b"):
        case.detector().detect(frames, context())


def test_templates_are_an_optional_input_that_reruns_the_detectors() -> None:
    for case in CASES:
        assert RecordKind.RECURRING_TEMPLATE not in case.detector.required_columns
        assert RecordKind.RECURRING_TEMPLATE in case.detector.requires()
        assert case.detector.input_columns()[RecordKind.RECURRING_TEMPLATE] == TEMPLATE_COLUMNS
