"""Volume: ``scale`` grows the one-off work to bench sizes without moving the planted records."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from busywork.synth import GeneratorSettings, generate

BENCH_ROWS = 100_000


def _subjects(truth: dict[str, object]) -> list[tuple[str, str, str | None]]:
    entries = truth["planted"] + truth["decoys"]  # type: ignore[operator]
    return [(e["kind"], e["subject"]["type"], e["subject"]["id"]) for e in entries]


def test_defaults_are_a_realistic_small_firm() -> None:
    business = generate(GeneratorSettings(seed=1))
    counts = business.truth["counts"]
    assert 50_000 <= sum(counts.values()) <= 100_000
    assert counts["vendors"] >= 12
    assert counts["customers"] >= 40
    assert counts["invoice_lines"] > counts["invoices"]


def test_scale_reaches_100k_rows_quickly(
    tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    settings = GeneratorSettings(seed=1, scale=1.5)
    started = time.perf_counter()
    business = generate(settings)
    generated = time.perf_counter()
    business.write(tmp_path)
    written = time.perf_counter()
    rows = sum(len(frame) for frame in business.frames.values())
    record_property("rows", rows)
    record_property("generate_seconds", round(generated - started, 3))
    record_property("write_seconds", round(written - generated, 3))
    assert rows >= BENCH_ROWS
    assert business.truth["counts"] == {k: len(f) for k, f in business.frames.items()}
    on_disk = sum(
        len(path.read_text(encoding="utf-8").splitlines()) - 1 for path in tmp_path.glob("*.csv")
    )
    assert on_disk == rows  # no cell contains a line break


def test_scale_grows_volume_but_keeps_the_planted_subjects() -> None:
    small = generate(GeneratorSettings(seed=5, scale=0.1))
    large = generate(GeneratorSettings(seed=5, scale=1.2))
    assert _subjects(small.truth) == _subjects(large.truth)
    assert sum(large.truth["counts"].values()) > 5 * sum(small.truth["counts"].values())
    for kind in ("customers", "invoices", "appointments", "bills", "journal_entries"):
        assert large.truth["counts"][kind] > small.truth["counts"][kind], kind


@pytest.mark.slow
def test_a_million_rows_fit_in_a_minute(record_property: pytest.RecordProperty) -> None:
    started = time.perf_counter()
    business = generate(GeneratorSettings(seed=2, scale=14))
    record_property("generate_seconds", round(time.perf_counter() - started, 3))
    rows = sum(len(frame) for frame in business.frames.values())
    record_property("rows", rows)
    assert rows >= 900_000
