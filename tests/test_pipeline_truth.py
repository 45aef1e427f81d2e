"""End to end on generated businesses: every planted opportunity found, no decoy reported."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest

from busywork.synth import GeneratorSettings, generate
from config.loader import parse_config
from worker import Worker

FIRST_KINDS = ("recurring_invoice", "slow_collection", "appointment_to_invoice")
CONFIG = """\
business: {{id: b{seed}, name: "{name}", timezone: Europe/London, currency: GBP}}
storage: {{url: "sqlite:///store.db"}}
connectors:
  - {{name: exports, type: csv, path: data}}
goals:
  - {{id: cash, name: Get paid faster, objective: cash_flow, weight: 3}}
  - {{id: time, name: Less admin, objective: owner_time, weight: 2}}
  - {{id: revenue, name: Bill everything, objective: revenue, weight: 1}}
"""


def scan_generated(
    seed: int, folder: Path, **settings: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    business = generate(GeneratorSettings(seed=seed, **settings))
    business.write(folder / "data")
    config = parse_config(
        CONFIG.format(seed=seed, name=business.truth["business"]["name"]), base_dir=folder
    )
    end = datetime.fromisoformat(business.truth["end"]).date()
    worker = Worker([config], as_of=datetime.combine(end, time(23, 59), tzinfo=UTC))
    [result] = worker.run_once()
    worker.engine.dispose()
    assert result.document is not None
    return result.document, business.truth


def _key(item: dict[str, Any]) -> tuple[str, str | None]:
    return item["kind"], item["subject"]["id"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_planted_found_and_decoys_not(seed: int, tmp_path: Path) -> None:
    document, truth = scan_generated(seed, tmp_path)
    found = {_key(rec) for rec in document["recommendations"] if rec["kind"] in FIRST_KINDS}
    planted = {_key(item) for item in truth["planted"] if item["kind"] in FIRST_KINDS}
    decoys = {_key(item) for item in truth["decoys"] if item["kind"] in FIRST_KINDS}
    assert planted, "the generator must plant something of the first kinds"
    assert planted - found == set(), "missed planted opportunities"
    assert found & decoys == set(), "reported a decoy"
    assert found - planted == set(), "reported something that was not planted"


def test_contract_shape(tmp_path: Path) -> None:
    document, _ = scan_generated(1, tmp_path, months=12, scale=0.3)
    assert set(document) >= {"business", "generated_at", "recommendations"}
    datetime.fromisoformat(document["generated_at"])
    ranks = [rec["rank"] for rec in document["recommendations"] if rec["aligned"]]
    assert ranks == list(range(1, len(ranks) + 1))
    for rec in document["recommendations"]:
        assert set(rec) >= {
            "id",
            "kind",
            "category",
            "title",
            "summary",
            "suggested_automation",
            "subject",
            "sources",
            "evidence",
            "impact",
            "goals",
            "aligned",
            "score",
            "rank",
            "confidence",
            "explanation",
        }
        assert rec["category"] in ("repetitive_task", "bottleneck")
        assert rec["subject"]["type"] in (
            "customer",
            "vendor",
            "attendee",
            "calendar",
            "account",
            "business",
        )
        assert rec["evidence"]["count"] == len(rec["evidence"]["record_ids"]) > 0
        assert set(rec["evidence"]["period"]) == {"start", "end"}
        assert set(rec["impact"]) == {
            "hours_saved_per_month",
            "activity",
            "cash_impact",
            "currency",
        }
        activity = rec["impact"]["activity"]
        assert rec["impact"]["hours_saved_per_month"] <= document["admin_time"][activity]
        assert 0.0 <= rec["confidence"] <= 1.0
        assert rec["sources"] == ["exports"]
        assert rec["id"].startswith("rec_")
