"""Contract tests every registered detector must pass."""

from __future__ import annotations

import inspect
import math
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import detectors
from busywork.errors import DetectorInputError
from busywork.store.records import RecordKind
from detectors._shared import _current, detection_pass
from detectors.base import Detector
from detectors.registry import detector_classes
from tests.detectors.catalogue_factories import scenario_frames
from tests.detectors.detector_factories import context, empty_frames, generic_frames

DETECTORS = sorted(detector_classes().items())
CLASSES = [pytest.param(cls, id=kind) for kind, cls in DETECTORS]
COLUMN_CASES = [
    pytest.param(cls, record_kind, column, id=f"{kind}-{record_kind.value}-{column}")
    for kind, cls in DETECTORS
    for record_kind, columns in cls.required_columns.items()
    for column in columns
]


def _changed(value: Any) -> Any:
    """A different value of the same type, to check parameters round-trip."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value * 2 + 1
    if isinstance(value, str):
        return value + "-x"
    return value


def test_the_three_detectors_are_registered_and_exported() -> None:
    kinds = {kind for kind, _ in DETECTORS}
    assert {"recurring_invoice", "slow_collection", "appointment_to_invoice"} <= kinds
    for name in detectors.__all__:
        assert getattr(detectors, name).kind in kinds


@pytest.mark.parametrize("cls", CLASSES)
def test_class_attributes(cls: type[Detector]) -> None:
    assert cls.category in ("repetitive_task", "bottleneck")
    assert cls.required_columns
    for record_kind, columns in cls.required_columns.items():
        assert isinstance(record_kind, RecordKind)
        assert columns
        assert "source_id" in columns


@pytest.mark.parametrize("cls", CLASSES)
def test_parameters_are_keyword_only_with_defaults_and_documented(cls: type[Detector]) -> None:
    signature = inspect.signature(cls.__init__)
    params = [p for name, p in signature.parameters.items() if name != "self"]
    assert params, "a detector should have at least one threshold"
    docstring = inspect.getdoc(cls) or ""
    assert "Args:" in docstring
    args_section = docstring.split("Args:", 1)[1]
    for param in params:
        assert param.kind is inspect.Parameter.KEYWORD_ONLY, param.name
        assert param.default is not inspect.Parameter.empty, param.name
        assert f"{param.name}:" in args_section, f"{param.name} is not documented"


@pytest.mark.parametrize("cls", CLASSES)
def test_init_only_stores_parameters(cls: type[Detector]) -> None:
    detector = cls()
    assert vars(detector) == detector.get_params()
    assert tuple(detector.get_params()) == cls.param_names()


@pytest.mark.parametrize("cls", CLASSES)
def test_get_params_round_trips(cls: type[Detector]) -> None:
    defaults = cls().get_params()
    assert cls(**defaults).get_params() == defaults
    changed = {name: _changed(value) for name, value in defaults.items()}
    detector = cls(**changed)
    assert detector.get_params() == changed
    assert cls(**detector.get_params()).get_params() == changed


@pytest.mark.parametrize("cls", CLASSES)
def test_empty_frames_give_no_candidates(cls: type[Detector]) -> None:
    assert cls().detect(empty_frames(cls), context()) == []


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("build", [scenario_frames, generic_frames])
def test_input_frames_are_not_modified(cls: type[Detector], build: Any) -> None:
    frames = build(cls)
    before = {kind: data.copy() for kind, data in frames.items()}
    cls().detect(frames, context())
    assert set(frames) == set(before)
    for kind, data in frames.items():
        pd.testing.assert_frame_equal(data, before[kind])


@pytest.mark.parametrize(("cls", "record_kind", "column"), COLUMN_CASES)
def test_missing_column_raises_naming_it(
    cls: type[Detector], record_kind: RecordKind, column: str
) -> None:
    frames = dict(scenario_frames(cls))
    frames[record_kind] = frames[record_kind].drop(columns=[column])
    with pytest.raises(DetectorInputError, match=rf"\b{column}\b"):
        cls().detect(frames, context())


@pytest.mark.parametrize("cls", CLASSES)
def test_missing_frame_raises(cls: type[Detector]) -> None:
    frames = dict(empty_frames(cls))
    record_kind = next(iter(cls.required_columns))
    del frames[record_kind]
    with pytest.raises(DetectorInputError, match=record_kind.value):
        cls().detect(frames, context())


@pytest.mark.parametrize("cls", CLASSES)
def test_output_is_deterministic_and_independent_of_row_order(cls: type[Detector]) -> None:
    frames = scenario_frames(cls)
    first = cls().detect(frames, context())
    assert cls().detect(frames, context()) == first
    shuffled = {kind: data.sample(frac=1.0, random_state=11) for kind, data in frames.items()}
    assert cls().detect(shuffled, context()) == first


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("build", [scenario_frames, generic_frames])
def test_candidates_are_well_formed(cls: type[Detector], build: Any) -> None:
    frames = build(cls)
    known_ids = {str(i) for data in frames.values() for i in data["source_id"]}
    known_sources = {str(s) for data in frames.values() for s in data["source"]}
    for candidate in cls().detect(frames, context()):
        assert candidate.kind == cls.kind
        assert candidate.category == cls.category
        assert candidate.record_ids
        assert list(candidate.record_ids) == sorted(set(candidate.record_ids))
        assert set(candidate.record_ids) <= known_ids
        assert list(candidate.sources) == sorted(set(candidate.sources))
        assert set(candidate.sources) <= known_sources
        assert isinstance(candidate.period_start, date)
        assert candidate.period_start <= candidate.period_end
        assert 0.0 <= candidate.confidence <= 1.0
        assert candidate.hours_saved_per_month >= 0.0
        assert math.isfinite(candidate.cash_impact_per_month)
        assert candidate.title
        assert candidate.summary
        assert candidate.suggested_automation
        assert all(isinstance(v, float) for v in candidate.metrics.values())


@pytest.mark.parametrize("cls", CLASSES)
def test_the_columns_a_detector_reads_are_all_it_needs(cls: type[Detector]) -> None:
    # A pass loads every detector's columns; a detector may keep only those it reads
    # (Detector.reads) before copying rows: what it finds must not change.
    frames = scenario_frames(cls)
    own = {
        kind: data[[column for column in data.columns if column in cls.reads(kind)]]
        for kind, data in frames.items()
    }
    assert any(len(own[kind].columns) < len(frames[kind].columns) for kind in frames)
    assert cls().detect(own, context()) == cls().detect(frames, context())


#: Every shared result some detector declares (``Detector.shares``): a pass forgets one once
#: no detector still to run declares it, so each detector that asks for it must declare it.
_DECLARED = frozenset(name for cls in detector_classes().values() for name in cls.shares)


@pytest.mark.parametrize("cls", CLASSES)
def test_a_detector_declares_the_shared_results_it_asks_for(cls: type[Detector]) -> None:
    with detection_pass():
        cls().detect(scenario_frames(cls), context())
        current = _current.get()
        assert current is not None
        asked = current.asked
    # Asked for and not declared, a result would be forgotten before this detector ran and
    # computed again; the declarations not asked for here are asked for on other data
    # (duplicate entry's sessions: tests/detectors/test_duplicate_entry.py).
    assert asked & _DECLARED <= cls.shares
    assert asked & _DECLARED == cls.shares or cls.kind == "duplicate_entry"


def test_scenarios_produce_findings() -> None:
    """The conformance scenarios must exercise the code path that builds candidates."""
    for kind, cls in DETECTORS:
        assert cls().detect(scenario_frames(cls), context()), kind


def test_all_thirteen_kinds_are_registered() -> None:
    assert {kind for kind, _ in DETECTORS} == {
        "recurring_invoice", "payment_reminders", "recurring_bill", "appointment_to_invoice",
        "manual_scheduling", "recurring_journal_entry", "duplicate_entry", "no_show_reminders",
        "slow_collection", "invoice_lag", "approval_backlog", "calendar_overload",
        "month_end_crunch",
    }  # fmt: skip


def test_example_config_documents_every_parameter_with_its_default() -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "example.yaml"
    documented = yaml.safe_load(example.read_text())["detectors"]
    for kind, cls in DETECTORS:
        assert kind in documented, kind
        settings = {k: v for k, v in documented[kind].items() if k != "enabled"}
        assert settings == cls().get_params(), kind
