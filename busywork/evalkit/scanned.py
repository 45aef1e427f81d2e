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


def detect_again(worker: Worker, config: AppConfig) -> dict[str, Any]:
    """Every detector of ``config``'s business run again (its frames from the snapshots)."""
    processed = worker.process(config, redetect=True)
    return processed.document or {"recommendations": []}
