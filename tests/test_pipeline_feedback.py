"""End to end: feedback is judged on the scan's clock, and a withdrawal shows at once.

One customer invoiced by hand every month from January to August 2026 gives one
recurring-invoice finding; the scans below run as of dates in 2026 whatever today is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from busywork.delivery.feedback import record_feedback
from config.loader import parse_config
from config.models import AppConfig
from worker import Worker

CONFIG = """\
business: {id: shop, name: Shop, timezone: Europe/London, currency: GBP}
connectors: [{name: books, type: csv, path: data}]
goals: [{id: time, name: Less admin, objective: owner_time}]
"""
AUG_31 = datetime(2026, 8, 31, 23, 59, 59, tzinfo=UTC)
LONDON = "Europe/London"


def _business(tmp_path: Path) -> AppConfig:
    folder = tmp_path / "data"
    folder.mkdir()
    lines = ["source_id,customer_id,customer_name,issued_on,total,currency,status,origin"]
    lines += [f"M{m},C1,Acme,2026-{m:02d}-15,500,GBP,paid,manual" for m in range(1, 9)]
    (folder / "invoices.csv").write_text("\n".join(lines) + "\n")
    return parse_config(CONFIG, base_dir=tmp_path)


def _listed(config: AppConfig, engine: Engine, as_of: datetime) -> dict[str, float]:
    """Recommendation id → feedback factor, in the document of a scan as of ``as_of``."""
    result = Worker([config], engine=engine, as_of=as_of).scan(config, force=True)
    assert result.document is not None
    return {rec["id"]: rec["feedback_factor"] for rec in result.document["recommendations"]}


def test_a_snooze_ends_on_the_scans_date_not_the_wall_clocks(
    tmp_path: Path, engine: Engine
) -> None:
    config = _business(tmp_path)
    [finding] = _listed(config, engine, AUG_31)
    # Snoozed on 31 Aug 2026 until 20 Sep 2026: a date long past on today's wall clock.
    record_feedback(
        engine, "shop", finding, "snooze", until=date(2026, 9, 20), now=AUG_31, timezone=LONDON
    )
    assert finding not in _listed(config, engine, AUG_31)
    assert finding not in _listed(config, engine, datetime(2026, 9, 19, 12, tzinfo=UTC))
    assert finding in _listed(config, engine, datetime(2026, 9, 20, 12, tzinfo=UTC))


def test_a_withdrawn_dismissal_is_listed_again_in_the_next_document(
    tmp_path: Path, engine: Engine
) -> None:
    config = _business(tmp_path)
    [finding] = _listed(config, engine, AUG_31)
    record_feedback(engine, "shop", finding, "dismiss", now=AUG_31)
    assert _listed(config, engine, AUG_31) == {}
    record_feedback(engine, "shop", finding, "withdraw", now=AUG_31)
    assert _listed(config, engine, AUG_31) == {finding: 1.0}  # and no longer ranked lower


def test_a_withdrawn_acceptance_stops_lifting_its_kind(tmp_path: Path, engine: Engine) -> None:
    config = _business(tmp_path)
    [finding] = _listed(config, engine, AUG_31)
    record_feedback(engine, "shop", finding, "accept", now=AUG_31)
    assert _listed(config, engine, AUG_31) == {finding: 1.15}
    record_feedback(engine, "shop", finding, "withdraw", now=AUG_31)
    assert _listed(config, engine, AUG_31) == {finding: 1.0}
