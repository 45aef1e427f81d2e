"""Scanning real public data the way a new user would: prepared CSV files, one worker pass."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from busywork.evalkit.scanning import run_config

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
CONFIG = """\
business: {id: real, name: "Real data", timezone: Europe/London, currency: GBP}
storage: {url: "sqlite:///store.db"}
connectors:
  - {name: exports, type: csv, path: data}
goals:
  - {id: time, name: Less admin, objective: owner_time, weight: 1}
"""


def scan(frames: dict[str, pd.DataFrame], folder: Path, as_of: datetime) -> dict[str, Any]:
    """Write ``frames`` as CSV exports under ``folder`` and scan them as of ``as_of`` (UTC)."""
    data = folder / "data"
    data.mkdir(exist_ok=True)
    for stem, frame in frames.items():
        frame.to_csv(data / f"{stem}.csv", index=False)
    return run_config(CONFIG, folder, as_of.replace(tzinfo=UTC))


def kinds(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Recommendations grouped by kind."""
    found: dict[str, list[dict[str, Any]]] = {}
    for item in document["recommendations"]:
        found.setdefault(item["kind"], []).append(item)
    return found
