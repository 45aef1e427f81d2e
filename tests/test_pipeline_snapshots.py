"""A cold detection stores its frames' snapshots once its findings are committed, never failing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork import ranking_baselines
from busywork.evaluate import make_business, profiles_for
from busywork.pipeline import detect
from busywork.store import snapshot_writes, stored_frames
from busywork.store.events import latest_event_ids, watermarks
from busywork.store.findings import open_candidates
from busywork.store.tables import FrameSnapshot
from busywork.synth import GeneratorSettings, generate
from config.loader import parse_config
from config.models import AppConfig
from detectors import _payment_ledger
from tests.factories import SHOP_AS_OF, SHOP_CONFIG
from worker import Worker

AS_OF = SHOP_AS_OF
_TABLE = FrameSnapshot.__table__  # type: ignore[attr-defined]


@pytest.fixture
def polled(tmp_path: Path, engine: Engine) -> tuple[AppConfig, Engine]:
    """A small generated business imported, with no detection run and no snapshot stored."""
    generate(GeneratorSettings(seed=3, months=12, scale=0.05)).write(tmp_path / "data")
    config = parse_config(SHOP_CONFIG, base_dir=tmp_path)
    worker = Worker([config], engine=engine, as_of=AS_OF, clock=lambda: AS_OF)
    for entry in config.connectors:
        worker.poll(config, entry.name, force=True)
    return config, engine


def _stored_events(engine: Engine) -> set[int]:
    with engine.connect() as connection:
        return set(
            connection.execute(
                sa.select(_TABLE.c.newest_event).where(_TABLE.c.business == "shop")
            ).scalars()
        )


def test_a_cold_detection_writes_the_snapshots_after_committing_its_findings(
    polled: tuple[AppConfig, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, engine = polled
    assert _stored_events(engine) == set()
    seen: list[tuple[str, int, int]] = []  # kind, findings and watermarks committed by then
    real = snapshot_writes.write_snapshot

    def observed(
        engine: Engine, business: str, kind: object, *args: object, **options: object
    ) -> bool:
        # Another connection: it sees only what is committed.
        committed = len(open_candidates(engine, business)), len(watermarks(engine, business))
        seen.append((str(kind), *committed))
        return real(engine, business, kind, *args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(snapshot_writes, "write_snapshot", observed)

    result = detect(engine, config, as_of=AS_OF, now=AS_OF)

    findings = len(open_candidates(engine, "shop"))
    assert findings > 0
    assert seen
    assert {(found, marks) for _, found, marks in seen} == {(findings, len(result.ran))}
    # Every snapshot reflects the newest event the detection read, and a later load uses them.
    assert _stored_events(engine) == {max(latest_event_ids(engine, "shop").values())}

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the whole row store was read")

    monkeypatch.setattr(stored_frames, "load_frames", refused)
    again = detect(engine, config, as_of=AS_OF, now=AS_OF, force=True)
    assert (again.ran, again.failed) == (result.ran, {})


def test_a_failing_snapshot_write_never_fails_detection(
    polled: tuple[AppConfig, Engine],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config, engine = polled

    def broken(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(snapshot_writes, "write_snapshot", broken)

    with caplog.at_level(logging.WARNING, logger=snapshot_writes.__name__):
        result = detect(engine, config, as_of=AS_OF, now=AS_OF)

    assert result.failed == {}
    assert len(open_candidates(engine, "shop")) > 0
    assert set(watermarks(engine, "shop")) == set(result.ran)
    assert _stored_events(engine) == set()
    assert "action=not_stored: RuntimeError" in caplog.text


#: Evaluation seeds, one per mess profile, and whether their payments make a ledger (a
#: shop paid at checkout exports none).
_SEEDS = [
    (2, True),
    *(pytest.param(seed, seed != 1, marks=pytest.mark.slow) for seed in (1, *range(3, 11))),
]


@pytest.mark.parametrize(("seed", "ledger"), _SEEDS)
def test_detection_through_stored_snapshots_finds_what_reading_the_rows_found(
    seed: int, ledger: bool, tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An evaluation business with its mess: the first detection reads the rows and writes
    # the snapshots (their ids linked), the second reads those and dates the invoices from
    # the payments' ledger (detectors._payment_ledger). Nothing it finds may differ.
    business = make_business(seed, None, profiles_for(seed, None))
    end = datetime.fromisoformat(business.truth["end"]).date()
    as_of = datetime.combine(end, time(23, 59), tzinfo=UTC)
    business.write(tmp_path / "data")
    config = parse_config(SHOP_CONFIG, base_dir=tmp_path)
    worker = Worker([config], engine=engine, as_of=as_of, clock=lambda: as_of)
    for entry in config.connectors:
        worker.poll(config, entry.name, force=True)
    first = detect(engine, config, as_of=as_of, now=as_of)
    assert len(open_candidates(engine, "shop")) > 0
    ledgers: list[object] = []
    built = _payment_ledger._ledger

    def counted(*args: object) -> object:
        ledgers.append(args)
        return built(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(_payment_ledger, "_ledger", counted)
    ranking_baselines.forget()  # the frames kept in this process: read from the store again
    again = detect(engine, config, as_of=as_of, now=as_of, force=True)

    assert (again.ran, again.failed) == (first.ran, {})
    assert bool(ledgers) is ledger  # the ids came linked: the ledger dated the invoices
    changes = again.changes
    assert (changes.new, changes.changed, changes.resolved) == ([], [], [])
    assert len(changes.unchanged) == len(open_candidates(engine, "shop"))
