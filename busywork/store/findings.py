"""Findings: candidates upserted by stable id, so re-detection never re-announces them.

A finding is *new* the first time its id is seen, *changed* when its material content
(evidence count, impact, title) moved, *unchanged* otherwise; an open finding of a
detector that ran again but no longer reports it is marked *resolved*.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from busywork.store.outbox import Feedback
from busywork.store.tables import Finding
from detectors.base import Candidate, EntityLink, Subject

_TABLE = Finding.__table__  # type: ignore[attr-defined]


def candidate_to_json(candidate: Candidate) -> dict[str, Any]:
    """A JSON-safe dict of ``candidate`` (dates as ISO strings)."""
    data = asdict(candidate)
    data["record_ids"] = list(candidate.record_ids)
    data["sources"] = list(candidate.sources)
    data["period_start"] = candidate.period_start.isoformat()
    data["period_end"] = candidate.period_end.isoformat()
    data["metrics"] = dict(candidate.metrics)
    data["subject"]["alt_ids"] = list(candidate.subject.alt_ids)
    data["links"] = [asdict(link) for link in candidate.links]
    return data


def candidate_from_json(data: dict[str, Any]) -> Candidate:
    """The inverse of :func:`candidate_to_json`."""
    values = dict(data)
    subject = dict(values["subject"])
    subject["alt_ids"] = tuple(subject.get("alt_ids") or ())
    values["subject"] = Subject(**subject)
    values["links"] = tuple(EntityLink(**link) for link in values.get("links") or ())
    values["record_ids"] = tuple(values["record_ids"])
    values["sources"] = tuple(values["sources"])
    values["period_start"] = date.fromisoformat(values["period_start"])
    values["period_end"] = date.fromisoformat(values["period_end"])
    return Candidate(**values)


def fingerprint(candidate: Candidate) -> str:
    """A hash of what would make the finding worth announcing again if it changed."""
    material = {
        "count": candidate.count,
        "hours": round(candidate.hours_saved_per_month, 1),
        "cash": round(candidate.cash_impact_per_month),
        "title": candidate.title,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:32]


@dataclass
class FindingChanges:
    """How a detection run changed the stored findings (ids)."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)


def upsert_findings(
    connection: Connection,
    business: str,
    kinds_run: Iterable[str],
    candidates: Sequence[Candidate],
    now: datetime,
    *,
    scopes: Mapping[str, Collection[str]] | None = None,
) -> FindingChanges:
    """Store ``candidates`` from detectors ``kinds_run`` and resolve what they no longer find.

    ``scopes`` maps a detector that looked at only some subjects to the finding ids those
    subjects would have; only those of its findings can be resolved by this run.
    """
    kinds = sorted(set(kinds_run))
    changes = FindingChanges()
    if not kinds:
        return changes
    scopes = scopes or {}
    rows = connection.execute(
        sa.select(_TABLE.c.id, _TABLE.c.kind, _TABLE.c.fingerprint, _TABLE.c.status).where(
            _TABLE.c.business == business, _TABLE.c.kind.in_(kinds)
        )
    ).all()
    stored = {
        row.id: (row.fingerprint, row.status)
        for row in rows
        if row.kind not in scopes or row.id in scopes[row.kind]
    }
    seen: set[str] = set()
    for candidate in candidates:
        finding_id = candidate.stable_id(business)
        seen.add(finding_id)
        print_ = fingerprint(candidate)
        values = {
            "candidate": candidate_to_json(candidate),
            "fingerprint": print_,
            "last_seen_at": now,
        }
        if finding_id not in stored:
            connection.execute(
                sa.insert(_TABLE).values(
                    business=business,
                    id=finding_id,
                    kind=candidate.kind,
                    status="open",
                    first_seen_at=now,
                    changed_at=now,
                    **values,
                )
            )
            changes.new.append(finding_id)
            continue
        old_print, old_status = stored[finding_id]
        moved = old_print != print_ or old_status == "resolved"
        if moved:
            values.update(changed_at=now, status="open", resolved_at=None)
        connection.execute(
            sa.update(_TABLE)
            .where(_TABLE.c.business == business, _TABLE.c.id == finding_id)
            .values(**values)
        )
        (changes.changed if moved else changes.unchanged).append(finding_id)
    gone = sorted(
        finding_id
        for finding_id, (_, status) in stored.items()
        if finding_id not in seen and status == "open"
    )
    if gone:
        connection.execute(
            sa.update(_TABLE)
            .where(_TABLE.c.business == business, _TABLE.c.id.in_(gone))
            .values(status="resolved", resolved_at=now, changed_at=now)
        )
    changes.resolved = gone
    return changes


def resolved_candidates(
    engine: Engine, business: str, kinds: Collection[str]
) -> dict[str, Candidate]:
    """Resolved (closed, not adopted) findings of ``kinds``, by id: adoption may still show."""
    query = sa.select(_TABLE.c.id, _TABLE.c.candidate).where(
        _TABLE.c.business == business,
        _TABLE.c.status == "resolved",
        _TABLE.c.kind.in_(sorted(kinds)),
    )
    with engine.connect() as connection:
        return {row.id: candidate_from_json(row.candidate) for row in connection.execute(query)}


