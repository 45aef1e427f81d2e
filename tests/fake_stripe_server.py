"""A real local HTTP server shaped like Stripe's list endpoints, with latency and a hold switch.

Worker subprocesses poll it through the real Stripe connector (``base_url``), so the
scale benchmark and the dead-worker tests see vendor-shaped pages over real sockets.
Each connected account (``Stripe-Account``) gets its own small, fixed set of customers
and invoices (one of them keyed twice); every other feed is empty. ``hold`` makes every
request wait until ``release``: a poll is then provably in flight when a test kills its
worker.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.connectors.fake_stripe import customer, invoice

CUSTOMERS_PER_ACCOUNT = 3
INVOICES_PER_ACCOUNT = 4


#: When the fake's records were made, by default (14 November 2023, a fixed instant).
CREATED = 1_700_000_000


def account_objects(account: str, feed: str, created: int = CREATED) -> list[dict[str, Any]]:
    """The fixed customers or invoices of ``account`` (ids unique per account).

    The last invoice is the first one keyed again a day later; other feeds are empty.
    """
    offset = (sum(account.encode()) % 1000) * 100
    if feed == "customers":
        return [customer(offset + n, created=created) for n in range(CUSTOMERS_PER_ACCOUNT)]
    if feed != "invoices":
        return []
    invoices = [invoice(offset + n, created=created) for n in range(INVOICES_PER_ACCOUNT - 1)]
    return [*invoices, keyed_again(invoices[0], offset + INVOICES_PER_ACCOUNT - 1)]


def keyed_again(original: dict[str, Any], n: int) -> dict[str, Any]:
    """``original`` typed in by hand a second time the next day, under invoice number ``n``.

    It gives every account one finding (a double entry), so the benchmark's businesses
    have something to deliver.
    """
    copy = invoice(n, created=original["created"] - n + 86_400)
    for field in ("customer", "customer_email", "customer_name", "description"):
        copy[field] = original[field]
    return copy


class FakeStripe:
    """The server: ``start()``, ``url``, ``requests`` seen, ``hold()``/``release()``, ``stop()``."""

    def __init__(
        self, latency: tuple[float, float] = (0.0, 0.0), seed: int = 1, created: int = CREATED
    ) -> None:
        self.latency = latency
        self.created = created
        self.requests = 0
        self.in_flight = threading.Event()
        self._released = threading.Event()
        self._released.set()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A short poll interval: stop() waits for the serving loop's next look at its flag.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )

    @property
    def url(self) -> str:
        """The base URL to put in ``base_url``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeStripe:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (held requests are released first)."""
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def hold(self) -> None:
        """Make every request wait until :meth:`release`."""
        self.in_flight.clear()
        self._released.clear()

    def release(self) -> None:
        """Let held and later requests through."""
        self._released.set()

    def _answer(self, path: str, account: str, query: dict[str, list[str]]) -> dict[str, Any]:
        with self._lock:
            self.requests += 1
            low, high = self.latency
            delay = self._random.uniform(low, high)
        if not self._released.is_set():
            self.in_flight.set()
            self._released.wait()
        time.sleep(delay)
        feed = path.rsplit("/", 1)[-1]
        if feed == "events":
            return {"object": "list", "data": [], "has_more": False, "url": path}
        objects = account_objects(account, feed, self.created)
        after = query.get("starting_after", [None])[0]
        if after is not None:
            ids = [item["id"] for item in objects]
            objects = objects[ids.index(after) + 1 :] if after in ids else []
        return {"object": "list", "data": objects, "has_more": False, "url": path}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                body = json.dumps(
                    server._answer(
                        parts.path, self.headers.get("Stripe-Account", ""), parse_qs(parts.query)
                    )
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # A worker killed mid-request has nobody left to answer.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        return Handler


def business_yaml(
    business: str,
    api_url: str,
    store_url: str,
    *,
    connectors: int = 1,
    interval: str = "15m",
    webhook: str | None = None,
) -> str:
    """A config file for one small business polling ``connectors`` Stripe accounts.

    With ``webhook``, findings go there at once, signed with ``${HOOK_SECRET}``.
    """
    lines = [
        f"business: {{id: {business}, name: {business}, timezone: UTC, currency: GBP}}",
        f'storage: {{url: "{store_url}"}}',
        "connectors:",
    ]
    for n in range(connectors):
        lines.append(
            f'  - {{name: stripe{n}, type: stripe, api_key: "${{FAKE_STRIPE_KEY}}",'
            f' account: acct_{business}_{n}, base_url: "{api_url}", interval: {interval}}}'
        )
    lines += [
        "goals:",
        "  - {id: time, name: Less admin, objective: owner_time}",
        "  - {id: cash, name: Cash, objective: cash_flow}",
    ]
    if webhook is not None:
        lines += [
            "delivery:",
            "  allow_private_addresses: true",
            "  webhooks:",
            f'    - {{name: crm, url: "{webhook}", secret: "${{HOOK_SECRET}}", mode: immediate}}',
        ]
    return "\n".join(lines) + "\n"
