"""Xero Accounting: contacts, invoices and bills, payments and manual journals, incrementally.

Each feed is read in ``UpdatedDateUTC`` order with ``If-Modified-Since`` (naive UTC, as
Xero expects) and ``page``. After a full page the next request moves the
``If-Modified-Since`` window up to the last record seen (keyset paging), so records edited
during a long backfill cannot shift pages and be skipped; only when a whole page shares one
second does it step to the next page number. The window is sent one second early, so a
record is never lost to timestamp rounding (the overlap is a harmless re-upsert). Invoices
from a repeating template carry ``RepeatingInvoiceID`` and get ``origin=template``; customer
credit notes (``/CreditNotes``, ``ACCRECCREDIT``) become invoice rows of type
``credit_note`` with negated amounts. ``DELETED`` objects (and voided journals) become
deletions, voided invoices ``status=void``.
Payments on bills (``ACCPAYPAYMENT``) become payments with ``bill_id``. Repeating invoices
and bills (``/RepeatingInvoices``) have neither ``If-Modified-Since`` nor paging, so they
are read whole on every poll and a template that stops coming back is deleted
(:mod:`connectors.snapshot`); Xero has no API for repeating manual journals. The chart of
accounts (``/Accounts``) is read before the journals on every poll, to name their lines' codes.
A bill past its draft or a manual journal that changed is read with its history
(``/Invoices/{id}/History``, ``/ManualJournals/{id}/History``): the only place Xero says
when a bill was entered and approved, and when a journal was keyed in.
OAuth2 with rotating refresh tokens; the tenant comes from ``busywork connect``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar, Literal

import requests
from pydantic import Field

from busywork.errors import AuthError, FatalError, RetriableError
from busywork.store.records import RecordKind
from connectors.base import SyncPage
from connectors.http import HttpClient
from connectors.oauth import OAuthConnectorConfig, TokenSet
from connectors.paging import KeysetPaginator
from connectors.registry import register
from connectors.rest import ApiConnector, Mapper, Rows
from connectors.snapshot import Snapshot
from connectors.xero_history import bill_history, first_recorded, needs_history
from connectors.xero_mapping import (
    DELETED_JOURNAL_STATUSES,
    account_names,
    is_deleted,
    journal_mapper,
    map_contact,
    map_credit_note,
    map_invoice,
    map_payment,
    map_repeating_invoice,
    ms_epoch,
)

log = logging.getLogger(__name__)
AUTHORIZE_URL = "https://login.xero.com/identity/connect/authorize"
TOKEN_URL = "https://identity.xero.com/connect/token"
CONNECTIONS_URL = "https://api.xero.com/connections"
SCOPES = (
    "offline_access",
    "accounting.transactions.read",
    "accounting.contacts.read",
    "accounting.settings.read",
)
PAGE_SIZE = 100
#: Feed name (the endpoint and the response key) and its id field, in load order.
FEEDS: tuple[tuple[str, str], ...] = (
    ("Contacts", "ContactID"),
    ("Invoices", "InvoiceID"),
    ("CreditNotes", "CreditNoteID"),
    ("Payments", "PaymentID"),
    ("ManualJournals", "ManualJournalID"),
)
#: The template feed, read whole every poll; its key in the cursor holds the ids last seen.
TEMPLATES = "RepeatingInvoices"
#: The chart of accounts (unpaged, small), read every poll to name journal lines' codes.
ACCOUNTS = "Accounts"
#: Cursor format: 2 since payments on bills are kept (older cursors skipped past them).
CURSOR_VERSION = 2


class XeroConfig(OAuthConnectorConfig):
    """A Xero organisation, read through an OAuth2 app."""

    type: Literal["xero"] = "xero"
    tenant_id: str | None = Field(
        default=None, description="Organisation id; the one chosen at connect time if empty."
    )
    base_url: str = "https://api.xero.com/api.xro/2.0"
    read_history: bool = Field(
        default=True,
        description=(
            "Read each changed bill's and manual journal's history (one request each) for "
            "when it was entered and approved; off, those checks report 'not checked'."
        ),
    )


def ims_header(since_ms: int) -> str:
    """``If-Modified-Since`` for records changed at or after ``since_ms``: naive UTC, 1 s early."""
    moment = datetime.fromtimestamp(since_ms // 1000 - 1, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


class XeroClient(HttpClient):
    """Reads Xero's rate-limit headers: waits out an exhausted minute, stops at the day limit."""

    #: Seconds to wait when the minute's allowance is used up (Xero's window is one minute).
    MINUTE_S: ClassVar[float] = 60.0
    day_exhausted = False

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """As :meth:`HttpClient.request`, refusing to spend calls once the day limit is hit."""
        if self.day_exhausted:
            raise RetriableError(
                "xero: the organisation's daily API limit is used up; the next poll resumes",
                retry_after=3600.0,
            )
        return super().request(method, path, **kwargs)

    def observe(self, response: requests.Response) -> None:
        """Note the remaining allowances Xero reports on every response."""
        if response.headers.get("X-DayLimit-Remaining") == "0":
            self.day_exhausted = True
        elif response.headers.get("X-MinLimit-Remaining") == "0":
            log.info("xero minute limit reached action=wait wait_s=%.0f", self.MINUTE_S)
            self.sleep(self.MINUTE_S)


