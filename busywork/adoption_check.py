"""Resolved findings marked adopted once the data shows their subject automated."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from alignment.adoption import SIGNALS, TEMPLATE_COLUMNS, assess_adoption, subject_key
from busywork.configured import detection_context
from busywork.store.findings import mark_adopted, resolved_candidates
from busywork.store.read import load_frames
from busywork.store.records import RecordKind
from config.models import AppConfig
from detectors.base import Candidate

log = logging.getLogger(__name__)


def check_adoption(
    engine: Engine, config: AppConfig, *, as_of: datetime, now: datetime
) -> list[str]:
    """Mark resolved findings adopted where the data now shows their subject automated.

    Every resolved finding is looked at again, so records or templates that arrive after
    the finding closed still count.
    """
    business = config.business.id
    pending = {
        finding_id: candidate
        for finding_id, candidate in resolved_candidates(engine, business, SIGNALS).items()
        if candidate.subject.id is not None
    }
    if not pending:
        return []
    context = detection_context(config, as_of)
    records = _subject_frames(engine, business, pending.values())
    templates = load_frames(engine, business, {RecordKind.RECURRING_TEMPLATE: TEMPLATE_COLUMNS})[
        RecordKind.RECURRING_TEMPLATE
    ]
    outcomes: dict[str, dict[str, Any]] = {}
    for finding_id, candidate in sorted(pending.items()):
        signal = SIGNALS[candidate.kind]
        frame = records[signal.record_kind]
        keys = subject_key(frame[signal.subject_column], signal.record_kind)
        adoption = assess_adoption(
            candidate, frame[keys == candidate.subject.id], context, templates
        )
        if adoption is not None:
            outcomes[finding_id] = adoption.to_json()
            log.info("finding adopted business=%s id=%s action=adopted", business, finding_id)
    if outcomes:
        mark_adopted(engine, business, outcomes, now)
    return sorted(outcomes)


def _subject_frames(
    engine: Engine, business: str, candidates: Iterable[Candidate]
) -> dict[RecordKind, pd.DataFrame]:
    """The records adoption reads, per record kind: only the subjects' where a column names them."""
    columns: dict[RecordKind, list[str]] = {}
    subjects: dict[RecordKind, tuple[str, set[str]]] = {}
    for candidate in candidates:
        signal = SIGNALS[candidate.kind]
        kind = signal.record_kind
        columns[kind] = list(dict.fromkeys([*columns.get(kind, []), *signal.columns]))
        if kind is not RecordKind.JOURNAL_ENTRY:  # journals match on normalised accounts
            subjects.setdefault(kind, (signal.subject_column, set()))[1].add(
                candidate.subject.id or ""
            )
    return load_frames(engine, business, columns, only=subjects)
