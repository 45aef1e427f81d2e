from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
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
