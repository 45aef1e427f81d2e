"""The owner's answers: accept, dismiss or snooze a finding; unsubscribe from the emails."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from busywork.delivery.outbox import forget
from busywork.errors import FatalError
from busywork.store.outbox import EmailOptOut, Feedback
from busywork.store.tables import Finding

FEEDBACK = Feedback.__table__  # type: ignore[attr-defined]
FINDINGS = Finding.__table__  # type: ignore[attr-defined]
OPT_OUTS = EmailOptOut.__table__  # type: ignore[attr-defined]
ACTIONS = ("accept", "dismiss", "snooze")
#: The furthest a snooze may reach: later than that is a dismissal in disguise.
MAX_SNOOZE = timedelta(days=366)


class FeedbackError(FatalError):
    """Feedback that cannot be recorded: unknown finding, bad action or date."""


class SupersededError(FeedbackError):
    """A newer answer on the finding is already recorded; this older one is ignored."""


def record_feedback(
    engine: Engine,
    business: str,
    finding_id: str,
    action: str,
    *,
    now: datetime,
    until: date | None = None,
    source: str = "cli",
    sequence: int | None = None,
) -> None:
    """Store the latest answer on ``finding_id``; a snooze makes it announceable again later.

    ``sequence`` orders answers (a link's is the time its email was made); without one the
    answer is dated ``now``. An answer older than the recorded one is refused.

    Raises:
        SupersededError: a newer answer is already recorded.
        FeedbackError: the finding does not exist, or the action/date do not fit together.
    """
    if action not in ACTIONS:
        raise FeedbackError(f"unknown action {action!r}; use {', '.join(ACTIONS)}")
    if action == "snooze" and (until is None or until <= now.date()):
        raise FeedbackError("snooze needs --until with a date after today")
    if action == "snooze" and until is not None and until > (now + MAX_SNOOZE).date():
        raise FeedbackError(f"snooze at most until {(now + MAX_SNOOZE).date()}; dismiss instead")
    if action != "snooze" and until is not None:
        raise FeedbackError("--until only goes with snooze")
    with engine.begin() as connection:
        exists = connection.execute(
            sa.select(FINDINGS.c.id).where(
                FINDINGS.c.business == business, FINDINGS.c.id == finding_id
            )
        ).first()
        if exists is None:
            raise FeedbackError(f"business {business!r} has no finding {finding_id!r}")
        order = int(now.timestamp()) if sequence is None else sequence
        recorded = connection.execute(
            sa.select(FEEDBACK.c.sequence).where(
                FEEDBACK.c.business == business, FEEDBACK.c.finding_id == finding_id
            )
        ).scalar()
        if recorded is not None and recorded > order:
            raise SupersededError("a newer answer on this finding is already recorded")
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        values = {
            "action": action,
            "until": until,
            "recorded_at": now,
            "source": source,
            "sequence": order,
        }
        connection.execute(
            insert(FEEDBACK)
            .values(business=business, finding_id=finding_id, **values)
            .on_conflict_do_update(index_elements=["business", "finding_id"], set_=values)
        )
        if action == "snooze":
            # Forgetting what was sent is what makes it come back once the date has passed.
            forget(connection, business, finding_id)


def suppressed(connection: Connection, business: str, today: date) -> set[str]:
    """Findings not to send today: dismissed ones, and snoozed ones before their date."""
    rows = connection.execute(
        sa.select(FEEDBACK.c.finding_id).where(
            FEEDBACK.c.business == business,
            sa.or_(
                FEEDBACK.c.action == "dismiss",
                sa.and_(FEEDBACK.c.action == "snooze", FEEDBACK.c.until > today),
            ),
        )
    )
    return {row.finding_id for row in rows}


def opt_out(engine: Engine, business: str, recipient: str, now: datetime) -> None:
    """Stop emailing ``recipient`` for ``business`` (idempotent)."""
    with engine.begin() as connection:
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        connection.execute(
            insert(OPT_OUTS)
            .values(business=business, recipient=recipient, opted_out_at=now)
            .on_conflict_do_nothing(index_elements=["business", "recipient"])
        )


def opted_out(connection: Connection, business: str) -> set[str]:
    """Recipients of ``business`` who unsubscribed."""
    rows = connection.execute(
        sa.select(OPT_OUTS.c.recipient).where(OPT_OUTS.c.business == business)
    )
    return {row.recipient for row in rows}
