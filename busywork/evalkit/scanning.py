"""Scanning a generated business through a route: its CSV files, or the fake vendor APIs.

Each route runs the real worker on a fresh store as of the business's last day. Scanned
twice (:func:`scan_twice`), every detector then runs again on the same store, through the
snapshots the scan stored (:mod:`busywork.evalkit.scanned`).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from busywork.evalkit.api_route import scan_through_apis
from busywork.evalkit.scanned import Scanned, scan_once
from busywork.synth import SyntheticBusiness
from config.loader import parse_config
from worker import Worker

ROUTES = ("csv", "api")

CONFIG = """\
business: {{id: eval{seed}, name: "{name}", timezone: Europe/London, currency: GBP}}
storage: {{url: "sqlite:///store.db"}}
connectors:
{connectors}
goals:
  - {{id: time, name: Less admin, objective: owner_time, weight: 1}}
"""


def scan(business: SyntheticBusiness, *, seed: int, route: str = "csv") -> dict[str, Any]:
    """Scan ``business`` as of its last day through ``route``; the report document.

    Raises:
        ValueError: ``route`` is not ``csv`` or ``api``.
    """
    return scan_twice(business, seed=seed, route=route, again=False).document


def scan_twice(
    business: SyntheticBusiness, *, seed: int, route: str = "csv", again: bool = True
) -> Scanned:
    """:func:`scan`, then (with ``again``) every detector run again through the snapshots.

    Raises:
        ValueError: ``route`` is not ``csv`` or ``api``.
    """
    if route not in ROUTES:
        raise ValueError(f"route: {route!r} is not one of {', '.join(ROUTES)}")
    end = datetime.fromisoformat(business.truth["end"]).date()
    as_of = datetime.combine(end, time(23, 59), tzinfo=UTC)
    name = business.truth["business"]["name"]
    with tempfile.TemporaryDirectory(prefix="busywork-eval-") as tmp:
        folder = Path(tmp)
        if route == "api":
            return scan_through_apis(business, folder=folder, seed=seed, as_of=as_of, again=again)
        business.write(folder / "data")
        encoding = business.truth.get("encoding", "utf-8")
        connectors = f"  - {{name: exports, type: csv, path: data, encoding: {encoding}}}"
        text = CONFIG.format(seed=seed, name=name, connectors=connectors)
        return _run_config(text, folder, as_of, again=again)


def run_config(text: str, folder: Path, as_of: datetime) -> dict[str, Any]:
    """Run one worker pass over the config ``text`` (relative to ``folder``); its document.

    Raises:
        RuntimeError: a connector failed, so its absence would read as "nothing found".
    """
    return _run_config(text, folder, as_of, again=False).document


def _run_config(text: str, folder: Path, as_of: datetime, *, again: bool) -> Scanned:
    config = parse_config(text, base_dir=folder)
    worker = Worker([config], as_of=as_of)
    try:
        return scan_once(worker, config, again=again)
    finally:
        worker.engine.dispose()
