"""The owner's answers: accept, dismiss, snooze or withdraw; unsubscribe from the emails.

One answer stands per finding: the latest *by decision time*, which is the scan's clock
(``--as-of``) when one is given, not the wall clock. An answer older than the one on
record is refused, so a late replay cannot undo a newer decision. ``withdraw`` takes the
standing answer back: the finding is listed and ranked as if it had never had one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from busywork.delivery.outbox import aware, forget
from busywork.errors import FatalError
from busywork.store.outbox import EmailOptOut, Feedback
from busywork.store.tables import Finding

FEEDBACK = Feedback.__table__  # type: ignore[attr-defined]
FINDINGS = Finding.__table__  # type: ignore[attr-defined]
OPT_OUTS = EmailOptOut.__table__  # type: ignore[attr-defined]
ACTIONS = ("accept", "dismiss", "snooze", "withdraw")
WITHDRAW = "withdraw"
#: The furthest a snooze may reach: later than that is a dismissal in disguise.
MAX_SNOOZE = timedelta(days=366)


class FeedbackError(FatalError):
    """Feedback that cannot be recorded: unknown finding, bad action or date, stale answer."""


@dataclass(frozen=True)
class Decision:
    """The answer that stands on a finding, and when it was decided."""

    action: str
    until: date | None
    decided_at: datetime
    source: str

    def describe(self) -> str:
        """Plain words: "dismiss (decided 2026-12-03 10:00 UTC)"."""
        until = f" until {self.until.isoformat()}" if self.until else ""
        return f"{self.action}{until} (decided {self.decided_at:%Y-%m-%d %H:%M} UTC)"


def feedback_day(clock: datetime, timezone: str = "UTC") -> date:
    """The business's calendar day at ``clock``: what a snooze date is compared with."""
    return clock.astimezone(ZoneInfo(timezone)).date()


def latest_decision(connection: Connection, business: str, finding_id: str) -> Decision | None:
    """The answer standing on ``finding_id`` (a withdrawal included), or None if never one."""
    row = connection.execute(
        sa.select(FEEDBACK.c.action, FEEDBACK.c.until, FEEDBACK.c.recorded_at, FEEDBACK.c.source)
        .where(FEEDBACK.c.business == business, FEEDBACK.c.finding_id == finding_id)
        .with_for_update()
    ).first()
    if row is None:
        return None
    return Decision(row.action, row.until, aware(row.recorded_at), row.source)


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
    timezone: str = "UTC",
    sequence: int | None = None,
) -> Decision:
    """Store an answer on ``finding_id`` decided at ``now``; return the answer that stands.

    A snooze makes the finding announceable again after its date; a withdrawal removes the
    standing answer's effect (its dismissal, snooze or acceptance). ``sequence`` (a signed
    link's: the Unix time its e-mail was made) dates the answer instead of ``now``, so an
    old e-mail's button never overrides a later decision.

    ``sequence`` orders answers (a link's is the time its email was made); without one the
    answer is dated ``now``. An answer older than the recorded one is refused.

    Raises:
        SupersededError: a later answer is on record.
        FeedbackError: the finding does not exist, the action/date do not fit together, or
            there is nothing to withdraw.
    """
    if action not in ACTIONS:
        raise FeedbackError(f"unknown action {action!r}; use {', '.join(ACTIONS)}")
    today = feedback_day(now, timezone)
    if action == "snooze" and (until is None or until <= today):
        raise FeedbackError(f"snooze needs --until with a date after {today.isoformat()}")
    if action == "snooze" and until is not None and until > today + MAX_SNOOZE:
        raise FeedbackError(f"snooze at most until {today + MAX_SNOOZE}; dismiss instead")
    if action != "snooze" and until is not None:
        raise FeedbackError("--until only goes with snooze")
    decided = aware(now) if sequence is None else datetime.fromtimestamp(sequence, UTC)
    with engine.begin() as connection:
        exists = connection.execute(
            sa.select(FINDINGS.c.id).where(
                FINDINGS.c.business == business, FINDINGS.c.id == finding_id
            )
        ).first()
        if exists is None:
            raise FeedbackError(f"business {business!r} has no finding {finding_id!r}")
        standing = latest_decision(connection, business, finding_id)
        if standing is not None and standing.decided_at > decided:
            raise SupersededError(
                f"{finding_id}: a later answer stands, {standing.describe()};"
                f" this one was decided {decided:%Y-%m-%d %H:%M} UTC"
            )
        if action == WITHDRAW and (standing is None or standing.action == WITHDRAW):
            raise FeedbackError(f"{finding_id} has no feedback to withdraw")
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        values = {
            "action": action,
            "until": until,
            "recorded_at": decided,
            "source": source,
            "sequence": int(decided.timestamp()),
        }
        statement = insert(FEEDBACK).values(business=business, finding_id=finding_id, **values)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["business", "finding_id"],
                set_=values,
                # Latest by decision time wins, even against a concurrent writer.
                where=FEEDBACK.c.recorded_at <= statement.excluded.recorded_at,
            )
        )
        if action == "snooze":
            # Forgetting what was sent is what makes it come back once the date has passed.
            forget(connection, business, finding_id)
        return latest_decision(connection, business, finding_id) or Decision(
            action, until, decided, source
        )


def suppressed(connection: Connection, business: str, today: date) -> set[str]:
    """Findings not to send on ``today`` (the scan's day): dismissed, or snoozed past it.

    A withdrawn answer suppresses nothing.
    """
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
