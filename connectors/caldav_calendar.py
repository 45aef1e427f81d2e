"""CalDAV calendars (Nextcloud, Fastmail, iCloud, Radicale …) as a connector.

Changes are found with an RFC 6578 ``sync-collection`` REPORT where the server supports
it and by comparing every resource's ETag where it does not; only changed resources are
downloaded, in ``calendar-multiget`` batches. Recurring series are expanded with
``recurring-ical-events`` over a window around today. The cursor remembers, per calendar,
the sync token and each resource's ETag and the source ids it produced, so a deleted
resource (or an instance dropped from a series) becomes a deletion of exactly those ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import pandas as pd
from pydantic import Field, SecretStr, field_validator

from busywork.errors import AuthError, FatalError, RetriableError, SkippableError
from busywork.store.frames import validate_records
from busywork.store.record_batch import RecordBatch
from busywork.store.records import RecordKind
from connectors.base import Connector, ConnectorConfig, ConnectorContext, SyncPage
from connectors.ical import EventOptions, instance_start, lower_set, parse_object
from connectors.registry import register

if TYPE_CHECKING:
    # The client library loads only when a sync runs: processes that never sync a CalDAV
    # account (detection, ranking) do not carry it.
    from caldav.collection import Calendar
    from caldav.davclient import DAVClient

#: ``caldav.elements.dav.GetEtag.tag``: the property name ETags are listed under.
_ETAG = "{DAV:}getetag"
#: One cursor entry per resource: [etag, 1 if it holds a recurring series else 0, *ids].
Entry = list[Any]


class CaldavConfig(ConnectorConfig):
    """A CalDAV account and which of its calendars to read."""

    type: Literal["caldav"] = "caldav"
    url: str = Field(description="The server's CalDAV URL (principal or any URL below it).")
    username: str | None = None
    password: SecretStr | None = None
    calendars: tuple[str, ...] = Field(
        default=(), description="Calendar names or URLs to read; empty reads every calendar."
    )
    incremental: Literal["auto", "sync_token", "etag"] = Field(
        default="auto",
        description="auto: sync-collection where supported, else ETag comparison.",
    )
    expand_past_days: int = Field(default=365, ge=0, description="Expand series from here.")
    expand_future_days: int = Field(default=90, ge=1, description="… up to this many days ahead.")
    owner_emails: tuple[str, ...] = Field(
        default=(), description="The owner's addresses; never taken as the attendee."
    )
    no_show_categories: tuple[str, ...] = ("no-show", "no show", "noshow")
    page_size: int = Field(default=200, ge=1, le=1000, description="Resources per multiget.")
    timeout_seconds: float = Field(default=30.0, gt=0)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value


@register
class CaldavConnector(Connector):
    """Reads appointments from CalDAV calendars, incrementally."""

    type = "caldav"
    config_model = CaldavConfig
    config: CaldavConfig

    def __init__(
        self,
        config: ConnectorConfig,
        context: ConnectorContext,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(config, context)
        self._clock = clock

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[SyncPage]:
        """Pages of changed appointments per calendar; the last page of each moves its token."""
        from caldav.davclient import DAVClient
        from caldav.lib import error as dav_error

        known: dict[str, Any] = dict((cursor or {}).get("calendars", {}))
        try:
            client = DAVClient(
                url=self.config.url,
                username=self.config.username,
                password=(
                    self.config.password.get_secret_value() if self.config.password else None
                ),
                timeout=int(self.config.timeout_seconds),
            )
            with client:
                for calendar in self._calendars(client):
                    yield from self._sync_calendar(calendar, known)
        except dav_error.AuthorizationError as exc:
            raise AuthError(f"{self.name}: the CalDAV server refused the credentials") from exc
        except dav_error.RateLimitError as exc:
            raise RetriableError(
                f"{self.name}: the CalDAV server asks to slow down", exc.retry_after_seconds
            ) from exc
        except (dav_error.DAVError, OSError) as exc:
            raise RetriableError(f"{self.name}: CalDAV request failed: {_reason(exc)}") from exc

    def _calendars(self, client: DAVClient) -> list[Calendar]:
        principal: Any = client.principal()  # type: ignore[no-untyped-call]
        available: list[Calendar] = principal.calendars()
        if not self.config.calendars:
            return list(available)
        chosen = []
        for wanted in self.config.calendars:
            match = [c for c in available if wanted in (_display_name(c), str(c.url))]
            match = match or [c for c in available if _path(c.url) == _path(wanted)]
            if not match:
                names = ", ".join(sorted(str(_display_name(c)) for c in available))
                raise FatalError(f"{self.name}: no calendar {wanted!r}; the account has: {names}")
            chosen.append(match[0])
        return chosen

    def _sync_calendar(self, calendar: Calendar, known: dict[str, Any]) -> Iterator[SyncPage]:
        key = _path(calendar.url)
        state = known.get(key, {})
        entries: dict[str, Entry] = {
            href: list(entry) for href, entry in state.get("objects", {}).items()
        }
        now = self._clock()
        start = now - timedelta(days=self.config.expand_past_days)
        end = now + timedelta(days=self.config.expand_future_days)
        token, current, deleted = self._changes(calendar, state.get("token"), entries)
        changed = [href for href, etag in current.items() if entries.get(href, [None])[0] != etag]
        if state.get("window_end", "")[:10] != end.date().isoformat():
            # The window moved: series may have gained instances at its far end.
            changed += [
                h for h, e in entries.items() if e[1] and h not in deleted and h not in changed
            ]
        options = EventOptions(
            timezone=ZoneInfo(self.context.timezone),
            window_start=start,
            window_end=end,
            calendar=_display_name(calendar) or key.rstrip("/").rsplit("/", 1)[-1],
            owner_emails=lower_set(self.config.owner_emails),
            no_show_categories=lower_set(self.config.no_show_categories),
        )
        gone = [source_id for href in deleted for source_id in entries.pop(href, [None, 0])[2:]]
        size = self.config.page_size
        for offset in range(0, len(changed), size):
            hrefs = changed[offset : offset + size]
            rows, removed, problems = self._fetch(calendar, hrefs, current, entries, options)
            known[key] = {**state, "objects": dict(entries)}
            yield _page(rows, gone + removed, problems, self.context.timezone, known)
            gone = []
        final = {"token": token, "window_end": end.isoformat(), "objects": entries}
        if gone or final != state:
            known[key] = final
            yield _page([], gone, (), self.context.timezone, known)

    def _changes(
        self, calendar: Calendar, token: str | None, entries: dict[str, Entry]
    ) -> tuple[str | None, dict[str, str | None], set[str]]:
        """The new token, the ETag of every new or changed resource, and deleted resources."""
        from caldav.elements import dav
        from caldav.lib import error as dav_error

        if self.config.incremental != "etag" and token != "etag":
            try:
                result: Any = calendar.get_objects_by_sync_token(
                    token, load_objects=False, disable_fallback=True
                )
            except dav_error.AuthorizationError:
                if token is None:
                    raise
                # An expired token (RFC 6578 3.2, DAV:valid-sync-token): list everything again.
                return self._changes(calendar, None, entries)
            except (dav_error.ReportError, dav_error.DAVError):
                if token is not None:
                    return self._changes(calendar, None, entries)
                if self.config.incremental == "sync_token":
                    raise
            else:
                gone = {str(unquote(url.path)) for url in result.deleted_urls}
                current = {
                    _path(obj.url): obj.props.get(_ETAG)
                    for obj in result
                    if _path(obj.url) not in gone
                }
                if token is None:
                    # A full listing gives no tombstones: whatever it lacks is gone.
                    gone |= set(entries) - set(current)
                return str(result.sync_token), current, gone & set(entries)
        response: Any = calendar.get_properties([dav.GetEtag()], depth=1, parse_response_xml=False)
        listed = response.expand_simple_props([dav.GetEtag()])
        collection = _path(calendar.url)
        current = {
            unquote(href): props.get(_ETAG)
            for href, props in listed.items()
            if unquote(href).rstrip("/") != collection.rstrip("/")
        }
        return "etag", current, set(entries) - set(current)

    def _fetch(
        self,
        calendar: Calendar,
        hrefs: list[str],
        current: dict[str, str | None],
        entries: dict[str, Entry],
        options: EventOptions,
    ) -> tuple[list[dict[str, Any]], list[str], list[str]]:
        """Download ``hrefs`` in one multiget; rows, ids no longer produced, and problems."""
        base: Any = calendar.url
        objects: list[Any] = calendar.multiget(  # type: ignore[assignment]
            [base.join(href) for href in hrefs]
        )
        by_path = {_path(obj.url): obj for obj in objects}
        rows: list[dict[str, Any]] = []
        removed: list[str] = []
        problems: list[str] = []
        for href in hrefs:
            obj = by_path.get(href)
            old_ids = entries.get(href, [None, 0])[2:]
            data = obj.data if obj is not None else None
            if not data:
                removed += old_ids  # deleted between the listing and the download
                entries.pop(href, None)
                continue
            try:
                parsed = parse_object(data, options)
            except SkippableError as exc:
                problems.append(f"{href}: {exc}")
                continue
            ids = [str(row["source_id"]) for row in parsed.rows]
            rows += parsed.rows
            kept = set(ids)
            removed += [
                old
                for old in old_ids
                if old not in kept
                and (instance_start(old) or options.window_end) >= options.window_start
            ]
            etag = obj.props.get(_ETAG) if obj is not None else None
            entries[href] = [etag or current.get(href), int(parsed.recurring), *ids]
        return rows, removed, problems


def _page(
    rows: list[dict[str, Any]],
    deleted: list[str],
    problems: list[str] | tuple[str, ...],
    timezone: str,
    known: dict[str, Any],
) -> SyncPage:
    result = validate_records(
        RecordKind.APPOINTMENT, pd.DataFrame(rows, dtype=object), timezone=timezone
    )
    bad = [f"{rows[p.row]['source_id']}: {p.column}: {p.message}" for p in result.problems]
    batch = RecordBatch(RecordKind.APPOINTMENT, result.frame, tuple(sorted(set(deleted))))
    return SyncPage(batches=(batch,), cursor={"calendars": dict(known)}, problems=(*problems, *bad))


def _display_name(calendar: Calendar) -> str | None:
    name: Any = calendar.get_display_name()
    return str(name) if name else None


def _path(url: Any) -> str:
    """The unquoted path of a URL or href: the same resource spelled the same way."""
    return unquote(urlsplit(str(url)).path)


def _reason(exc: BaseException) -> str:
    return type(exc).__name__ if not str(exc) else f"{type(exc).__name__}: {str(exc)[:200]}"
