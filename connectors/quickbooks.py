"""QuickBooks Online: a query-endpoint backfill, then Change Data Capture with deletions.

The backfill reads each entity with ``SELECT * FROM <Entity> WHERE
Metadata.LastUpdatedTime >= '<bound>' ORDERBY Metadata.LastUpdatedTime STARTPOSITION n
MAXRESULTS m``, moving the bound up after each full page (keyset paging, see
:class:`~connectors.paging.KeysetPaginator`), so a crash resumes at the last committed bound.
Later polls make one ``/cdc`` request for every entity, deletions included. CDC looks back
at most 30 days and returns at most 1000 objects per entity: an older cursor, or a capped
entity, is read with the query endpoint instead. Every request pins ``minorversion``.
``Fault`` bodies become clear errors (3200/3201/3100: connect again or fix the realm).
Recurring templates have no change filter and are re-read whole on every poll
(:mod:`connectors.quickbooks_templates`). A customer payment is one payment row per invoice
it settles, a vendor payment one per bill; when one changes or is deleted, the rows of
documents it no longer settles are deleted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

import requests
from pydantic import Field

from busywork.errors import AuthError, FatalError
from busywork.logs import redact
from busywork.store.bill_payments import split_payment_rows
from busywork.store.records import RecordKind
from connectors.base import SyncPage
from connectors.http import HttpClient
from connectors.oauth import OAuthConnectorConfig, TokenSet
from connectors.paging import KeysetPaginator
from connectors.quickbooks_mapping import (
    Mapper,
    bill_mapper,
    bill_payment_mapper,
    invoice_mapper,
    journal_mapper,
    map_party,
    payment_mapper,
    row_id,
    updated_ms,
)
from connectors.quickbooks_templates import CURSOR_KEY, template_pages
from connectors.registry import register
from connectors.rest import ApiConnector, Rows

AUTHORIZE_URL = "https://appcenter.intuit.com/connect/oauth2"
TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
SCOPES = ("com.intuit.quickbooks.accounting",)
MINOR_VERSION = 75
#: CDC looks back 30 days; a day's margin so a slow poll never falls off the edge.
CDC_WINDOW_S = 29 * 86400
#: CDC returns at most this many objects per entity; reaching it means "ask the query endpoint".
CDC_CAP = 1000
#: Entities read through the query endpoint and CDC (recurring templates are read apart).
ENTITIES: tuple[str, ...] = (
    "Customer",
    "Vendor",
    "Invoice",
    "CreditMemo",
    "RefundReceipt",
    "Payment",
    "Bill",
    "BillPayment",
    "JournalEntry",
)
#: The entities of cursors written before CDC cursors named theirs.
_FIRST_ENTITIES = ("Customer", "Vendor", "Invoice", "Payment", "Bill", "JournalEntry")
#: List entities hide inactive rows unless asked.
_LIST_ENTITIES = frozenset({"Customer", "Vendor"})
#: Payments stored as one row per document they settle, and the column naming it.
_SPLIT_PAYMENTS = {"Payment": "invoice_id", "BillPayment": "bill_id"}
_KINDS = {
    "Customer": RecordKind.CUSTOMER,
    "Vendor": RecordKind.VENDOR,
    "Invoice": RecordKind.INVOICE,
    "CreditMemo": RecordKind.INVOICE,
    "RefundReceipt": RecordKind.INVOICE,
    "Payment": RecordKind.PAYMENT,
    "Bill": RecordKind.BILL,
    "BillPayment": RecordKind.PAYMENT,
    "JournalEntry": RecordKind.JOURNAL_ENTRY,
}
#: Fault codes that mean the grant or the company is wrong, not the request.
_AUTH_FAULTS = {
    "3200": "the app's credentials were refused",
    "3201": "not authorised",
    "3100": "the realm does not match the app (sandbox vs production?)",
}


class QuickBooksConfig(OAuthConnectorConfig):
    """A QuickBooks Online company, read through an OAuth2 app."""

    type: Literal["quickbooks"] = "quickbooks"
    realm_id: str | None = Field(default=None, description="Company id; set by connect if empty.")
    base_url: str = Field(
        default="https://quickbooks.api.intuit.com",
        description="https://sandbox-quickbooks.api.intuit.com for a sandbox company.",
    )
    minor_version: int = Field(default=MINOR_VERSION, ge=75)
    page_size: int = Field(default=1000, ge=1, le=1000)


def query_bound(ms: int) -> str:
    """A ``Metadata.LastUpdatedTime`` bound: the UTC second containing ``ms``."""
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class QuickBooksClient(HttpClient):
    """An HttpClient that reads QuickBooks ``Fault`` bodies."""

    def error_detail(self, response: requests.Response) -> str:
        """The first Fault error: code, message and detail."""
        try:
            return fault_text(response.json())
        except ValueError:
            return ""


def fault_text(body: Any) -> str:
    """``code message: detail`` of the first error in a Fault body, redacted ("" if none)."""
    fault = body.get("Fault") if isinstance(body, Mapping) else None
    errors = (fault or {}).get("Error") or []
    if not errors:
        return ""
    first = errors[0]
    code = str(first.get("code", ""))
    hint = f" ({_AUTH_FAULTS[code]})" if code in _AUTH_FAULTS else ""
    return redact(f"Fault {code}{hint}: {first.get('Message', '')}: {first.get('Detail', '')}")[
        :400
    ]


@register
class QuickBooksConnector(ApiConnector):
    """One QuickBooks Online company: people, invoices, bills, payments, journals, templates."""

    type = "quickbooks"
    config_model = QuickBooksConfig
    config: QuickBooksConfig
    vendor = "quickbooks"
    #: 500 requests a minute per realm: stay at 450, bursts of 10 (its concurrency limit).
    rate_per_s: ClassVar[float] = 450 / 60
    burst: ClassVar[float] = 10.0
    authorize_url: ClassVar[str] = AUTHORIZE_URL
    token_url: ClassVar[str] = TOKEN_URL
    scopes: ClassVar[tuple[str, ...]] = SCOPES

    @classmethod
    def finish_connect(
        cls,
        config: QuickBooksConfig,
        tokens: TokenSet,
        query: Mapping[str, str],
        session: requests.Session,
    ) -> TokenSet:
        """Remember the ``realmId`` the consent redirect names."""
        realm = query.get("realmId") or config.realm_id
        if not realm:
            raise AuthError(f"{config.name}: the redirect carried no realmId")
        return TokenSet(
            tokens.access_token, tokens.refresh_token, tokens.expires_at, {"realm_id": realm}
        )

    def client(self) -> tuple[HttpClient, str]:
        """The API client and the company's realm id."""
        auth = self.oauth(self.config.token_url or TOKEN_URL)
        realm = self.config.realm_id or auth.tokens.extra.get("realm_id")
        if not realm:
            raise AuthError(f"{self.name}: no QuickBooks company chosen; set realm_id")
        client = self.make_client(
            self.config.base_url,
            tenant=str(realm),
            authenticator=auth,
            headers={"Accept": "application/json"},
            client_class=QuickBooksClient,
        )
        return client, f"/v3/company/{realm}"

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[SyncPage]:
        """Query-endpoint backfill (or catch-up), then CDC, then the recurring templates."""
        client, company = self.client()
        templates = (cursor or {}).get(CURSOR_KEY)
        last: dict[str, Any] = {}
        for page in self._entity_pages(client, company, cursor):
            last = page.cursor
            # Every cursor carries the template ids, so a crash never forgets them.
            carried = last if templates is None else {**last, CURSOR_KEY: templates}
            yield replace(page, cursor=carried)
        yield from template_pages(
            lambda path, params: self._get(client, path, params),
            company,
            size=self.config.page_size,
            cursor={**last, CURSOR_KEY: templates} if templates is not None else last,
            currency=self.context.currency,
            timezone=self.context.timezone,
        )

    def _entity_pages(
        self, client: HttpClient, company: str, cursor: dict[str, Any] | None
    ) -> Iterator[SyncPage]:
        now_ms = int(self.clock() * 1000)
        state: dict[str, Any] = {k: v for k, v in (cursor or {}).items() if k != CURSOR_KEY}
        if not state:
            state = _query_state(now_ms, dict.fromkeys(ENTITIES))
        elif state["mode"] == "cdc" and _new_entities(state):
            # Entities added since this cursor was written: back-fill them with queries, then
            # resume CDC for every entity from where it stood.
            state = _query_state(state["since"], dict.fromkeys(_new_entities(state)))
        elif state["mode"] == "cdc" and now_ms - state["since"] > CDC_WINDOW_S * 1000:
            # Too old for CDC: catch up with queries from the cursor (QuickBooks no longer
            # reports what was deleted in the gap).
            state = _query_state(now_ms, dict.fromkeys(ENTITIES, state["since"]))
        if state["mode"] == "query":
            for entity in list(state["entities"]):
                yield from self._query(client, company, entity, state)
            state = _cdc_cursor(state["started"])
            yield SyncPage(batches=(), cursor=dict(state))
        yield from self._cdc(client, company, state["since"], now_ms)

    def _query(
        self, client: HttpClient, company: str, entity: str, state: dict[str, Any]
    ) -> Iterator[SyncPage]:
        position = state["entities"].get(entity) or {}
        if position.get("done"):
            return
        size = self.config.page_size
        paginator = KeysetPaginator(
            size, position.get("since"), position.get("page", 1), bound=query_bound
        )
        while not paginator.done:
            body = self._get(client, f"{company}/query", {"query": self._sql(entity, paginator)})
            objects = (body.get("QueryResponse") or {}).get(entity) or []
            rows = Rows("quickbooks")
            rows.add_objects(entity, objects, self._mapper(entity))
            if entity in _SPLIT_PAYMENTS:
                self._drop_unsettled(entity, rows, _ids(objects))
            paginator.advance(len(objects), _last_change(objects))
            state["entities"][entity] = {
                "since": paginator.since,
                "page": paginator.page,
                "done": paginator.done,
            }
            batches, problems = rows.batches(self.context.timezone)
            yield SyncPage(batches=batches, cursor=_copy(state), problems=problems)

    def _sql(self, entity: str, paginator: KeysetPaginator) -> str:
        where = []
        if entity in _LIST_ENTITIES:
            where.append("Active IN (true, false)")
        if paginator.window is not None:
            where.append(f"Metadata.LastUpdatedTime >= '{paginator.window}'")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return (
            f"SELECT * FROM {entity}{clause} ORDERBY Metadata.LastUpdatedTime"
            f" STARTPOSITION {paginator.offset} MAXRESULTS {paginator.size}"
        )

    def _cdc(
        self, client: HttpClient, company: str, since_ms: int, now_ms: int
    ) -> Iterator[SyncPage]:
        params = {"entities": ",".join(ENTITIES), "changedSince": query_bound(since_ms)}
        body = self._get(client, f"{company}/cdc", params)
        rows = Rows("quickbooks")
        capped = []
        for response in (body.get("CDCResponse") or [{}])[0].get("QueryResponse") or []:
            for entity in ENTITIES:
                objects = response.get(entity)
                if not objects:
                    continue
                if len(objects) >= CDC_CAP:
                    capped.append(entity)
                    continue
                live = []
                for obj in objects:
                    if isinstance(obj, Mapping) and obj.get("status") == "Deleted":
                        if entity not in _SPLIT_PAYMENTS:  # rows named after their documents
                            rows.delete(_KINDS[entity], row_id(entity, str(obj["Id"])))
                    else:
                        live.append(obj)
                rows.add_objects(entity, live, self._mapper(entity))
                if entity in _SPLIT_PAYMENTS:
                    self._drop_unsettled(entity, rows, _ids(objects))
        batches, problems = rows.batches(self.context.timezone)
        server_ms = _server_time(body, now_ms)
        if not capped:
            yield SyncPage(batches=batches, cursor=_cdc_cursor(server_ms), problems=problems)
            return
        # Too many changes for CDC: the capped entities are read through the query endpoint
        # from the same point; CDC resumes from this response's time once they are done.
        state = _query_state(server_ms, dict.fromkeys(capped, since_ms))
        yield SyncPage(batches=batches, cursor=_copy(state), problems=problems)
        for entity in capped:
            yield from self._query(client, company, entity, state)
        yield SyncPage(batches=(), cursor=_cdc_cursor(server_ms))

    def _get(self, client: HttpClient, path: str, params: dict[str, Any]) -> Mapping[str, Any]:
        body = client.get_json(path, params={**params, "minorversion": self.config.minor_version})
        if not isinstance(body, Mapping):
            raise FatalError(f"quickbooks: {path} answered with something that is not an object")
        if "Fault" in body:
            text = fault_text(body)
            code = text.split(" ", 2)[1].rstrip(":") if text.startswith("Fault ") else ""
            raise (AuthError if code in _AUTH_FAULTS else FatalError)(f"quickbooks: {path}: {text}")
        return body

    def _mapper(self, entity: str) -> Mapper:
        currency = self.context.currency
        return {
            "Customer": map_party(RecordKind.CUSTOMER),
            "Vendor": map_party(RecordKind.VENDOR),
            "Invoice": invoice_mapper(currency),
            "CreditMemo": invoice_mapper(currency, "CreditMemo"),
            "RefundReceipt": invoice_mapper(currency, "RefundReceipt"),
            "Payment": payment_mapper(currency),
            "Bill": bill_mapper(currency),
            "BillPayment": bill_payment_mapper(currency),
            "JournalEntry": journal_mapper(currency),
        }[entity]

    def _drop_unsettled(self, entity: str, rows: Rows, payment_ids: set[str]) -> None:
        """Delete stored rows of these payments for documents they no longer settle.

        A deleted payment settles nothing; an edited one may settle other documents now.
        """
        if self.context.engine is None or not payment_ids:
            return
        kept = {row["source_id"] for row in rows.rows.get(RecordKind.PAYMENT, [])}
        stored = split_payment_rows(
            self.context.engine,
            self.context.business,
            self.name,
            payment_ids,
            _SPLIT_PAYMENTS[entity],
        )
        for ident in stored:
            if ident not in kept:
                rows.delete(RecordKind.PAYMENT, ident)


