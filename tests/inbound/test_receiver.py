"""``/hooks/{token}``: a genuine notification makes its own connector due, once."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from busywork.inbound.ratelimit import RateLimiter
from busywork.inbound.receiver import Receiver
from busywork.inbound.trigger import request_poll
from busywork.web.app import create_app
from tests.inbound.kits import CIPHER, KITS, NOW, genuine, install
from tests.inbound.state import STATE, due, states

LATER = NOW + timedelta(hours=6)


def _postpone(engine: Engine, connector: str) -> None:
    """What a finished poll does: the next one is hours away."""
    with engine.begin() as connection:
        connection.execute(
            sa.update(STATE).where(STATE.c.connector == connector).values(next_poll_at=LATER)
        )


def test_a_genuine_notification_makes_its_connector_due_now(
    engine: Engine, client: TestClient
) -> None:
    token = install(engine, KITS["stripe"])
    headers, body = genuine(KITS["stripe"])
    answer = client.post(f"/hooks/{token}", headers=headers, content=body)
    assert (answer.status_code, answer.text) == (200, "")
    assert due(engine) == {"books": NOW}


def test_a_redelivered_event_does_nothing_a_new_one_polls_again(
    engine: Engine, client: TestClient
) -> None:
    kit = KITS["xero"]
    token = install(engine, kit)
    headers, body = genuine(kit, 1)
    assert client.post(f"/hooks/{token}", headers=headers, content=body).status_code == 200
    _postpone(engine, "books")
    assert client.post(f"/hooks/{token}", headers=headers, content=body).status_code == 200
    assert due(engine) == {"books": LATER}
    headers, body = genuine(kit, 2)
    assert client.post(f"/hooks/{token}", headers=headers, content=body).status_code == 200
    assert due(engine) == {"books": NOW}


def test_a_notification_only_triggers_the_connector_of_its_endpoint(
    engine: Engine, client: TestClient
) -> None:
    books = install(engine, KITS["quickbooks"], connector="books")
    install(engine, KITS["calendly"], connector="calendar")
    other_business = install(engine, KITS["quickbooks"], business="cafe", connector="books")
    headers, body = genuine(KITS["quickbooks"])
    assert client.post(f"/hooks/{books}", headers=headers, content=body).status_code == 200
    with engine.connect() as connection:
        rows = connection.execute(sa.select(STATE.c.business, STATE.c.connector)).all()
    assert [tuple(row) for row in rows] == [("shop", "books")]
    assert other_business != books


def test_a_burst_coalesces_into_one_due_poll(engine: Engine) -> None:
    assert request_poll(engine, "shop", "books", NOW)
    assert not request_poll(engine, "shop", "books", NOW + timedelta(seconds=1))
    assert due(engine) == {"books": NOW}


def test_graph_subscription_removed_marks_it_lost(engine: Engine, client: TestClient) -> None:
    kit = KITS["msgraph"]
    token = install(engine, kit)
    body = json.dumps(
        {
            "value": [
                {
                    "subscriptionId": kit.secrets["subscription_id"],
                    "clientState": kit.secrets["client_state"],
                    "lifecycleEvent": "subscriptionRemoved",
                }
            ]
        }
    ).encode()
    assert client.post(f"/hooks/{token}", content=body).status_code == 202
    assert states(engine) == {"books": "lost"}
    assert due(engine) == {"books": NOW}


def test_graph_validation_is_echoed_as_plain_text(engine: Engine, client: TestClient) -> None:
    token = install(engine, KITS["msgraph"])
    answer = client.post(f"/hooks/{token}?validationToken=Validation%3A+Testing+abc")
    assert answer.status_code == 200
    assert answer.text == "Validation: Testing abc"
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_source_over_its_rate_is_told_to_wait(engine: Engine) -> None:
    ticks = iter(float(n) / 100 for n in range(100))
    receiver = Receiver(
        engine,
        clock=lambda: NOW,
        cipher=CIPHER,
        limiter=RateLimiter(rate_per_s=1, burst=3, monotonic=lambda: next(ticks)),
    )
    token = install(engine, KITS["stripe"])
    with TestClient(create_app(engine, [], clock=lambda: NOW, inbound=receiver)) as client:
        codes = [client.post(f"/hooks/{token}", content=b"{}").status_code for _ in range(5)]
    assert codes[:3] == [400, 400, 400]  # unsigned: refused, but counted
    assert codes[3:] == [429, 429]


def test_nothing_secret_reaches_the_log(
    engine: Engine, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    kit = KITS["stripe"]
    token = install(engine, kit)
    headers, body = genuine(kit)
    client.post(f"/hooks/{token}", headers=headers, content=body)
    client.post(f"/hooks/{token}", headers={"stripe-signature": "t=1,v1=00"}, content=body)
    # Our loggers only: the test client logs the URLs it requests.
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("busywork"))
    assert "action=poll_requested" in text
    assert "action=rejected" in text
    assert token not in text
    assert kit.secrets["secrets"][0] not in text


def test_old_event_ids_are_forgotten_after_the_memory(engine: Engine, client: TestClient) -> None:
    from busywork.inbound.subscriptions import EVENT_MEMORY, prune_events

    token = install(engine, KITS["stripe"])
    headers, body = genuine(KITS["stripe"])
    client.post(f"/hooks/{token}", headers=headers, content=body)
    assert prune_events(engine, NOW) == 0
    assert prune_events(engine, NOW + EVENT_MEMORY) == 1