@register
class XeroConnector(ApiConnector):
    """One Xero organisation's contacts, invoices, bills, payments, journals and templates."""

    type = "xero"
    config_model = XeroConfig
    config: XeroConfig
    vendor = "xero"
    #: 60 calls a minute per organisation: a burst of 5 (its concurrency) then 55/min.
    rate_per_s: ClassVar[float] = 55 / 60
    burst: ClassVar[float] = 5.0
    authorize_url: ClassVar[str] = AUTHORIZE_URL
    token_url: ClassVar[str] = TOKEN_URL
    scopes: ClassVar[tuple[str, ...]] = SCOPES

    def client(self) -> HttpClient:
        """The API client for the connected organisation."""
        auth = self.oauth(self.config.token_url or TOKEN_URL)
        tenant = self.config.tenant_id or auth.tokens.extra.get("tenant_id")
        if not tenant:
            raise AuthError(f"{self.name}: no Xero organisation chosen; set tenant_id")
        return self.make_client(
            self.config.base_url,
            tenant=str(tenant),
            authenticator=auth,
            headers={"xero-tenant-id": str(tenant), "Accept": "application/json"},
            client_class=XeroClient,
        )

    @classmethod
    def finish_connect(
        cls,
        config: XeroConfig,
        tokens: TokenSet,
        query: Mapping[str, str],
        session: requests.Session,
    ) -> TokenSet:
        """Remember which organisation the grant is for (``tenant_id`` or the first one)."""
        response = session.get(
            CONNECTIONS_URL,
            headers={"Authorization": f"Bearer {tokens.access_token}"},
            timeout=30,
        )
        if response.status_code != 200:
            raise AuthError(
                f"{config.name}: listing Xero connections failed: {response.status_code}"
            )
        tenants = [entry["tenantId"] for entry in response.json()]
        if not tenants or (config.tenant_id and config.tenant_id not in tenants):
            raise AuthError(f"{config.name}: the grant does not include the organisation")
        chosen = config.tenant_id or tenants[0]
        return TokenSet(
            tokens.access_token, tokens.refresh_token, tokens.expires_at, {"tenant_id": chosen}
        )

    def pages(self, cursor: dict[str, Any] | None) -> Iterator[SyncPage]:
        """Every feed from its own position; one page per request."""
        client = self.client()
        state: dict[str, Any] = dict(cursor or {})
        if state.get("version", 1) < CURSOR_VERSION:
            # Payments on bills were skipped before: read the payments once more from the start.
            state.pop("Payments", None)
        state["version"] = CURSOR_VERSION
        names: dict[str, str] = {}
        for feed, key in FEEDS:
            if feed == "ManualJournals":
                names = account_names(_objects(client.get_json(f"/{ACCOUNTS}"), ACCOUNTS))
            position = state.get(feed) or {}
            paginator = KeysetPaginator(
                PAGE_SIZE, position.get("since"), position.get("page", 1), bound=ims_header
            )
            while not paginator.done:
                headers = (
                    {} if paginator.window is None else {"If-Modified-Since": paginator.window}
                )
                body = client.get_json(
                    f"/{feed}",
                    params={**paginator.params(), "order": "UpdatedDateUTC ASC"},
                    headers=headers,
                )
                objects = _objects(body, feed)
                rows = Rows("xero")
                history = _histories(client, feed, objects) if self.config.read_history else {}
                self._collect(feed, key, objects, rows, names, history)
                paginator.advance(len(objects), _last_change(objects))
                state[feed] = {"since": paginator.since, "page": paginator.page}
                batches, problems = rows.batches(self.context.timezone)
                yield SyncPage(batches=batches, cursor=dict(state), problems=problems)
        yield self._templates(client, state)

    def _templates(self, client: HttpClient, state: dict[str, Any]) -> SyncPage:
        """Every repeating invoice and bill; ids missing since the last read are deleted."""
        objects = _objects(client.get_json(f"/{TEMPLATES}"), TEMPLATES)
        snapshot = Snapshot(state, TEMPLATES)
        rows = Rows("xero")
        live, kept = [], []
        for obj in objects:
            ident = obj.get("RepeatingInvoiceID") if isinstance(obj, Mapping) else None
            if ident is None:
                live.append(obj)  # reported as a problem by add_objects
                continue
            snapshot.add([str(ident)])
            if is_deleted(obj):
                rows.delete(RecordKind.RECURRING_TEMPLATE, str(ident))
            else:
                live.append(obj)
                kept.append(str(ident))
        rows.add_objects(TEMPLATES, live, map_repeating_invoice)
        for ident in snapshot.vanished():
            rows.delete(RecordKind.RECURRING_TEMPLATE, ident)
        batches, problems = rows.batches(self.context.timezone)
        return SyncPage(batches=batches, cursor=snapshot.complete(state, kept), problems=problems)

    def _collect(
        self,
        feed: str,
        key: str,
        objects: list[Any],
        rows: Rows,
        names: dict[str, str],
        history: dict[str, dict[str, Any]],
    ) -> None:
        mapper: Mapper = {
            "Contacts": map_contact,
            "Invoices": partial(map_invoice, history=history),
            "CreditNotes": map_credit_note,
            "Payments": map_payment,
            "ManualJournals": journal_mapper(
                self.context.currency,
                names,
                {ident: times.get("created_at") for ident, times in history.items()},
            ),
        }[feed]
        gone = DELETED_JOURNAL_STATUSES if feed == "ManualJournals" else None
        live = []
        for obj in objects:
            kind = _deleted_kind(feed, obj, gone) if isinstance(obj, Mapping) else None
            if kind is not None and obj.get(key):
                rows.delete(kind, str(obj[key]))
            else:
                live.append(obj)
        rows.add_objects(feed, live, mapper)