def _cdc_cursor(since_ms: int) -> dict[str, Any]:
    """A cursor that polls CDC from ``since_ms`` for the entities it names."""
    return {"mode": "cdc", "since": since_ms, "feeds": list(ENTITIES)}


def _new_entities(state: Mapping[str, Any]) -> list[str]:
    """Entities a CDC cursor does not cover yet (cursors without ``feeds`` predate BillPayment)."""
    covered = state.get("feeds", _FIRST_ENTITIES)
    return [entity for entity in ENTITIES if entity not in covered]


def _query_state(started_ms: int, entities: dict[str, int | None]) -> dict[str, Any]:
    """A cursor that reads ``entities`` with the query endpoint, each from its bound."""
    return {
        "mode": "query",
        "started": started_ms,
        "entities": {entity: {"since": since, "page": 1} for entity, since in entities.items()},
    }


def _server_time(body: Mapping[str, Any], default_ms: int) -> int:
    # The server's clock, not ours: a skewed worker clock must not skip changes.
    try:
        return int(datetime.fromisoformat(str(body["time"])).timestamp() * 1000)
    except (KeyError, ValueError):
        return default_ms


def _ids(objects: list[Any]) -> set[str]:
    return {str(obj["Id"]) for obj in objects if isinstance(obj, Mapping) and "Id" in obj}


def _copy(state: dict[str, Any]) -> dict[str, Any]:
    return {**state, "entities": {key: dict(value) for key, value in state["entities"].items()}}


def _last_change(objects: list[Any]) -> int | None:
    for obj in reversed(objects):
        try:
            return updated_ms(obj)
        except (KeyError, TypeError, ValueError):
            continue
    return None
