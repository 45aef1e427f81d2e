"""What a finding changes in each KPI, read from the metrics its detector really emits."""

from __future__ import annotations

import pytest

from alignment.effects import Assumptions, kpi_deltas
from detectors import NoShowRemindersDetector
from tests.alignment.factories import candidate
from tests.detectors.catalogue_factories import no_show_scenario
from tests.detectors.detector_factories import context


def test_a_no_show_finding_lowers_the_no_show_rate_by_its_measured_miss_rate() -> None:
    (finding,) = [
        found
        for found in NoShowRemindersDetector().detect(no_show_scenario(), context())
        if found.metrics["miss_rate"] > 0.3
    ]
    deltas = kpi_deltas(finding, Assumptions(no_show_effect=0.5))
    assert deltas["no_show_rate"] == pytest.approx(-0.5 * finding.metrics["miss_rate"] * 100)


def test_a_finding_without_the_metric_claims_no_change_of_the_rate() -> None:
    deltas = kpi_deltas(candidate("no_show_reminders", metrics={}))
    assert "no_show_rate" not in deltas
