"""Benchmark: Calendly cold sync and idle polls against a fake with latency and rate limits.

Usage: python bench/calendly_sync.py [--events 2000] [--latency-ms 20] [--limit 500]
       [--window-s 6] [--pace 0]

The fake is the test suite's (``responses``, no network), with ``--latency-ms`` per response
and Calendly's documented limiting: ``--limit`` requests per ``--window-s`` seconds, told in
``X-RateLimit-*`` headers, 429 beyond. Calendly's real window is 60 s (500 requests a minute
on paid plans); the default 6 s window scales time by ten so a 2,000-booking run takes
seconds, not minutes. ``--pace 3`` replaces the header limiter by a fixed 3 requests/s token
bucket (the old behaviour). Bookings are spread over the two years before NOW plus 60 days
ahead, so the re-read window holds about 90 days of them. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import responses
from pydantic import SecretStr

from busywork.store.db import create_engine, migrate
from connectors.base import ConnectorContext
from connectors.calendly import CalendlyConfig, CalendlyConnector
from connectors.http import RetryPolicy, TokenBucket
from connectors.sync import sync_connector
from tests.connectors import fake_calendly

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def seed(api: fake_calendly.FakeCalendly, count: int) -> None:
    span = timedelta(days=790)
    for n in range(count):
        start = (NOW - timedelta(days=730) + span * n / max(count, 1)).replace(
            hour=9 + n % 8, minute=0, second=0, microsecond=0
        )
        uid = f"EV{n:06d}"
        api.book(
            fake_calendly.scheduled_event(uid, iso(start), iso(start + timedelta(minutes=30))),
            fake_calendly.invitee(uid, f"c{n % 900}@x.com", "Client Name"),
        )


def fixed(at: float) -> Callable[[], float]:
    """A clock that always says ``at``."""
    return lambda: at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=2000, help="bookings (20000 for the big run)")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--limit", type=int, default=500, help="requests per window")
    parser.add_argument("--window-s", type=float, default=6.0)
    parser.add_argument("--pace", type=float, default=0.0, help="fixed requests/s (old way)")
    args = parser.parse_args()

    api = fake_calendly.FakeCalendly()
    seed(api, args.events)
    api.latency_s = args.latency_ms / 1000
    api.rate = fake_calendly.RateWindow(args.limit, args.window_s)
    options: dict[str, Any] = {"retry": RetryPolicy(max_attempts=5, base_delay_s=0.5)}
    if args.pace:
        options["limiter"] = TokenBucket(args.pace, 5.0)
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{folder}/bench.db")
        migrate(engine)
        context = ConnectorContext(
            business="bench", timezone="Europe/London", currency="GBP", engine=engine
        )
        config = CalendlyConfig(
            name="bookings", token=SecretStr("pat"), base_url=fake_calendly.BASE
        )
        print("| step | requests | 429s | time | records |")
        print("|---|---|---|---|---|")
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            api.install(mock)
            for step, hours in (("cold sync", 0), ("idle poll", 1), ("idle poll", 7)):
                at = (NOW + timedelta(hours=hours)).timestamp()
                connector = CalendlyConnector(config, context, clock=fixed(at), **options)
                before, rejected = len(api.requests), api.rate.rejected
                started = time.perf_counter()
                result = sync_connector(engine, connector)
                elapsed = time.perf_counter() - started
                if not result.ok:
                    raise SystemExit(f"{step}: {result.error}")
                stats = result.stats
                print(
                    f"| {step} (+{hours} h) | {len(api.requests) - before} | "
                    f"{api.rate.rejected - rejected} | {elapsed:.2f} s | "
                    f"{stats.inserted} new, {stats.updated} changed |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
