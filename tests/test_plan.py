"""Planning re-detection: scoped runs see exactly what a full run sees for their subjects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.pipeline import detect, detection_context, enabled_detectors
from busywork.plan import Run, load_for_runs, plan_runs
from busywork.store import stored_frames
from busywork.store.events import touched_subjects
from busywork.store.findings import candidate_from_json, candidate_to_json, open_candidates
from busywork.store.frames import validate_records
from busywork.store.ingest import commit_page
from busywork.store.read import load_frames
from busywork.store.record_batch import RecordBatch
from busywork.store.records import RecordKind
from busywork.store.tables import Finding
from config.models import AppConfig
from detectors.base import WINDOW_REFRESH
from detectors.registry import detector_classes
from tests.factories import SHOP_AS_OF, commit_new_invoices
from worker import Worker

AS_OF = SHOP_AS_OF
SCOPABLE = sorted(kind for kind, cls in detector_classes().items() if cls.scopable())


@pytest.fixture
def scanned(
    scanned_shop: Callable[[float], tuple[AppConfig, Worker]],
) -> tuple[AppConfig, Worker]:
    """A synthetic business scanned once, so every detector has a watermark (a copy per test)."""
    return scanned_shop(0.1)


def test_the_subject_keyed_detectors_are_the_recurring_invoice_and_bill_ones() -> None:
    assert SCOPABLE == ["recurring_bill", "recurring_invoice"]


@pytest.mark.parametrize("kind", SCOPABLE)
def test_a_scoped_run_finds_what_a_full_run_finds_for_those_subjects(
    scanned: tuple[AppConfig, Worker], kind: str
) -> None:
    config, worker = scanned
    detector = enabled_detectors(config)[kind]
    context = detection_context(config, AS_OF)
    ((record_kind, column),) = detector.subject_columns.items()
    full = detector.detect(load_for_runs(worker.engine, "shop", [Run(detector)]), context)
    found = sorted({c.subject.id for c in full if c.subject.id is not None})
    assert len(found) >= 2
    everyone = load_for_runs(worker.engine, "shop", [Run(detector)])[record_kind]
    quiet = sorted(set(everyone[column].dropna()) - set(found))[:3]
    subjects = frozenset([found[0], found[-1], *quiet])
    frames = load_for_runs(worker.engine, "shop", [Run(detector, subjects)])
    assert set(frames[record_kind][column]) == subjects
    scoped = detector.detect(frames, context)
    assert scoped == [c for c in full if c.subject.id in subjects]


def test_new_invoices_plan_a_run_on_just_their_customers(
    scanned: tuple[AppConfig, Worker],
) -> None:
    config, worker = scanned
    later = AS_OF + timedelta(minutes=5)
    commit_new_invoices(worker.engine, ["C0001", "C0002", "C0001"], later, customer_name="Someone")
    runs, _ = plan_runs(worker.engine, "shop", enabled_detectors(config), now=later)
    assert set(runs) == {"recurring_invoice"}
    assert runs["recurring_invoice"].subjects == {"C0001", "C0002"}
    after_window = AS_OF + WINDOW_REFRESH
    runs, _ = plan_runs(worker.engine, "shop", enabled_detectors(config), now=after_window)
    readers = {k for k, c in detector_classes().items() if RecordKind.INVOICE in c.requires()}
    assert set(runs) == readers
    assert all(runs[k].subjects is None for k in readers - {"recurring_invoice"})


def test_an_invoice_without_a_customer_id_makes_the_run_look_at_everyone(
    scanned: tuple[AppConfig, Worker],
) -> None:
    config, worker = scanned
    later = AS_OF + timedelta(minutes=5)
    commit_new_invoices(worker.engine, ["C0001", None], later, customer_name="Someone")
    runs, _ = plan_runs(worker.engine, "shop", enabled_detectors(config), now=later)
    assert runs["recurring_invoice"].subjects is None


def test_too_many_events_are_not_worth_scoping(scanned: tuple[AppConfig, Worker]) -> None:
    _, worker = scanned
    later = AS_OF + timedelta(minutes=5)
    commit_new_invoices(worker.engine, ["C0001", "C0002", "C0003"], later, customer_name="Someone")
    columns = {RecordKind.INVOICE: "customer_id"}
    upto = 10**12
    mark = _max_event_id(worker.engine) - 3
    assert touched_subjects(
        worker.engine, "shop", columns, after=mark, upto=upto, max_events=3
    ) == {"C0001", "C0002", "C0003"}
    assert (
        touched_subjects(worker.engine, "shop", columns, after=mark, upto=upto, max_events=2)
        is None
    )


def _max_event_id(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT max(id) FROM event")).scalar_one())


def test_a_template_change_makes_the_recurring_detectors_look_at_everyone(
    scanned: tuple[AppConfig, Worker],
) -> None:
    config, worker = scanned
    later = AS_OF + timedelta(minutes=5)
    commit_new_invoices(worker.engine, ["C0001"], later, customer_name="Someone")
    raw = pd.DataFrame({"source_id": ["T1"], "document": ["invoice"], "counterparty_id": ["C0002"]})
    templates = validate_records(RecordKind.RECURRING_TEMPLATE, raw).frame
    commit_page(
        worker.engine,
        business="shop",
        connector="exports",
        batches=[RecordBatch(RecordKind.RECURRING_TEMPLATE, templates)],
        cursor=None,
        now=later,
    )
    runs, _ = plan_runs(worker.engine, "shop", enabled_detectors(config), now=later)
    assert runs["recurring_invoice"].subjects is None
    assert runs["recurring_bill"].subjects is None


def test_an_invoice_moved_to_another_customer_re_detects_the_customer_it_left(
    scanned: tuple[AppConfig, Worker],
) -> None:
    config, worker = scanned
    before = next(
        c for c in open_candidates(worker.engine, "shop") if c.kind == "recurring_invoice"
    )
    left, moved = before.subject.id, before.record_ids[-1]
    columns = "source_id, issued_on, total, currency, customer_name, origin, description"
    with worker.engine.connect() as connection:
        row = connection.execute(
            sa.text(f"SELECT {columns} FROM invoice WHERE source_id = :id"), {"id": moved}
        ).one()
    raw = pd.DataFrame([row._asdict()], dtype=object).assign(customer_id="C9999")
    later = AS_OF + timedelta(minutes=5)
    commit_page(
        worker.engine,
        business="shop",
        connector="exports",
        batches=[RecordBatch(RecordKind.INVOICE, validate_records(RecordKind.INVOICE, raw).frame)],
        cursor=None,
        now=later,
    )
    runs, _ = plan_runs(worker.engine, "shop", enabled_detectors(config), now=later)
    assert runs["recurring_invoice"].subjects == {"C9999", left}  # the new and the old one
    detect(worker.engine, config, as_of=AS_OF, now=later)
    after = [c for c in open_candidates(worker.engine, "shop") if c.subject.id == left]
    assert all(moved not in candidate.record_ids for candidate in after)


def test_a_new_invoice_under_a_customer_s_second_id_re_reads_both_ids(
    scanned: tuple[AppConfig, Worker],
) -> None:
    config, worker = scanned
    table = Finding.__table__  # type: ignore[attr-defined]
    with worker.engine.begin() as connection:
        row = connection.execute(
            sa.select(table.c.id, table.c.candidate).where(
                table.c.kind == "recurring_invoice", table.c.status == "open"
            )
        ).first()
        assert row is not None
        candidate = candidate_from_json(row.candidate)
        merged = replace(candidate, subject=replace(candidate.subject, alt_ids=("csv:C0999",)))
        connection.execute(
            table.update().where(table.c.id == row.id).values(candidate=candidate_to_json(merged))
        )
    later = AS_OF + timedelta(minutes=5)
    commit_new_invoices(worker.engine, ["C0999"], later, customer_name="Someone")
    runs, _ = plan_runs(worker.engine, "shop", enabled_detectors(config), now=later)
    assert runs["recurring_invoice"].subjects == {"C0999", candidate.subject.id}


def test_a_full_load_reads_the_stored_snapshots_patched_with_later_events(
    scanned: tuple[AppConfig, Worker], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, worker = scanned  # its scan stored the frames every detector reads
    later = AS_OF + timedelta(minutes=5)
    commit_new_invoices(worker.engine, ["C0001", "C0002"], later, customer_name="Someone")
    runs = [Run(detector) for detector in enabled_detectors(config).values()]
    columns: dict[RecordKind, set[str]] = {}
    for run in runs:
        for record_kind, wanted in run.detector.input_columns().items():
            columns.setdefault(record_kind, set()).update(wanted)
    fresh = load_frames(worker.engine, "shop", {kind: sorted(c) for kind, c in columns.items()})

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("every row was read again")

    monkeypatch.setattr(stored_frames, "load_frames", refused)
    loaded = load_for_runs(worker.engine, "shop", runs)
    assert list(loaded) == list(fresh)
    for kind, frame in fresh.items():
        pd.testing.assert_frame_equal(loaded[kind], frame, check_exact=True, obj=kind.value)
    assert (loaded[RecordKind.INVOICE]["customer_name"] == "Someone").sum() == 2
