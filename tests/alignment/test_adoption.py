from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from alignment.adoption import assess_adoption
from config.loader import parse_config
from detectors.base import DetectionContext
from tests.alignment.factories import candidate
from worker import Worker

FINDING = candidate(
    "recurring_invoice",
    "C1",
    period_start=date(2026, 1, 15),
    period_end=date(2026, 8, 15),
    hours_saved_per_month=0.2,
)


def _records(origins: list[str], months: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_id": [f"I{m}" for m in months],
            "origin": origins,
            "issued_on": pd.to_datetime([f"2026-{m:02d}-15" for m in months]),
        }
    )


def test_automated_records_after_the_evidence_mean_adopted() -> None:
    context = DetectionContext(business="b", as_of=datetime(2026, 11, 30, tzinfo=UTC))
    records = _records(["manual"] * 8 + ["template"] * 3, list(range(1, 12)))
    adoption = assess_adoption(FINDING, records, context)
    assert adoption is not None
    assert adoption.adopted_on == date(2026, 9, 15)
    assert adoption.automated_after == 3
    assert adoption.manual_per_month_after == 0.0
    # 8 hand-made invoices over the 7-month evidence period, 12 minutes each.
    assert round(adoption.realised_hours_per_month, 3) == round(8 / (212 / 30.44) * 12 / 60, 3)


def test_still_keyed_by_hand_or_too_early_is_not_adopted() -> None:
    context = DetectionContext(business="b", as_of=datetime(2026, 11, 30, tzinfo=UTC))
    mixed = _records(["manual"] * 8 + ["template", "manual", "manual"], list(range(1, 12)))
    assert assess_adoption(FINDING, mixed, context) is None
    one = _records(["manual"] * 8 + ["template"], list(range(1, 10)))
    assert assess_adoption(FINDING, one, context) is None


CONFIG = """\
business: {id: shop, name: Shop, timezone: Europe/London, currency: GBP}
connectors: [{name: books, type: csv, path: data}]
goals: [{id: time, name: Less admin, objective: owner_time}]
"""


def _write_invoices(folder: Path, rows: list[tuple[str, str, str]]) -> None:
    folder.mkdir(exist_ok=True)
    lines = [
        "source_id,customer_id,customer_name,issued_on,total,currency,status,origin,template_id"
    ]
    lines += [
        f"{sid},C1,Acme,{day},500,GBP,paid,{origin},{'T1' if origin == 'template' else ''}"
        for sid, day, origin in rows
    ]
    (folder / "invoices.csv").write_text("\n".join(lines) + "\n")


def test_scan_marks_a_finding_adopted_and_reports_realised_impact(
    tmp_path: Path, engine: Engine
) -> None:
    config = parse_config(CONFIG, base_dir=tmp_path)
    manual = [(f"M{m}", f"2026-{m:02d}-15", "manual") for m in range(1, 9)]
    _write_invoices(tmp_path / "data", manual)
    first = Worker([config], engine=engine, as_of=datetime(2026, 8, 31, tzinfo=UTC)).scan(
        config, force=True
    )
    assert first.document is not None
    [rec] = [r for r in first.document["recommendations"] if r["kind"] == "recurring_invoice"]
    templated = [(f"T{m}", f"2026-{m:02d}-15", "template") for m in range(9, 12)]
    _write_invoices(tmp_path / "data", manual + templated)
    later = Worker([config], engine=engine, as_of=datetime(2026, 11, 30, tzinfo=UTC)).scan(
        config, force=True
    )
    assert later.detection.adopted == [rec["id"]]
    assert later.document is not None
    assert rec["id"] not in [r["id"] for r in later.document["recommendations"]]
    [adopted] = later.document["adopted"]
    assert adopted["id"] == rec["id"]
    assert adopted["adopted_on"] == "2026-09-15"
    assert adopted["estimated_hours_per_month"] == rec["impact"]["hours_saved_per_month"]
    assert adopted["realised_hours_per_month"] > 0


