"""One detection pass computes what its detectors derive alike once, and keeps none of it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from busywork import pipeline
from busywork.pipeline import (
    DetectResult,
    Run,
    detect,
    detect_pass,
    detection_context,
    enabled_detectors,
)
from busywork.plan import load_for_runs
from config.models import AppConfig
from detectors import _invoice_customers, _matching, _payments, _shared
from tests.factories import SHOP_AS_OF
from worker import Worker


def test_a_forced_detection_computes_each_shared_result_once_and_keeps_none(
    scanned_shop: Callable[[float], tuple[AppConfig, Worker]], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, worker = scanned_shop(0.1)
    calls: Counter[str] = Counter()

    def counted(module: Any, name: str) -> None:
        real: Callable[..., Any] = getattr(module, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, call)

    counted(_matching, "_match")  # appointment_to_invoice, invoice_lag, duplicate_entry
    counted(_payments, "_facts")  # the coverage of payment dates, slow_collection
    counted(_invoice_customers, "resolve_customers")  # invoice_customers' resolutions
    counted(_invoice_customers, "separate_records")  # the records' directory, unresolved

    result = detect(worker.engine, config, as_of=SHOP_AS_OF, now=SHOP_AS_OF, force=True)

    assert {"appointment_to_invoice", "invoice_lag", "duplicate_entry"} <= set(result.ran)
    assert {"payment_reminders", "recurring_invoice", "slow_collection"} <= set(result.ran)
    assert calls["_match"] == 1
    # The whole invoices: the coverage and slow_collection; payment_reminders' window: its own.
    assert calls["_facts"] == 2
    # No invoice adds to the customer records: their directory is made once for both
    # detectors, and without resolving them, as no two of the shop's records can merge.
    assert calls["separate_records"] == 1
    assert calls["resolve_customers"] == 0
    assert _shared._current.get() is None  # the pass is over: nothing is remembered


def test_each_detector_of_a_pass_is_timed_and_a_failed_one_too(
    scanned_shop: Callable[[float], tuple[AppConfig, Worker]], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, worker = scanned_shop(0.1)
    clock = iter(range(1000))  # each reading one second later than the one before
    monkeypatch.setattr(pipeline.time, "perf_counter", lambda: float(next(clock)))

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("broken on purpose")

    slow = "recurring_bill"
    monkeypatch.setattr(type(enabled_detectors(config)[slow]), "detect", broken)
    result = detect(worker.engine, config, as_of=SHOP_AS_OF, now=SHOP_AS_OF, force=True)

    assert slow in result.failed
    assert set(result.seconds) == {pipeline.COVERAGE, *result.ran, *result.failed}
    # Read before and after each (a second later at least), the coverage's included.
    assert all(seconds >= 1.0 for seconds in result.seconds.values())
    assert next(iter(result.seconds)) == pipeline.COVERAGE


def test_a_pass_reads_the_clock_it_is_given(
    scanned_shop: Callable[[float], tuple[AppConfig, Worker]],
) -> None:
    # bench/detector_passes.py gives the CPU clock; the pipeline reads the wall clock.
    config, worker = scanned_shop(0.1)
    business = config.business.id
    runs = {name: Run(detector) for name, detector in enabled_detectors(config).items()}
    frames = load_for_runs(worker.engine, business, list(runs.values()))
    readings = iter(range(0, 1000, 5))  # each reading five seconds after the one before
    result = DetectResult()

    found = detect_pass(
        business,
        runs,
        frames,
        detection_context(config, SHOP_AS_OF),
        result,
        clock=lambda: float(next(readings)),
    )

    assert found
    assert not result.failed
    assert set(result.seconds) == {pipeline.COVERAGE, *runs}
    # One reading before and one after the coverage and each detector: nothing else.
    assert set(result.seconds.values()) == {5.0}
