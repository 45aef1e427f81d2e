"""Push-subscription renewal: one function for every engine.

Google watch channels and Microsoft Graph subscriptions expire within days; Calendly and
Stripe endpoints do not, but a disabled connector's must be closed. :func:`renew` runs
:func:`busywork.inbound.manage.sync` for each business with no public URL (so it renews
what exists and opens nothing new) and forgets inbound event ids older than
:data:`~busywork.inbound.subscriptions.EVENT_MEMORY`. The in-process worker calls it
hourly from a thread; on PostgreSQL it is the periodic job
``busywork.renew_subscriptions`` (:mod:`busywork.queue`), under a lock so that one
renewal runs at a time however many workers there are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.errors import BusyworkError, ConfigError
from busywork.inbound.manage import ClientFactory, Outcome, connector_client, sync
from busywork.inbound.subscriptions import EVENT_MEMORY, prune_events
from busywork.tenants import TENANTS
from busywork.units import Tenants
from config.models import AppConfig
from connectors.oauth import load_cipher

log = logging.getLogger("busywork.inbound")


@dataclass
class Renewed:
    """What one renewal pass did: each business's outcomes, and the businesses that failed."""

    outcomes: dict[str, list[Outcome]] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    pruned_events: int = 0


def renew(
    engine: Engine,
    configs: Iterable[AppConfig],
    now: datetime,
    *,
    client_for: ClientFactory = connector_client,
    should_stop: Callable[[], bool] = lambda: False,
) -> Renewed:
    """Renew the push subscriptions of ``configs`` that expire soon; forget old event ids.

    A business whose renewal fails is logged and the others carry on. Without
    ``BUSYWORK_SECRET_KEYS`` there can be no stored subscriptions, so only events are pruned.
    """
    done = Renewed(pruned_events=prune_events(engine, now - EVENT_MEMORY))
    try:
        cipher = load_cipher()
    except ConfigError:
        return done
    for config in configs:
        if should_stop():
            break
        business = config.business.id
        try:
            done.outcomes[business] = sync(engine, cipher, config, None, now, client_for=client_for)
        except BusyworkError as exc:
            done.failed.append(business)
            log.warning("webhook renewal business=%s action=renew_failed error=%s", business, exc)
    return done


def stored_configs(engine: Engine, tenants: Tenants) -> Iterator[AppConfig]:
    """The config of every business in the tenant table; one that no longer loads is skipped."""
    with engine.connect() as connection:
        businesses = list(
            connection.execute(sa.select(TENANTS.c.business).order_by(TENANTS.c.business)).scalars()
        )
    for business in businesses:
        try:
            yield tenants.get(business)
        except ConfigError as exc:
            log.warning("webhook renewal business=%s action=not_configured: %s", business, exc)
