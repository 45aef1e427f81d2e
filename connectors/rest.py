"""The base of API connectors: an injected session, a client per vendor, and record mapping.

A vendor connector declares *what* (its vendor name, base URL, rate limit, how to map one
vendor object into canonical rows) and uses :class:`ApiConnector` for the *how*: building
the :class:`~connectors.http.HttpClient` with the right limiter and authenticator, and
turning mapped rows into validated :class:`~busywork.store.ingest.RecordBatch` es via
:class:`Rows`. A vendor object that cannot be mapped (a missing field, a malformed value)
is reported with its id and skipped; the rest of the page is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import pandas as pd
import requests

from busywork.errors import AuthError
from busywork.store.frames import validate_records
from busywork.store.record_batch import RecordBatch
from busywork.store.records import RecordKind
from connectors.base import Connector, ConnectorConfig, ConnectorContext
from connectors.http import (
    DEFAULT_RETRY,
    Authenticator,
    HttpClient,
    Limiter,
    RetryPolicy,
    limiter_for,
)
from connectors.oauth import CredentialStore, OAuth2Authenticator, OAuthConnectorConfig, load_cipher

Row = dict[str, Any]
#: Maps one vendor object to ``(kind, row)`` pairs; raises KeyError/ValueError/TypeError if bad.
Mapper = Callable[[Mapping[str, Any]], Iterable[tuple[RecordKind, Row]]]


class Rows:
    """Canonical rows and deletions gathered from vendor objects, turned into batches."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.rows: dict[RecordKind, list[Row]] = {}
        self.deleted: dict[RecordKind, list[str]] = {}
        self.problems: list[str] = []

    def add_objects(self, feed: str, objects: Iterable[Any], mapper: Mapper) -> int:
        """Map every object of ``feed``; a bad one becomes a problem line. Returns how many."""
        count = 0
        for obj in objects:
            count += 1
            ident = obj.get("id", obj.get("Id", "?")) if isinstance(obj, Mapping) else "?"
            try:
                if not isinstance(obj, Mapping):
                    raise TypeError("not an object")
                mapped = list(mapper(obj))
            except KeyError as exc:
                self.problems.append(f"{self.label} {feed} {ident}: missing field {exc}; skipped")
                continue
            except (ValueError, TypeError, AttributeError) as exc:
                self.problems.append(f"{self.label} {feed} {ident}: {exc}; skipped")
                continue
            for kind, row in mapped:
                self.rows.setdefault(kind, []).append(row)
        return count

    def delete(self, kind: RecordKind, source_id: str) -> None:
        """Mark a record deleted at the source."""
        self.deleted.setdefault(kind, []).append(source_id)

    def batches(self, timezone: str) -> tuple[tuple[RecordBatch, ...], tuple[str, ...]]:
        """Validated batches (in record-kind order) and every problem found."""
        problems = list(self.problems)
        batches = []
        for kind in RecordKind:
            rows = self.rows.get(kind, [])
            deleted = tuple(dict.fromkeys(self.deleted.get(kind, [])))
            if not rows and not deleted:
                continue
            raw = (
                pd.DataFrame(rows).drop_duplicates("source_id", keep="last").reset_index(drop=True)
                if rows
                else pd.DataFrame({"source_id": pd.Series([], dtype=object)})
            )
            result = validate_records(kind, raw, timezone=timezone)
            shown: Any = raw["source_id"].astype(str).to_numpy() if rows else []
            problems += [
                f"{self.label} {kind.value} {shown[p.row]}: {p.column}: {p.message}; skipped"
                for p in result.problems
            ]
            # A record deleted in this page must not be re-inserted by an older copy in it.
            frame = result.frame[~result.frame["source_id"].isin(deleted)].reset_index(drop=True)
            batches.append(RecordBatch(kind, frame, deleted))
        return tuple(batches), tuple(problems)


class ApiConnector(Connector):
    """Base class of HTTP API connectors."""

    #: Vendor name used for limiter keys and messages.
    vendor: ClassVar[str]
    #: Requests per second (average) and burst allowed per vendor account.
    rate_per_s: ClassVar[float] = 5.0
    burst: ClassVar[float] = 5.0

    def __init__(
        self,
        config: ConnectorConfig,
        context: ConnectorContext,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        retry: RetryPolicy = DEFAULT_RETRY,
        limiter: Limiter | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(config, context)
        self.session = session or requests.Session()
        self.sleep = sleep
        self.clock = clock
        self.retry = retry
        self._limiter = limiter
        self._authenticator: OAuth2Authenticator | None = None

    def make_client(
        self,
        base_url: str,
        *,
        tenant: str,
        authenticator: Authenticator | None,
        headers: Mapping[str, str] | None = None,
        client_class: type[HttpClient] = HttpClient,
        limiter: Limiter | None = None,
    ) -> HttpClient:
        """A client for one vendor account, sharing that account's rate limiter.

        The limiter is, in order: the one injected into the connector, ``limiter``, or the
        account's process-wide token bucket at ``rate_per_s``.
        """
        limiter = (
            self._limiter
            or limiter
            or limiter_for(self.vendor, tenant, self.rate_per_s, self.burst)
        )
        return client_class(
            base_url,
            vendor=self.vendor,
            tenant=tenant,
            session=self.session,
            authenticator=authenticator,
            limiter=limiter,
            headers=headers,
            retry=self.retry,
            sleep=self.sleep,
        )

    def oauth(self, token_url: str) -> OAuth2Authenticator:
        """The OAuth2 authenticator over the credential store (created once).

        Raises:
            AuthError: the connector has no store to read its tokens from.
        """
        if self._authenticator is None:
            if self.context.engine is None:
                raise AuthError(f"{self.name}: no credential store is available to this connector")
            assert isinstance(self.config, OAuthConnectorConfig)
            store = CredentialStore(self.context.engine, load_cipher())
            self._authenticator = OAuth2Authenticator(
                self.config,
                business=self.context.business,
                store=store,
                token_url=token_url,
                session=self.session,
                clock=self.clock,  # token expiry by the connector's clock, as its windows
            )
        return self._authenticator
