"""Benchmark: requests and time for a full sync and for incremental syncs, per scheduling source.

Usage: python bench/scheduling.py [--events 20000] [--caldav-events 20000] [--only google,…]

Google, Microsoft Graph and Calendly run against the in-memory fake APIs of the test suite
(``responses``, no network), CalDAV against a real Radicale server on a loopback port whose
calendar is written straight into Radicale's storage folder (creating 20k events over HTTP
would measure Radicale, not the connector). Every sync commits into a fresh SQLite store.
For each source: one full sync, an incremental sync with no change, one with 50 changes.
Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import responses
from caldav.davclient import DAVClient
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from busywork.store.db import create_engine, migrate
from connectors.base import Connector, ConnectorContext
from connectors.caldav_calendar import CaldavConfig, CaldavConnector
from connectors.calendly import CalendlyConfig, CalendlyConnector
from connectors.google_calendar import GoogleCalendarConfig, GoogleCalendarConnector
from connectors.http import RetryPolicy, TokenBucket
from connectors.msgraph_calendar import MsGraphCalendarConfig, MsGraphCalendarConnector
from connectors.oauth import CredentialStore, TokenSet, load_cipher
from connectors.sync import sync_connector
from tests.connectors import fake_calendly
from tests.connectors.fake_google import BASE as GOOGLE_BASE
from tests.connectors.fake_google import FakeGoogle, event
from tests.connectors.fake_msgraph import BASE as GRAPH_BASE
from tests.connectors.fake_msgraph import DELTA, FakeGraph, graph_event
from tests.connectors.radicale_server import radicale_server
from tests.connectors.test_caldav_calendar import vcalendar

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
CHANGES = 50
FAST: dict[str, Any] = {
    "limiter": TokenBucket(1e9, 1e9),
    "retry": RetryPolicy(max_attempts=2, base_delay_s=0.0),
}


def context(engine: Engine) -> ConnectorContext:
    return ConnectorContext(
        business="bench", timezone="Europe/London", currency="GBP", engine=engine
    )


def start_of(n: int, count: int) -> datetime:
    """Event ``n`` of ``count``: spread evenly over the two years before NOW, 09:00-16:00 UTC."""
    # Spaced by days, not whole hours: 730 * 24 // count hours is zero above 17,520 events.
    day = NOW - timedelta(days=730) * (count - n) / max(count, 1)
    return day.replace(hour=9 + n % 8, minute=0, second=0, microsecond=0)


def measure(
    name: str, engine: Engine, make: Callable[[], Connector], counter: Callable[[], int], step: str
) -> None:
    before = counter()
    started = time.perf_counter()
    result = sync_connector(engine, make())
    elapsed = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"{name} {step}: {result.error}")
    stats = result.stats
    print(
        f"| {name} | {step} | {counter() - before} | {elapsed:.2f} s | "
        f"{stats.inserted} new, {stats.updated} changed, {stats.deleted} deleted |",
        flush=True,
    )


def oauth(engine: Engine, name: str) -> None:
    tokens = TokenSet("bench-access", "bench-refresh", time.time() + 86400)
    CredentialStore(engine, load_cipher()).save("bench", name, tokens, expected_version=None)


def bench_google(engine: Engine, count: int) -> None:
    oauth(engine, "gcal")
    api = FakeGoogle()
    for n in range(count):
        api.put(event(f"ev{n:06d}", start_of(n, count).isoformat(), attendee=f"c{n % 900}@x.com"))
    config = GoogleCalendarConfig(
        name="gcal",
        client_id="id",
        client_secret=SecretStr("secret"),
        base_url=GOOGLE_BASE,
        page_size=2500,
    )

    def make() -> Connector:
        return GoogleCalendarConnector(config, context(engine), **FAST)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api.install(mock)
        run_three(
            "Google Calendar",
            engine,
            make,
            lambda: len(api.requests),
            lambda: change_google(api, count),
        )


def change_google(api: FakeGoogle, count: int) -> None:
    for n in range(CHANGES):
        api.put(event(f"ev{n * (count // CHANGES):06d}", NOW.isoformat(), summary="Moved"))


def bench_graph(engine: Engine, count: int) -> None:
    oauth(engine, "outlook")
    api = FakeGraph()
    for n in range(count):
        api.put(graph_event(f"ev{n:06d}", start_of(n, count).strftime("%Y-%m-%dT%H:%M:%S")))
    config = MsGraphCalendarConfig(
        name="outlook",
        client_id="id",
        client_secret=SecretStr("secret"),
        base_url=GRAPH_BASE,
        past_days=800,
    )

    def make() -> Connector:
        return MsGraphCalendarConnector(config, context(engine), clock=NOW.timestamp, **FAST)

    def change() -> None:
        for n in range(CHANGES):
            api.put(graph_event(f"ev{n * (count // CHANGES):06d}", "2026-03-01T09:00:00"))

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback("GET", DELTA, callback=api)
        run_three("Microsoft 365", engine, make, lambda: len(api.requests), change)


def bench_calendly(engine: Engine, count: int) -> None:
    api = fake_calendly.FakeCalendly()
    for n in range(count):
        start = start_of(n, count) + timedelta(days=30)
        uid = f"EV{n:06d}"
        api.book(
            fake_calendly.scheduled_event(uid, iso(start), iso(start + timedelta(minutes=30))),
            fake_calendly.invitee(uid, f"c{n % 900}@x.com", "Client Name"),
        )
    config = CalendlyConfig(name="bookings", token=SecretStr("pat"), base_url=fake_calendly.BASE)

    def make() -> Connector:
        return CalendlyConnector(config, context(engine), clock=NOW.timestamp, **FAST)

    def change() -> None:
        recent = sorted(api.events.values(), key=lambda e: e["start_time"])[-CHANGES:]
        for body in recent:
            body.update(status="canceled", updated_at=iso(NOW))

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api.install(mock)
        run_three("Calendly", engine, make, lambda: len(api.requests), change)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def bench_caldav(engine: Engine, count: int, folder: Path) -> None:
    with radicale_server(folder) as url:
        with DAVClient(url=url, username="bench", password="x") as client:
            principal: Any = client.principal()  # type: ignore[no-untyped-call]
            principal.make_calendar(name="Diary", cal_id="diary")
        items = folder / "collection-root" / "bench" / "diary"
        for n in range(count):
            write_ics(items, n, count, "Session")
        config = CaldavConfig(
            name="diary",
            url=url,
            username="bench",
            password=SecretStr("x"),
            page_size=500,
            # Radicale parses every item on its first sync-collection; give it time.
            timeout_seconds=900,
        )
        with counting_requests() as counter:

            def make() -> Connector:
                return CaldavConnector(config, context(engine), clock=lambda: NOW)

            def change() -> None:
                for n in range(CHANGES):
                    write_ics(items, n * (count // CHANGES), count, "Moved")

            run_three("CalDAV (Radicale)", engine, make, counter, change)


def write_ics(items: Path, n: int, count: int, summary: str) -> None:
    start = start_of(n, count).strftime("%Y%m%dT%H%M%SZ")
    end = (start_of(n, count) + timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")
    text = vcalendar(
        f"UID:ev{n:06d}\nDTSTAMP:20260101T000000Z\nDTSTART:{start}\nDTEND:{end}\n"
        f"SUMMARY:{summary}\nATTENDEE;CN=Client:mailto:c{n % 900}@x.com"
    )
    (items / f"ev{n:06d}.ics").write_text(text.replace("\n", "\r\n"))


@contextmanager
def counting_requests() -> Iterator[Callable[[], int]]:
    """Counts every HTTP request the caldav library sends."""
    calls = [0]
    original = DAVClient.request

    def counted(self: DAVClient, *args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(self, *args, **kwargs)

    DAVClient.request = counted  # type: ignore[method-assign]
    try:
        yield lambda: calls[0]
    finally:
        DAVClient.request = original  # type: ignore[method-assign]


def run_three(
    name: str,
    engine: Engine,
    make: Callable[[], Connector],
    counter: Callable[[], int],
    change: Callable[[], None],
) -> None:
    measure(name, engine, make, counter, "full sync")
    measure(name, engine, make, counter, "incremental, 0 changes")
    change()
    measure(name, engine, make, counter, f"incremental, {CHANGES} changes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--caldav-events", type=int, default=20_000)
    parser.add_argument("--only", default="google,graph,calendly,caldav")
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    os.environ.setdefault("BUSYWORK_SECRET_KEYS", Fernet.generate_key().decode())
    print("| source | sync | requests | time | store changes |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        runs: dict[str, Callable[[Engine], None]] = {
            "google": lambda e: bench_google(e, args.events),
            "graph": lambda e: bench_graph(e, args.events),
            "calendly": lambda e: bench_calendly(e, args.events),
            "caldav": lambda e: bench_caldav(e, args.caldav_events, base / "radicale"),
        }
        for key, run in runs.items():
            if key in wanted:
                engine = create_engine(f"sqlite:///{base / f'{key}.db'}")
                migrate(engine)
                run(engine)
                engine.dispose()


if __name__ == "__main__":
    main()
