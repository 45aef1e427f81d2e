"""The sync loop: run one connector from its saved cursor, committing page by page."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from busywork.errors import JobLostError
from busywork.logs import redact
from busywork.store.ingest import IngestStats, commit_page
from busywork.store.tables import ConnectorState
from connectors.base import Connector
from connectors.outcomes import FileOutcome

log = logging.getLogger(__name__)
#: How many rejected inputs are logged one by one before the rest are only counted.
MAX_LOGGED_PROBLEMS = 20


@dataclass(frozen=True)
class PageTiming:
    """Where one committed page's time went: waiting for it, then committing it."""

    #: The files the page holds (file connectors), else ``page <n>``.
    label: str
    #: Seconds from asking the connector for the page until it came (fetching, reading).
    waited: float
    #: Seconds its transaction took (upserts, events, cursor, commit).
    committed: float


@dataclass
class SyncResult:
    """The outcome of one sync: what changed, what was rejected, and any failure."""

    connector: str
    pages: int = 0
    stats: IngestStats = field(default_factory=IngestStats)
    problems: list[str] = field(default_factory=list)
    #: What became of each input file (file connectors only).
    files: list[FileOutcome] = field(default_factory=list)
    #: Per committed page, in order: where a slow import's time goes.
    timings: list[PageTiming] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the sync ran to the end (rejected rows do not make it fail)."""
        return self.error is None


def load_cursor(engine: Engine, business: str, connector: str) -> dict[str, Any] | None:
    """The connector's last committed cursor, or None before its first sync."""
    table = ConnectorState.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        return connection.execute(
            sa.select(table.c.cursor).where(
                table.c.business == business, table.c.connector == connector
            )
        ).scalar_one_or_none()


def sync_connector(
    engine: Engine,
    connector: Connector,
    *,
    should_stop: Callable[[], bool] = lambda: False,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    on_page: Callable[[SyncResult], None] | None = None,
    in_transaction: Callable[[Connection], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> SyncResult:
    """Fetch every page since the saved cursor; each page commits with its cursor.

    Never raises for a connector failure: the error is redacted, stored on the connector's
    state row and returned, so one broken connector never stops the others. ``on_page`` is
    called with the running result after each committed page (progress displays).
    ``in_transaction`` runs inside each page's transaction (see :func:`commit_page`); a
    :class:`JobLostError` it raises propagates, since nothing more may be written.
    ``clock`` (seconds) times each page (:attr:`SyncResult.timings`).
    """
    business = connector.context.business
    result = SyncResult(connector=connector.name)
    try:
        cursor = load_cursor(engine, business, connector.name)
        asked = clock()
        for page in connector.pages(cursor):
            came = clock()
            if not page.batches and page.cursor == cursor:
                # Only news about inputs (a file unchanged, not used or unreadable): nothing
                # to commit, and not a page of changes.
                result.problems += page.problems
                result.files += page.files
                asked = came
                continue
            cursor = page.cursor
            result.stats.add(
                commit_page(
                    engine,
                    business=business,
                    connector=connector.name,
                    batches=page.batches,
                    cursor=page.cursor,
                    now=now(),
                    in_transaction=in_transaction,
                )
            )
            result.pages += 1
            done = clock()
            label = ", ".join(outcome.file for outcome in page.files) or f"page {result.pages}"
            result.timings.append(PageTiming(label, came - asked, done - came))
            result.problems += page.problems
            result.files += page.files
            if on_page is not None:
                on_page(result)
            if should_stop():
                break
            asked = clock()
    except JobLostError:
        raise
    except Exception as exc:  # one broken connector must never stop the others
        result.error = redact(f"{type(exc).__name__}: {exc}")
        _record_error(engine, business, connector.name, result.error, now())
        log.error(
            "sync failed connector=%s action=sync_failed error=%s", connector.name, result.error
        )
    # INFO, not WARNING: the command line prints one summary per file itself (and the
    # worker's per-cycle line counts them), so at the default level each shows once.
    for problem in result.problems[:MAX_LOGGED_PROBLEMS]:
        log.info("rejected input connector=%s: %s", connector.name, problem)
    if len(result.problems) > MAX_LOGGED_PROBLEMS:
        log.info(
            "connector=%s: %d more rejected inputs",
            connector.name,
            len(result.problems) - MAX_LOGGED_PROBLEMS,
        )
    return result


def _record_error(engine: Engine, business: str, connector: str, error: str, at: datetime) -> None:
    table = ConnectorState.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        updated = connection.execute(
            sa.update(table)
            .where(table.c.business == business, table.c.connector == connector)
            .values(last_error=error[:1024], last_error_at=at)
        ).rowcount
        if not updated:
            connection.execute(
                sa.insert(table).values(
                    business=business,
                    connector=connector,
                    last_error=error[:1024],
                    last_error_at=at,
                )
            )
