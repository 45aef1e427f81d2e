"""A scan's report, and the report of detecting again through the snapshots it stored.

A first scan of a store reads its records row by row; every later detection reads the
columnar snapshots the first one wrote, with the codes and links they carry, and takes
other paths through the detectors (the payments' ledger, the links between kinds). An
evaluation detects twice, so the second path is scored too: both reports must hold the
same recommendations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from config.models import AppConfig
from worker import Worker


@dataclass(frozen=True)
class Scanned:
    """A scan's report and, when asked for, that of every detector run again after it."""

    document: dict[str, Any]
    #: The report after every detector ran again on the same store, through its snapshots.
    again: dict[str, Any] | None = None


def scan_once(worker: Worker, config: AppConfig, *, again: bool) -> Scanned:
    """One worker pass over ``config``'s business; with ``again``, every detector again after.

    Raises:
        RuntimeError: a connector failed, so its absence would read as "nothing found".
    """
    [result] = worker.run_once()
    failed = [f"{sync.connector}: {sync.error}" for sync in result.syncs if not sync.ok]
    if failed:
        raise RuntimeError("connectors failed: " + "; ".join(failed))
    second = detect_again(worker, config) if again else None
    return Scanned(result.document or {"recommendations": []}, second)


def detect_again(worker: Worker, config: AppConfig) -> dict[str, Any]:
    """Every detector of ``config``'s business run again (its frames from the snapshots)."""
    processed = worker.process(config, redetect=True)
    return processed.document or {"recommendations": []}