def _histories(client: HttpClient, feed: str, objects: list[Any]) -> dict[str, dict[str, Any]]:
    """What the histories of a page's bills and manual journals say, per object id.

    Bills past their draft: when they were entered and approved. Manual journals that are
    not deleted or voided: when they were keyed in. One request per such object that
    changed since the last poll: Xero keeps those times nowhere else.
    """
    if feed == "Invoices":
        return {
            str(obj["InvoiceID"]): bill_history(
                client.get_json(f"/Invoices/{obj['InvoiceID']}/History")
            )
            for obj in objects
            if needs_history(obj)
        }
    if feed != "ManualJournals":
        return {}
    return {
        str(obj["ManualJournalID"]): {
            "created_at": first_recorded(
                client.get_json(f"/ManualJournals/{obj['ManualJournalID']}/History")
            )
        }
        for obj in objects
        if isinstance(obj, Mapping)
        and obj.get("ManualJournalID")
        and not is_deleted(obj, DELETED_JOURNAL_STATUSES)
    }


def _deleted_kind(
    feed: str, obj: Mapping[str, Any], statuses: frozenset[str] | None
) -> RecordKind | None:
    if not (is_deleted(obj, statuses) if statuses else is_deleted(obj)):
        return None
    kinds: dict[str, Callable[[], RecordKind]] = {
        "Invoices": lambda: RecordKind.BILL if obj.get("Type") == "ACCPAY" else RecordKind.INVOICE,
        "CreditNotes": lambda: RecordKind.INVOICE,
        "Payments": lambda: RecordKind.PAYMENT,
        "ManualJournals": lambda: RecordKind.JOURNAL_ENTRY,
    }
    return kinds[feed]() if feed in kinds else None


def _objects(body: Any, feed: str) -> list[Any]:
    if not isinstance(body, Mapping) or not isinstance(body.get(feed), list):
        raise FatalError(f"xero: the {feed} response has no {feed} array")
    return list(body[feed])


def _last_change(objects: list[Any]) -> int | None:
    # Pages come in UpdatedDateUTC order, so the newest change is the last parsable one.
    for obj in reversed(objects):
        try:
            return ms_epoch(obj["UpdatedDateUTC"])
        except (KeyError, TypeError, ValueError):
            continue
    return None
