"""Benchmark: from a vendor-side change to the rewritten recommendation JSON, push vs polling.

Usage: python bench/events.py [--businesses 200] [--changes 40]

Every business has a Stripe connector against its own in-memory fake API (``responses``,
no network) and an active Stripe webhook subscription. ``busywork serve`` runs for real
(uvicorn on a loopback port, in a thread); the worker's embedded engine steps every
``STEP_SECONDS`` (1 s) as in ``busywork run`` on SQLite. For a sample of businesses, one at
a time: an invoice is added at the fake, a signed ``invoice.created`` notification is posted
to the server, and the clock stops when that business's recommendation JSON has been
rewritten.

Requests per business per day with no changes: the requests one no-change poll sends,
times the polls a day at the configured interval (polling only) or at the reconciliation
interval (healthy subscription). Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import http.client
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import responses
from cryptography.fernet import Fernet, MultiFernet

from busywork.inbound import subscriptions
from busywork.inbound.ratelimit import RateLimiter
from busywork.inbound.receiver import Receiver
from busywork.inbound.status import RECONCILE_INTERVAL
from busywork.inbound.subscriptions import Subscription
from busywork.store.db import create_engine, migrate
from busywork.web.app import create_app
from busywork.web.server import start_in_thread
from config.loader import parse_config
from tests.connectors.fake_stripe import FakeStripe, customer, invoice
from tests.inbound.kits import hex_hmac
from worker import Worker

SIGNING = "whsec_bench_0123456789abcdef"
INTERVAL_S = 900
CONFIG = """\
business: {{id: b{i:03d}, name: Business {i}, timezone: Europe/London, currency: GBP}}
connectors:
  - {{name: cards, type: stripe, api_key: rk_test_bench0000, base_url: "{base}", interval: 15m}}
goals:
  - {{id: cash, name: Cash, objective: cash_flow}}
delivery: {{stdout: false, json_file: "{json}"}}
"""


def notify(port: int, token: str, n: int) -> None:
    body = f'{{"id":"evt_bench_{n}","object":"event","type":"invoice.created"}}'.encode()
    stamp = int(time.time())
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(
            "POST",
            f"/hooks/{token}",
            body=body,
            headers={
                "stripe-signature": f"t={stamp},v1={hex_hmac(SIGNING, f'{stamp}.'.encode() + body)}"
            },
        )
        assert connection.getresponse().status == 200
    finally:
        connection.close()


def setup(
    folder: Path, count: int
) -> tuple[Any, MultiFernet, list[FakeStripe], list[Any], list[str]]:
    """A migrated store, fakes, configs and one active subscription per business."""
    engine = create_engine(f"sqlite:///{folder / 'store.db'}")
    migrate(engine)
    cipher = MultiFernet([Fernet(Fernet.generate_key())])
    fakes = [FakeStripe(f"https://api.stripe.test/b{i:03d}") for i in range(count)]
    configs = [
        parse_config(CONFIG.format(i=i, base=fake.base, json=folder / f"b{i:03d}.json"))
        for i, fake in enumerate(fakes)
    ]
    tokens = []
    for config in configs:
        token = subscriptions.new_token()
        tokens.append(token)
        secrets = {"token": token, "secrets": [SIGNING]}
        subscription = Subscription(
            config.business.id, "cards", "stripe", "active", secrets, None, None, None
        )
        subscriptions.save(engine, cipher, subscription, datetime.now(UTC))
    return engine, cipher, fakes, configs, tokens


def measure(
    worker: Worker,
    fakes: list[FakeStripe],
    tokens: list[str],
    folder: Path,
    port: int,
    changes: int,
) -> list[float]:
    """Seconds from each change to its business's rewritten JSON, with the worker running."""
    thread = threading.Thread(target=worker.engine_loop.run_forever, daemon=True)
    thread.start()
    latencies = []
    rng = random.Random(7)
    for n in range(changes):
        i = rng.randrange(len(fakes))
        target = folder / f"b{i:03d}.json"
        seen = target.stat().st_mtime_ns if target.exists() else 0
        changed = time.monotonic()
        created = int(time.time())
        new = invoice(1000 + n, created=created)
        fakes[i].invoices.append(new)
        fakes[i].add_event("invoice.created", new, created)
        notify(port, tokens[i], n)
        while not (target.exists() and target.stat().st_mtime_ns != seen):
            time.sleep(0.02)
        latencies.append(time.monotonic() - changed)
    worker.stop()
    thread.join()
    return sorted(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--businesses", type=int, default=200)
    parser.add_argument("--changes", type=int, default=40)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="busywork-events-"))
    engine, cipher, fakes, configs, tokens = setup(folder, args.businesses)
    receiver = Receiver(engine, configs, cipher=cipher, limiter=RateLimiter(1e6, 1e6))
    server, port = start_in_thread(create_app(engine, configs, inbound=receiver))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for i, fake in enumerate(fakes):
            fake.customers.append(customer(i))
            fake.install(mock)
        worker = Worker(configs, engine=engine)
        started = time.monotonic()
        for config in configs:
            worker.poll(config, "cards", force=True)
        print(f"backfill of {len(configs)} businesses: {time.monotonic() - started:.1f} s")
        before = len(fakes[0].requests)
        worker.poll(configs[0], "cards", force=True)
        per_poll = len(fakes[0].requests) - before
        latencies = measure(worker, fakes, tokens, folder, port, args.changes)
    server.should_exit = True
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    print(
        f"change → recommendation JSON, {len(latencies)} changes over {len(configs)} businesses:"
        f" p50 {statistics.median(latencies):.2f} s, p95 {p95:.2f} s, max {latencies[-1]:.2f} s"
    )
    polling = 86400 / INTERVAL_S * per_poll
    pushed = 86400 / RECONCILE_INTERVAL.total_seconds() * per_poll
    print(
        f"requests per business per day with no changes ({per_poll} per poll):"
        f" polling every {INTERVAL_S // 60} min {polling:.0f}, with a subscription"
        f" {pushed:.0f} ({polling / pushed:.0f}× fewer)"
    )


if __name__ == "__main__":
    main()
