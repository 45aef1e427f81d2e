"""Faster loading must not change a single finding.

The frames :func:`busywork.store.read.load_frames` hands out are compared, dtype and value,
with those of the plain reference reader below (the loader as it was before the columnar
path: rows through SQLAlchemy into pandas), and the findings of every detector on the two
are compared as frozen dataclasses. The businesses are generated ones with the evaluation's
mess profiles, so blanks, odd text and mixed sources are all there.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.evaluate import make_business, profiles_for
from busywork.pipeline import detection_context, enabled_detectors
from busywork.store.bill_payments import fill_bill_paid_at
from busywork.store.frames import column_specs
from busywork.store.ingest import commit_page
from busywork.store.read import frame_columns, load_frames
from busywork.store.records import RECORD_MODELS, RecordKind
from config.loader import parse_config
from config.models import AppConfig
from tests.factories import batch, invoice_rows
from worker import Worker

CONFIG = """\
business: {{id: b{seed}, name: Guard, timezone: Europe/London, currency: GBP}}
storage: {{url: "sqlite:///{folder}/store.db"}}
connectors: [{{name: exports, type: csv, path: data}}]
"""
#: Evaluation seeds with different mess profiles, at a size the default run can afford.
SEEDS = (3, 8)
SCALE = 0.1


def reference_frames(
    engine: Engine, business: str, columns: Mapping[RecordKind, Iterable[str]]
) -> dict[RecordKind, pd.DataFrame]:
    """The frames, read the plain way: SQLAlchemy rows into pandas, column by column."""
    frames: dict[RecordKind, pd.DataFrame] = {}
    with engine.connect() as connection:
        for kind, wanted in columns.items():
            table = RECORD_MODELS[kind].__table__  # type: ignore[attr-defined]
            specs = {spec.name: spec.type for spec in column_specs(kind)}
            names = frame_columns(kind, wanted)
            query = (
                sa.select(*(table.c[name] for name in names))
                .where(table.c.business == business, table.c.deleted.is_(False))
                .order_by(table.c.id)
            )
            rows = [tuple(row) for row in connection.execute(query)]
            frame = pd.DataFrame(rows, columns=names, dtype=object)
            for name in names:
                frame[name] = _typed(frame[name], specs.get(name, "str"))
            frames[kind] = frame
        bills = frames.get(RecordKind.BILL)
        if bills is not None and "paid_at" in bills.columns:
            frames[RecordKind.BILL] = fill_bill_paid_at(connection, business, bills)
    return frames


def _typed(values: pd.Series, logical: str) -> pd.Series:
    if logical == "datetime":
        parsed = pd.to_datetime(values, utc=True)
        return parsed.dt.tz_localize(None).astype("datetime64[ns]")
    if logical == "date":
        return pd.to_datetime(values).dt.normalize().astype("datetime64[ns]")
    if logical == "float":
        return pd.to_numeric(values).astype("float64")
    if logical == "int":
        return pd.to_numeric(values).astype("Int64")
    if logical == "bool":
        return values.astype(bool)
    return values.astype(object).where(values.notna(), None)


def _all_columns(config: AppConfig) -> dict[RecordKind, list[str]]:
    columns: dict[RecordKind, set[str]] = {}
    for detector in enabled_detectors(config).values():
        for kind, wanted in detector.input_columns().items():
            columns.setdefault(kind, set()).update(wanted)
    return {kind: sorted(names) for kind, names in columns.items()}


@pytest.fixture(scope="module", params=SEEDS)
def ingested(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Worker, AppConfig, datetime]]:
    """A generated, messed-up business imported from its CSV files into SQLite."""
    seed = int(request.param)
    business = make_business(seed, SCALE, profiles_for(seed, None))
    folder = tmp_path_factory.mktemp(f"seed{seed}")
    business.write(folder / "data")
    config = parse_config(CONFIG.format(seed=seed, folder=folder), base_dir=Path(folder))
    end = datetime.fromisoformat(business.truth["end"]).date()
    as_of = datetime.combine(end, time(23, 59), tzinfo=UTC)
    worker = Worker([config], as_of=as_of)
    worker.poll(config, "exports", force=True)
    yield worker, config, as_of
    worker.engine.dispose()


def test_frames_equal_the_reference_reader(
    ingested: tuple[Worker, AppConfig, datetime],
) -> None:
    worker, config, _ = ingested
    columns = _all_columns(config)
    loaded = load_frames(worker.engine, config.business.id, columns)
    expected = reference_frames(worker.engine, config.business.id, columns)
    assert loaded.keys() == expected.keys()
    assert sum(len(frame) for frame in loaded.values()) > 1_000
    for kind, frame in expected.items():
        pd.testing.assert_frame_equal(loaded[kind], frame, check_exact=True, obj=kind.value)


@pytest.mark.slow  # thirteen detectors twice per seed; frames equal above already imply it
def test_findings_equal_those_on_the_reference_frames(
    ingested: tuple[Worker, AppConfig, datetime],
) -> None:
    worker, config, as_of = ingested
    columns = _all_columns(config)
    context = detection_context(config, as_of)
    loaded = load_frames(worker.engine, config.business.id, columns)
    expected = reference_frames(worker.engine, config.business.id, columns)
    found = 0
    for kind, detector in enabled_detectors(config).items():
        ours = detector.detect(loaded, context)
        assert ours == detector.detect(expected, context), kind
        found += len(ours)
    assert found > 0


@pytest.mark.parametrize("share", [1, 10])
def test_a_business_with_a_small_or_large_share_of_the_store_reads_the_same(
    engine: Engine, share: int
) -> None:
    """Both ways SQLite may read a business (whole table or by index) give the same frame."""
    for business, count in (("big", 40 * share), ("small", 40)):
        commit_page(
            engine,
            business=business,
            connector="books",
            batches=[batch(RecordKind.INVOICE, invoice_rows(count, prefix=business))],
            cursor=None,
            now=datetime(2026, 10, 1, tzinfo=UTC),
        )
    commit_page(  # a deleted record is left out either way
        engine,
        business="big",
        connector="books",
        batches=[batch(RecordKind.INVOICE, [], deleted=("big-00001",))],
        cursor=None,
        now=datetime(2026, 10, 2, tzinfo=UTC),
    )
    columns = {RecordKind.INVOICE: ["customer_id", "issued_on", "total", "paid_at", "status"]}
    for business, count in (("big", 40 * share - 1), ("small", 40)):
        loaded = load_frames(engine, business, columns)[RecordKind.INVOICE]
        expected = reference_frames(engine, business, columns)[RecordKind.INVOICE]
        assert len(loaded) == count
        pd.testing.assert_frame_equal(loaded, expected, check_exact=True)
