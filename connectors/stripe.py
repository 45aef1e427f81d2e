"""Stripe: customers, invoices and credit notes, backfilled by cursor paging, then from events.

The first sync lists ``/v1/customers``, ``/v1/invoices`` and ``/v1/credit_notes`` (newest
first, ``starting_after`` paging; the cursor remembers the last committed id, so a crash
resumes on the next page). An events cursor names the feeds it covers: a feed added later
is listed once, then the events carry on from where they stood.
Later syncs read ``/v1/events`` since the last event seen: one request when nothing changed.
Stripe keeps events for 30 days, so a cursor older than that starts a fresh full re-list.
Amounts are converted from minor units (zero- and three-decimal currencies included).
Subscription invoices are marked ``origin=subscription``: they are already automated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr

from busywork.errors import FatalError
from busywork.store.records import RecordKind
from connectors.base import ConnectorConfig, SyncPage
from connectors.http import BearerToken, HttpClient
from connectors.paging import CursorPaginator
from connectors.registry import register
from connectors.rest import ApiConnector, Rows
from connectors.stripe_mapping import map_credit_note, map_customer, map_invoice, map_line

#: The API version every request pins; the shapes the mapping reads are those of this version.
STRIPE_VERSION = "2023-08-16"
#: Stripe keeps events 30 days; a day's margin so a slow poll never falls off the edge.
EVENTS_WINDOW_S = 29 * 86400
#: Events are read from this long before the backfill began: our clock may run ahead of
#: Stripe's, and replaying an event already reflected is harmless.
CLOCK_SKEW_S = 300
FEEDS: tuple[str, ...] = ("customers", "invoices", "credit_notes")
#: The feeds of events cursors written before cursors named theirs.
_FIRST_FEEDS = ("customers", "invoices")
EVENT_TYPES: tuple[str, ...] = (
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "invoice.created",
    "invoice.updated",
    "invoice.deleted",
    "invoice.finalized",
    "invoice.paid",
    "invoice.payment_succeeded",
    "invoice.payment_failed",
    "invoice.voided",
    "invoice.marked_uncollectible",
    "invoice.sent",
    "credit_note.created",
    "credit_note.updated",
    "credit_note.voided",
)


class StripeConfig(ConnectorConfig):
    """A Stripe account, read with a restricted read-only key."""

    type: Literal["stripe"] = "stripe"
    api_key: SecretStr = Field(description="Restricted key (rk_live_…) with read access; ${ENV}.")
    account: str | None = Field(default=None, description="Connected account id (Stripe-Account).")
    base_url: str = "https://api.stripe.com"
    page_size: int = Field(default=100, ge=1, le=100)


@register
class StripeConnector(ApiConnector):
    """Customers and invoices (with lines and payments) from one Stripe account."""

    type = "stripe"
    config_model = StripeConfig
    config: StripeConfig
    vendor = "stripe"
    #: Stripe allows 100 requests/s live (25 in test mode); stay well below both.
    rate_per_s: ClassVar[float] = 20.0
    burst: ClassVar[float] = 20.0

    def client(self) -> HttpClient:
        """The API client: restricted key, pinned version, connected account if any."""
        headers = {"Stripe-Version": STRIPE_VERSION}
        if self.config.account:
            headers["Stripe-Account"] = self.config.account
        return self.make_client(
            self.config.base_url,
            tenant=self.config.account or self.name,
            authenticator=BearerToken(self.config.api_key.get_secret_value()),
            headers=headers,
        )

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[SyncPage]:
        """Backfill (or re-list) when there is no usable cursor, then follow the events."""
        client = self.client()
        now = self.clock()
        if cursor is None or (
            cursor.get("mode") == "events" and now - float(cursor["created"]) > EVENTS_WINDOW_S
        ):
            cursor = {"mode": "backfill", "since": int(now), "feed": FEEDS[0], "after": None}
        elif cursor["mode"] == "events" and _new_feeds(cursor):
            # Feeds added since this cursor was written: list them, then resume the events.
            missing = _new_feeds(cursor)
            cursor = {
                "mode": "backfill",
                "since": int(now),
                "feed": missing[0],
                "after": None,
                "only": missing,
                "resume": cursor,
            }
        if cursor["mode"] == "backfill":
            yield from self._backfill(client, cursor)
            resume = cursor.get("resume") or {
                "mode": "events",
                "created": cursor["since"] - CLOCK_SKEW_S,
                "seen": [],
            }
            cursor = {**resume, "feeds": list(FEEDS)}
            yield SyncPage(batches=(), cursor=cursor)
        yield from self._events(client, cursor)

    def _backfill(self, client: HttpClient, cursor: dict[str, Any]) -> Iterator[SyncPage]:
        since = cursor["since"]
        feeds = tuple(cursor.get("only") or FEEDS)
        extra: dict[str, Any] = {key: cursor[key] for key in ("only", "resume") if key in cursor}
        for feed in feeds[feeds.index(cursor["feed"]) :]:
            after = cursor["after"] if feed == cursor["feed"] else None
            paginator = CursorPaginator(start_after=after)
            while not paginator.done:
                body = client.get_json(
                    f"/v1/{feed}", params={"limit": self.config.page_size, **paginator.params()}
                )
                objects = _list_data(body, feed)
                rows = Rows("stripe")
                mapper = (
                    map_customer
                    if feed == "customers"
                    else map_credit_note
                    if feed == "credit_notes"
                    else self._invoice_mapper(client)
                )
                rows.add_objects(feed, objects, mapper)
                last = objects[-1].get("id") if objects else None
                paginator.advance(last, has_more=bool(body.get("has_more")))
                batches, problems = rows.batches(self.context.timezone)
                yield SyncPage(
                    batches=batches,
                    cursor={
                        "mode": "backfill",
                        "since": since,
                        "feed": feed,
                        "after": last,
                        **extra,
                    },
                    problems=problems,
                )

    def _events(self, client: HttpClient, cursor: dict[str, Any]) -> Iterator[SyncPage]:
        seen = set(cursor.get("seen", []))
        created = int(cursor["created"])
        params: list[tuple[str, Any]] = [("limit", self.config.page_size)]
        params += [("types[]", name) for name in EVENT_TYPES]
        params.append(("created[gte]", created))
        paginator = CursorPaginator()
        events: list[Mapping[str, Any]] = []
        # Events come newest first; all are read before any is committed, so the saved
        # cursor never skips an older event on a later page.
        while not paginator.done:
            body = client.get_json("/v1/events", params=params + list(paginator.params().items()))
            page = _list_data(body, "events")
            events += [event for event in page if event.get("id") not in seen]
            paginator.advance(
                page[-1].get("id") if page else None, has_more=bool(body.get("has_more"))
            )
        events.reverse()
        for start in range(0, len(events), self.config.page_size):
            chunk = events[start : start + self.config.page_size]
            rows = Rows("stripe")
            self._apply_events(client, chunk, rows)
            newest = max(int(event.get("created", created)) for event in chunk)
            seen = (seen if newest == created else set()) | {
                str(event["id"]) for event in chunk if int(event.get("created", 0)) == newest
            }
            created = newest
            batches, problems = rows.batches(self.context.timezone)
            yield SyncPage(
                batches=batches,
                cursor={
                    "mode": "events",
                    "created": created,
                    "seen": sorted(seen),
                    "feeds": list(cursor.get("feeds", _FIRST_FEEDS)),
                },
                problems=problems,
            )

    def _apply_events(
        self, client: HttpClient, events: list[Mapping[str, Any]], rows: Rows
    ) -> None:
        for event in events:
            obj = (event.get("data") or {}).get("object")
            kind = str(event.get("type", ""))
            if not isinstance(obj, Mapping) or "id" not in obj:
                rows.problems.append(f"stripe event {event.get('id')}: no data.object; skipped")
                continue
            if kind.endswith(".deleted"):
                target = RecordKind.CUSTOMER if kind.startswith("customer.") else RecordKind.INVOICE
                rows.delete(target, str(obj["id"]))
            elif kind.startswith("customer."):
                rows.add_objects("customers", [obj], map_customer)
            elif kind.startswith("credit_note."):
                rows.add_objects("credit_notes", [obj], map_credit_note)
            else:
                rows.add_objects("invoices", [obj], self._invoice_mapper(client))

    def _invoice_mapper(self, client: HttpClient) -> Callable[[Mapping[str, Any]], Any]:
        def mapper(invoice: Mapping[str, Any]) -> Any:
            mapped = list(map_invoice(invoice))
            lines = invoice.get("lines") or {}
            if lines.get("has_more"):
                mapped += self._more_lines(client, invoice, len(lines.get("data") or []))
            return mapped

        return mapper

    def _more_lines(self, client: HttpClient, invoice: Mapping[str, Any], known: int) -> list[Any]:
        # Only the first lines come embedded; the rest are paged from the invoice.
        paginator = CursorPaginator(start_after=invoice["lines"]["data"][-1]["id"])
        mapped = []
        line_no = known
        while not paginator.done:
            body = client.get_json(
                f"/v1/invoices/{invoice['id']}/lines",
                params={"limit": 100, **paginator.params()},
            )
            data = _list_data(body, "lines")
            for line in data:
                line_no += 1
                mapped.append(map_line(invoice, line, line_no))
            paginator.advance(
                data[-1].get("id") if data else None, has_more=bool(body.get("has_more"))
            )
        return mapped


def _new_feeds(cursor: dict[str, Any]) -> list[str]:
    """Feeds an events cursor does not cover (a cursor without ``feeds`` predates credit notes)."""
    covered = cursor.get("feeds", _FIRST_FEEDS)
    return [feed for feed in FEEDS if feed not in covered]


def _list_data(body: Any, what: str) -> list[Mapping[str, Any]]:
    if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
        raise FatalError(f"stripe: the {what} list response has no data array")
    return list(body["data"])
