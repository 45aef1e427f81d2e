"""A worker tick after a batch does only the work the batch makes due, and none when idle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

import busywork.pipeline
from busywork.pipeline import detect
from config.models import AppConfig
from tests.factories import SHOP_AS_OF, commit_new_invoices
from worker import Worker

AS_OF = SHOP_AS_OF


class Calls:
    """Counts the calls of the pipeline's real loading and coverage steps, and their inputs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.loads = 0
        self.measured: list[list[str]] = []
        load, measure = busywork.pipeline.load_for_detection, busywork.pipeline.measure_pass
        monkeypatch.setattr(busywork.pipeline, "load_for_detection", self._counted(load, "load"))
        monkeypatch.setattr(busywork.pipeline, "measure_pass", self._counted(measure, "measure"))

    def _counted(self, real: Callable[..., Any], name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if name == "load":
                self.loads += 1
            else:
                self.measured.append(sorted(detector.kind for detector in args[0]))
            return real(*args, **kwargs)

        return call


@pytest.fixture
def scanned(
    scanned_shop: Callable[[float], tuple[AppConfig, Worker]],
) -> tuple[AppConfig, Worker]:
    """A synthetic business scanned once by the live worker, so every detector has a watermark."""
    return scanned_shop(0.1)


def test_a_batch_re_reads_its_subjects_only_and_an_idle_tick_reads_nothing(
    scanned: tuple[AppConfig, Worker], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, worker = scanned
    calls = Calls(monkeypatch)
    later = AS_OF + timedelta(minutes=5)
    commit_new_invoices(worker.engine, ["C0001", "C0002"], later)

    batch = detect(worker.engine, config, as_of=later, now=later)

    assert batch.ran == ["recurring_invoice"]
    assert batch.scoped == {"recurring_invoice": 2}
    assert calls.loads == 1
    assert calls.measured == [[]]  # a scoped run measures no business-wide coverage

    tick = later + timedelta(minutes=1)
    idle = detect(worker.engine, config, as_of=tick, now=tick)

    assert idle.ran == []
    assert calls.loads == 1  # nothing was due: no frame was loaded, no coverage measured
    assert calls.measured == [[]]