def test_feedback_hides_dismissed_findings_and_lowers_their_kind(
    tmp_path: Path, engine: Engine
) -> None:
    from busywork.delivery.feedback import record_feedback
    from busywork.synth import GeneratorSettings, generate

    generate(GeneratorSettings(seed=1, months=12, scale=0.2)).write(tmp_path / "data")
    config = parse_config(CONFIG, base_dir=tmp_path)
    as_of = datetime(2026, 10, 31, 23, 59, tzinfo=UTC)
    worker = Worker([config], engine=engine, as_of=as_of)
    first = worker.scan(config, force=True)
    assert first.document is not None
    recurring = [r for r in first.document["recommendations"] if r["kind"] == "recurring_invoice"]
    assert len(recurring) >= 2
    dismissed, other = recurring[0], recurring[1]
    record_feedback(engine, "shop", dismissed["id"], "dismiss", now=datetime.now(UTC))
    again = worker.process(config)
    assert again.document is not None
    by_id = {r["id"]: r for r in again.document["recommendations"]}
    assert dismissed["id"] not in by_id
    assert by_id[other["id"]]["feedback_factor"] == 0.85
    assert by_id[other["id"]]["score_interval"]["point"] < other["score_interval"]["point"]
    assert (
        "because of your feedback on 1 dismissed recurring-invoice recommendation"
        in (by_id[other["id"]]["explanation"])
    )


def _unsaid(months: list[int], template_id: str = "T1") -> pd.DataFrame:
    frame = _records(["manual"] * 8 + [None] * len(months), [*range(1, 9), *months])
    frame["template_id"] = [None] * 8 + [template_id] * len(months)
    return frame


def _templates(**overrides: object) -> pd.DataFrame:
    row: dict[str, object] = {
        "document": "invoice",
        "counterparty_id": "C1",
        "counterparty_name": "Customer C1",
        "accounts": None,
        "schedule": "automated",
        "active": True,
        "end_on": None,
        "created_at": pd.Timestamp("2026-09-02 10:00"),
    }
    row.update(overrides)
    return pd.DataFrame([row])


CONTEXT = DetectionContext(business="b", as_of=datetime(2026, 11, 30, tzinfo=UTC))
MANUAL_ONLY = _records(["manual"] * 8, list(range(1, 9)))


def test_a_template_id_without_an_origin_means_made_by_the_template() -> None:
    adoption = assess_adoption(FINDING, _unsaid([9, 10, 11]), CONTEXT)
    assert adoption is not None
    assert adoption.adopted_on == date(2026, 9, 15)
    assert adoption.how == "3 invoices made automatically since 2026-09-15"
    # An explicit "manual" origin wins over a template reference (a template used by hand).
    by_hand = _unsaid([9, 10, 11])
    by_hand.loc[by_hand["template_id"].notna(), "origin"] = "manual"
    assert assess_adoption(FINDING, by_hand, CONTEXT) is None


def test_an_active_recurring_template_for_the_subject_means_adopted() -> None:
    adoption = assess_adoption(FINDING, MANUAL_ONLY, CONTEXT, _templates())
    assert adoption is not None
    assert adoption.adopted_on == date(2026, 9, 2)  # the template's creation
    assert adoption.automated_after == 0
    assert adoption.how == "an active recurring invoice template for Customer C1 in the books"
    # Matched by name when the ids differ (a template in one tool, invoices in another).
    by_name = _templates(counterparty_id="QB-77", counterparty_name=" customer c1 ")
    assert assess_adoption(FINDING, MANUAL_ONLY, CONTEXT, by_name) is not None
    undated = assess_adoption(FINDING, MANUAL_ONLY, CONTEXT, _templates(created_at=None))
    assert undated is not None
    assert undated.adopted_on == date(2026, 11, 30)  # first seen at the scan's date


@pytest.mark.parametrize(
    "template",
    [
        {"active": False},
        {"schedule": "unscheduled"},
        {"end_on": pd.Timestamp("2026-10-31")},
        {"counterparty_id": "C2", "counterparty_name": "Someone else"},
        {"document": "bill"},
    ],
)
def test_a_template_that_does_not_automate_the_subject_is_no_adoption(
    template: dict[str, object],
) -> None:
    assert assess_adoption(FINDING, MANUAL_ONLY, CONTEXT, _templates(**template)) is None