def mark_adopted(
    engine: Engine, business: str, outcomes: dict[str, dict[str, Any]], now: datetime
) -> None:
    """Record that findings were acted on, with what the data shows they delivered."""
    with engine.begin() as connection:
        for finding_id, outcome in outcomes.items():
            connection.execute(
                sa.update(_TABLE)
                .where(_TABLE.c.business == business, _TABLE.c.id == finding_id)
                .values(status="adopted", outcome=outcome, changed_at=now)
            )


def adopted_findings(engine: Engine, business: str) -> list[tuple[str, Candidate, dict[str, Any]]]:
    """Adopted findings of ``business``: id, candidate and outcome, ordered by id."""
    query = (
        sa.select(_TABLE.c.id, _TABLE.c.candidate, _TABLE.c.outcome)
        .where(_TABLE.c.business == business, _TABLE.c.status == "adopted")
        .order_by(_TABLE.c.id)
    )
    with engine.connect() as connection:
        return [
            (row.id, candidate_from_json(row.candidate), row.outcome or {})
            for row in connection.execute(query)
        ]


@dataclass(frozen=True)
class FeedbackState:
    """Feedback as ranking uses it: counts per kind, and findings to leave out today."""

    accepted: dict[str, int]
    dismissed: dict[str, int]
    hidden: frozenset[str]


def feedback_state(engine: Engine, business: str, today: date) -> FeedbackState:
    """Accept/dismiss counts per finding kind, and the dismissed or snoozed finding ids."""
    feedback = Feedback.__table__  # type: ignore[attr-defined]
    query = (
        sa.select(_TABLE.c.id, _TABLE.c.kind, feedback.c.action, feedback.c.until)
        .join(
            feedback,
            sa.and_(feedback.c.business == _TABLE.c.business, feedback.c.finding_id == _TABLE.c.id),
        )
        .where(_TABLE.c.business == business)
    )
    accepted: dict[str, int] = {}
    dismissed: dict[str, int] = {}
    hidden: set[str] = set()
    with engine.connect() as connection:
        for row in connection.execute(query):
            if row.action == "accept":
                accepted[row.kind] = accepted.get(row.kind, 0) + 1
            elif row.action == "dismiss":
                dismissed[row.kind] = dismissed.get(row.kind, 0) + 1
                hidden.add(row.id)
            elif row.action == "snooze" and row.until is not None and row.until > today:
                hidden.add(row.id)
    return FeedbackState(accepted, dismissed, frozenset(hidden))


def open_candidates(engine: Engine, business: str) -> list[Candidate]:
    """Every open finding of ``business``, as candidates, ordered by id."""
    query = (
        sa.select(_TABLE.c.candidate)
        .where(_TABLE.c.business == business, _TABLE.c.status == "open")
        .order_by(_TABLE.c.id)
    )
    with engine.connect() as connection:
        return [candidate_from_json(row[0]) for row in connection.execute(query)]


def cited_subjects(engine: Engine, business: str, kind: str, record_ids: set[str]) -> set[str]:
    """Subjects of the open ``kind`` findings whose evidence cites any of ``record_ids``.

    A record that moved to another subject (an invoice re-assigned to another customer) is
    still evidence of the finding about the subject it left, which must be looked at again.
    """
    if not record_ids:
        return set()
    query = sa.select(_TABLE.c.candidate).where(
        _TABLE.c.business == business, _TABLE.c.kind == kind, _TABLE.c.status == "open"
    )
    with engine.connect() as connection:
        found = [candidate_from_json(row[0]) for row in connection.execute(query)]
    return {
        candidate.subject.id
        for candidate in found
        if candidate.subject.id is not None and not record_ids.isdisjoint(candidate.record_ids)
    }


def merged_subjects(engine: Engine, business: str, kind: str, subjects: set[str]) -> set[str]:
    """Every id of the open ``kind`` findings about any of ``subjects``, alternative ids too.

    A finding about a customer keyed twice is filed under one id and carries the other as
    ``<source>:<id>`` among its ``alt_ids``; a change to the records of either id must
    re-read both, or the finding would be re-detected from half its records.
    """
    if not subjects:
        return set()
    query = sa.select(_TABLE.c.candidate).where(
        _TABLE.c.business == business, _TABLE.c.kind == kind, _TABLE.c.status == "open"
    )
    with engine.connect() as connection:
        found = [candidate_from_json(row[0]) for row in connection.execute(query)]
    out: set[str] = set()
    for candidate in found:
        if candidate.subject.id is None or not candidate.subject.alt_ids:
            continue
        ids = {candidate.subject.id} | {
            alt.partition(":")[2] for alt in candidate.subject.alt_ids if ":" in alt
        }
        if not subjects.isdisjoint(ids):
            out |= ids
    return out
