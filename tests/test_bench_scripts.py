"""The benchmarks still run: a benchmark that no longer imports is found here, not on the day
someone needs its figures. Nothing is timed (figures are printed by the scripts themselves)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
SCRIPTS = sorted(path.name for path in BENCH.glob("*.py"))


def test_every_benchmark_imports() -> None:
    # Each module body runs (imports, constants), not its main(): one interpreter for all.
    code = (
        "import runpy, sys\n"
        "for path in sys.argv[1:]:\n"
        "    runpy.run_path(path, run_name='bench_import_check')\n"
    )
    _run(["-c", code, *(str(BENCH / name) for name in SCRIPTS)], timeout=120)
    assert len(SCRIPTS) >= 10


@pytest.mark.slow
def test_the_events_benchmark_measures_a_change_end_to_end() -> None:
    stdout = _run([str(BENCH / "events.py"), "--businesses", "3", "--changes", "2"])
    assert "change → recommendation JSON, 2 changes over 3 businesses: p50" in stdout


@pytest.mark.slow
def test_the_million_record_benchmark_runs_end_to_end_at_a_small_scale() -> None:
    stdout = _run([str(BENCH / "detect_1m.py"), "--scale", "0.05", "--no-anchor"])
    for stage in ("ingest from CSV", "load frames, warm", "detect (13 kinds)", "ranking tick"):
        assert stage in stdout
    assert "findings digest      " in stdout


def _run(arguments: list[str], timeout: float = 300) -> str:
    """What this interpreter prints, run with ``arguments`` from the project's root.

    Fails the test unless the run succeeds.
    """
    result = subprocess.run(
        [sys.executable, *arguments],
        check=False,
        capture_output=True,
        text=True,
        cwd=BENCH.parent,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout
