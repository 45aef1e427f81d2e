"""What a finding changes in each KPI, read from the metrics its detector really emits."""

from __future__ import annotations

import pytest

from alignment.effects import Assumptions, kpi_deltas
from busywork.store.records import RecordKind
from detectors import NoShowRemindersDetector
from tests.alignment.factories import candidate
from tests.detectors.catalogue_factories import appointments, cancel_late, sessions
from tests.detectors.detector_factories import context


def test_a_no_show_finding_lowers_the_no_show_rate_by_its_no_shows_alone() -> None:
    # A third of the sessions missed, and a further ten cancelled by clients at 3 h notice:
    # both are misses for the finding, only the no-shows are the KPI's.
    rows = sessions("clinic-a", count=60, misses=20)
    cancel_late(rows[-10:], 10, by="invitee")
    (finding,) = NoShowRemindersDetector().detect(
        {RecordKind.APPOINTMENT: appointments(rows)}, context()
    )
    assert finding.metrics["late_cancellations"] == 10
    deltas = kpi_deltas(finding, Assumptions(no_show_effect=0.5))
    no_show_share = finding.metrics["no_shows"] / finding.metrics["appointments"]
    assert no_show_share < finding.metrics["miss_rate"]
    assert deltas["no_show_rate"] == pytest.approx(-0.5 * no_show_share * 100)


def test_a_finding_without_the_metric_claims_no_change_of_the_rate() -> None:
    deltas = kpi_deltas(candidate("no_show_reminders", metrics={}))
    assert "no_show_rate" not in deltas
