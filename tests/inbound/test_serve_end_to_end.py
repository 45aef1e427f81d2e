"""End to end: the real ``busywork serve`` process, a fake Stripe, and the worker.

A signed notification sent over HTTP to the running server makes the connector due; the
worker's next (not forced) pass then polls it and the change is in the store.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import responses
import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet

from busywork.inbound import subscriptions
from busywork.inbound.subscriptions import Subscription
from busywork.store.db import open_store
from busywork.store.records import Invoice
from config.loader import load_config
from tests.connectors.fake_stripe import BASE, FakeStripe, customer, invoice
from tests.delivery.servers import free_port
from tests.inbound.kits import hex_hmac
from worker import Worker

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
SIGNING = "whsec_end_to_end_0123456789abcdef"
CONFIG = """\
business: {id: shop, name: Shop, timezone: Europe/London, currency: GBP}
storage: {url: "sqlite:///store.db"}
connectors:
  - {name: cards, type: stripe, api_key: "${STRIPE_KEY}", base_url: "BASE_URL", interval: 15m}
goals:
  - {id: cash, name: Cash, objective: cash_flow}
""".replace("BASE_URL", BASE)


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, int, str]]:
    """(config path, port, endpoint token) of a running ``busywork serve``."""
    (tmp_path / "shop.yaml").write_text(CONFIG)
    key = Fernet.generate_key().decode()
    env = os.environ | {"BUSYWORK_SECRET_KEYS": key, "STRIPE_KEY": "rk_test_endtoend0123"}
    for name in ("BUSYWORK_SECRET_KEYS", "STRIPE_KEY"):  # the in-process worker reads them too
        monkeypatch.setenv(name, env[name])
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    token = subscriptions.new_token()
    subscriptions.save(
        engine,
        MultiFernet([Fernet(key.encode())]),
        Subscription(
            "shop",
            "cards",
            "stripe",
            "active",
            {"token": token, "secrets": [SIGNING]},
            None,
            None,
            None,
        ),
        datetime.now(UTC),
    )
    engine.dispose()
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "busywork",
                "serve",
                "--config",
                str(tmp_path / "shop.yaml"),
                "--port",
                str(port),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        # Generous: on a loaded machine the interpreter alone can take many seconds to start.
        deadline = time.monotonic() + 90
        while _get(port, "/healthz") != 200:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "busywork serve did not start"
            time.sleep(0.1)
        yield tmp_path / "shop.yaml", port, token
    finally:
        process.terminate()
        process.wait(timeout=10)


def _get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except OSError:
        return 0
    finally:
        connection.close()


def _notify(port: int, token: str, body: bytes) -> int:
    stamp = int(time.time())
    signature = hex_hmac(SIGNING, f"{stamp}.".encode() + body)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(
            "POST",
            f"/hooks/{token}",
            body=body,
            headers={
                "stripe-signature": f"t={stamp},v1={signature}",
                "content-type": "application/json",
            },
        )
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_signed_notification_gets_the_change_polled_within_seconds(
    served: tuple[Path, int, str],
) -> None:
    path, port, token = served
    config = load_config(path)
    api = FakeStripe()
    api.customers.append(customer(1))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api.install(mock)
        worker = Worker([config])
        worker.run_once()  # the backfill; the next poll is now 15 minutes away
        assert worker.poll(config, "cards") is None

        changed_at = time.monotonic()
        created = int(time.time())
        new = invoice(7, created=created)
        api.invoices.append(new)
        api.add_event("invoice.created", new, created)
        event = b'{"id":"evt_e2e_1","object":"event","type":"invoice.created"}'
        assert _notify(port, token, event) == 200
        synced = worker.poll(config, "cards")
        latency = time.monotonic() - changed_at
        assert _notify(port, token, event) == 200  # a redelivery: acknowledged, nothing due
        assert worker.poll(config, "cards") is None
        worker.engine.dispose()

    assert synced is not None
    assert synced.ok
    assert latency < 10  # the goal for p95; typically well under a second here
    engine = open_store(config.storage.url)
    with engine.connect() as connection:
        ids = connection.execute(sa.select(Invoice.__table__.c.source_id)).scalars().all()  # type: ignore[attr-defined]
    engine.dispose()
    assert "in_000007" in ids
