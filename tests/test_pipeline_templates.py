"""End to end: a recurring template in the books silences its subject, and only while active."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

from busywork.synth import GeneratorSettings, generate
from config.loader import parse_config
from worker import Worker

CONFIG = """\
business: {id: tmpl, name: "Template Co", timezone: Europe/London, currency: GBP}
storage: {url: "sqlite:///store.db"}
connectors:
  - {name: exports, type: csv, path: data}
goals:
  - {id: time, name: Less admin, objective: owner_time, weight: 1}
"""


def found(worker: Worker) -> set[str | None]:
    [result] = worker.run_once(force=True)
    assert result.document is not None
    return {
        rec["subject"]["id"]
        for rec in result.document["recommendations"]
        if rec["kind"] == "recurring_invoice"
    }


def test_an_active_template_silences_its_customer_until_it_is_switched_off(
    tmp_path: Path,
) -> None:
    business = generate(GeneratorSettings(seed=1, months=12, scale=0.3))
    business.write(tmp_path / "data")
    planted = sorted(
        item["subject"]["id"]
        for item in business.truth["planted"]
        if item["kind"] == "recurring_invoice"
    )
    assert planted, "the generator must plant a recurring invoice"
    templates = tmp_path / "data" / "recurring_templates.csv"
    header = "source_id,document,counterparty_id,cadence_unit,cadence_every,active\n"
    templates.write_text(header + f"T-1,invoice,{planted[0]},month,1,true\n")
    end = datetime.fromisoformat(business.truth["end"]).date()
    config = parse_config(CONFIG, base_dir=tmp_path)
    worker = Worker([config], as_of=datetime.combine(end, time(23, 59), tzinfo=UTC))
    try:
        assert found(worker) == set(planted[1:])
        templates.write_text(header + f"T-1,invoice,{planted[0]},month,1,false\n")
        assert found(worker) == set(planted)
    finally:
        worker.engine.dispose()