def test_a_template_while_still_keying_by_hand_is_no_adoption() -> None:
    keyed = _records(["manual"] * 11, list(range(1, 12)))
    assert assess_adoption(FINDING, keyed, CONTEXT, _templates()) is None


def _csv(folder: Path, rows: list[tuple[str, str, str, str]]) -> None:
    """Invoices of customer C1: (id, issued_on, origin, template_id); blanks stay blank."""
    folder.mkdir(exist_ok=True)
    lines = [
        "source_id,customer_id,customer_name,issued_on,total,currency,status,origin,template_id"
    ]
    lines += [
        f"{sid},C1,Acme,{day},500,GBP,paid,{origin},{template}"
        for sid, day, origin, template in rows
    ]
    (folder / "invoices.csv").write_text("\n".join(lines) + "\n")


MANUAL_ROWS = [(f"M{m}", f"2026-{m:02d}-15", "manual", "") for m in range(1, 9)]


def _scan(config: Any, engine: Engine, day: datetime) -> Any:
    # A scan as of a date re-runs every detector, as `busywork scan --as-of` does.
    return Worker([config], engine=engine, as_of=day).scan(config, force=True, redetect=True)


def _recurring_id(result: Any) -> str:
    assert result.document is not None
    [rec] = [r for r in result.document["recommendations"] if r["kind"] == "recurring_invoice"]
    return str(rec["id"])


def test_scan_adopts_on_template_ids_without_an_origin(tmp_path: Path, engine: Engine) -> None:
    config = parse_config(CONFIG, base_dir=tmp_path)
    _csv(tmp_path / "data", MANUAL_ROWS)
    finding = _recurring_id(_scan(config, engine, datetime(2026, 8, 31, tzinfo=UTC)))
    unsaid = [(f"T{m}", f"2026-{m:02d}-15", "", "RT-1") for m in range(9, 12)]
    _csv(tmp_path / "data", MANUAL_ROWS + unsaid)
    later = _scan(config, engine, datetime(2026, 11, 30, tzinfo=UTC))
    assert later.detection.adopted == [finding]
    [adopted] = later.document["adopted"]
    assert adopted["how"] == "3 invoices made automatically since 2026-09-15"


def test_scan_adopts_on_a_recurring_template_row(tmp_path: Path, engine: Engine) -> None:
    config = parse_config(CONFIG, base_dir=tmp_path)
    _csv(tmp_path / "data", MANUAL_ROWS)
    finding = _recurring_id(_scan(config, engine, datetime(2026, 8, 31, tzinfo=UTC)))
    (tmp_path / "data" / "recurring_templates.csv").write_text(
        "source_id,document,counterparty_id,cadence_unit,cadence_every,active\n"
        "RT-1,invoice,C1,month,1,true\n"
    )
    later = _scan(config, engine, datetime(2026, 9, 10, tzinfo=UTC))
    assert later.detection.adopted == [finding]
    [adopted] = later.document["adopted"]
    assert adopted["how"].startswith("an active recurring invoice template for Acme")
    assert adopted["adopted_on"] == "2026-09-10"  # the CSV gives no creation date


def test_scan_adopts_when_the_records_arrive_after_the_finding_closed(
    tmp_path: Path, engine: Engine
) -> None:
    config = parse_config(CONFIG, base_dir=tmp_path)
    _csv(tmp_path / "data", MANUAL_ROWS)
    finding = _recurring_id(_scan(config, engine, datetime(2026, 8, 31, tzinfo=UTC)))
    closed = _scan(config, engine, datetime(2026, 11, 30, tzinfo=UTC))
    assert closed.detection.changes.resolved == [finding]  # the hand-made run stopped
    assert closed.detection.adopted == []  # nothing yet shows why
    templated = [(f"T{m}", f"2026-{m:02d}-15", "template", "RT-1") for m in range(9, 12)]
    _csv(tmp_path / "data", MANUAL_ROWS + templated)
    later = _scan(config, engine, datetime(2026, 11, 30, tzinfo=UTC))
    assert later.detection.changes.resolved == []
    assert later.detection.adopted == [finding]
