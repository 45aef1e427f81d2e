"""``webhooks sync``: subscriptions opened, renewed and closed through fake vendor APIs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import responses
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from busywork.errors import ConfigError
from busywork.inbound import subscriptions
from busywork.inbound.manage import sync
from busywork.inbound.secrets_input import store_secret
from busywork.inbound.status import RECONCILE_INTERVAL, poll_interval, status
from config.loader import parse_config
from config.models import AppConfig
from connectors.http import HttpClient, RetryPolicy
from tests.connectors.fake_google import discovery
from tests.inbound.kits import CIPHER, KEY, NOW
from tests.inbound.state import SUBSCRIPTIONS, states

PUBLIC = "https://busywork.shop.example"
GOOGLE = "https://calendar.google.test/calendar/v3"
GRAPH = "https://graph.microsoft.test/v1.0"
CALENDLY = "https://api.calendly.test"
STRIPE = "https://api.stripe.test"
CONFIG = f"""\
business: {{id: shop, name: Shop, timezone: Europe/London, currency: GBP}}
connectors:
  - {{name: diary, type: google_calendar, client_id: g, client_secret: s, base_url: "{GOOGLE}"}}
  - {{name: outlook, type: msgraph_calendar, client_id: m, client_secret: s, base_url: "{GRAPH}",
      interval: 10m}}
  - {{name: bookings, type: calendly, token: t, base_url: "{CALENDLY}", scope: user}}
  - {{name: cards, type: stripe, api_key: rk_test_x, base_url: "{STRIPE}"}}
  - {{name: books, type: quickbooks, client_id: q, client_secret: s, realm_id: "1185883450"}}
  - {{name: dav, type: caldav, url: "https://dav.example/cal/", username: u, password: p}}
goals:
  - {{id: cash, name: Cash, objective: cash_flow}}
"""

ONLY_GRAPH = f"""\
business: {{id: shop, name: Shop, timezone: Europe/London, currency: GBP}}
connectors:
  - {{name: outlook, type: msgraph_calendar, client_id: m, client_secret: s, base_url: "{GRAPH}",
      interval: 10m}}
goals:
  - {{id: cash, name: Cash, objective: cash_flow}}
"""


def _config(text: str = CONFIG) -> AppConfig:
    return parse_config(text)


def _client(_config: AppConfig, entry: Any, _engine: Engine) -> HttpClient:
    return HttpClient(
        entry.base_url,
        vendor=entry.type,
        tenant=entry.name,
        session=requests.Session(),
        retry=RetryPolicy(max_attempts=1, base_delay_s=0),
    )


class FakeVendors:
    """Google, Graph, Calendly and Stripe subscription endpoints, vendor-shaped."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.channels = 0
        for method, url, answer in (
            ("POST", f"{GOOGLE}/calendars/primary/events/watch", self._watch),
            ("POST", f"{GOOGLE}/channels/stop", lambda _b: (204, {})),
            ("POST", f"{GRAPH}/subscriptions", self._graph),
            ("PATCH", f"{GRAPH}/subscriptions/sub-1", self._graph),
            (
                "GET",
                f"{CALENDLY}/users/me",
                lambda _b: (
                    200,
                    {
                        "resource": {
                            "uri": f"{CALENDLY}/users/U1",
                            "current_organization": f"{CALENDLY}/organizations/O1",
                        }
                    },
                ),
            ),
            ("POST", f"{CALENDLY}/webhook_subscriptions", self._calendly),
            ("POST", f"{STRIPE}/v1/webhook_endpoints", self._stripe),
        ):
            mock.add_callback(method, url, callback=self._recorder(method, url, answer))

    def _recorder(self, method: str, url: str, answer: Any) -> Any:
        def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            body = request.body
            if isinstance(body, bytes):
                body = body.decode()
            parsed = json.loads(body) if body and body.startswith("{") else body
            self.calls.append((method, url.rsplit("/", 2)[-1], parsed))
            status, payload = answer(parsed)
            text = "" if status == 204 else json.dumps(payload)
            return status, {"Content-Type": "application/json"}, text

        return callback

    def _watch(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.channels += 1
        return 200, {
            "kind": "api#channel",
            "id": body["id"],
            "resourceId": f"res-{self.channels}",
            "resourceUri": f"{GOOGLE}/calendars/primary/events",
            "token": body["token"],
            "expiration": body["expiration"],
        }

    def _graph(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 201, {
            "@odata.context": f"{GRAPH}/$metadata#subscriptions/$entity",
            "id": "sub-1",
            "resource": body.get("resource", "me/events"),
            "changeType": "created,updated,deleted",
            "clientState": body.get("clientState"),
            "notificationUrl": body.get("notificationUrl"),
            "expirationDateTime": body["expirationDateTime"],
        }

    def _calendly(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 201, {
            "resource": {
                "uri": f"{CALENDLY}/webhook_subscriptions/W1",
                "callback_url": body["url"],
                "state": "active",
                "events": body["events"],
                "scope": body["scope"],
            }
        }

    def _stripe(self, _body: Any) -> tuple[int, dict[str, Any]]:
        return 200, {
            "id": "we_1",
            "object": "webhook_endpoint",
            "secret": "whsec_from_stripe_1",
            "status": "enabled",
            "url": f"{PUBLIC}/hooks/x",
        }


@pytest.fixture
def vendors() -> Iterator[FakeVendors]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeVendors(mock)


def test_sync_opens_every_subscription_the_apis_allow_and_says_what_to_paste(
    engine: Engine, vendors: FakeVendors
) -> None:
    outcomes = sync(engine, CIPHER, _config(), PUBLIC, NOW, client_for=_client)
    assert {(o.connector, o.action) for o in outcomes} == {
        ("diary", "opened"),
        ("outlook", "opened"),
        ("bookings", "opened"),
        ("cards", "opened"),
        ("books", "waiting for the secret"),
    }
    books = next(o for o in outcomes if o.connector == "books")
    assert f"{PUBLIC}/hooks/" in books.detail
    assert "Verifier Token" in books.detail
    assert states(engine) == {n: "active" for n in ("diary", "outlook", "bookings", "cards")} | {
        "books": "pending"
    }
    watch = next(body for method, path, body in vendors.calls if path == "watch")
    spec = discovery()
    if spec is not None:
        assert set(watch) <= set(spec["schemas"]["Channel"]["properties"])
    assert watch["type"] == "web_hook"
    assert watch["address"].startswith(f"{PUBLIC}/hooks/")
    calendly_body = next(
        body for method, path, body in vendors.calls if path == "webhook_subscriptions"
    )
    assert {"url", "events", "organization", "scope", "signing_key"} <= set(calendly_body)
    assert "invitee_no_show.created" in calendly_body["events"]
    stripe_form = next(body for method, path, body in vendors.calls if path == "webhook_endpoints")
    assert "enabled_events%5B%5D=invoice.%2A" in stripe_form

    stored = subscriptions.load(engine, CIPHER, "shop", "cards")
    assert stored is not None
    assert stored.secrets["secrets"] == ["whsec_from_stripe_1"]
    with engine.connect() as connection:
        raw = " ".join(connection.execute(sa.select(SUBSCRIPTIONS.c.ciphertext)).scalars())
    assert "whsec_from_stripe_1" not in raw
    assert calendly_body["signing_key"] not in raw

    calls = len(vendors.calls)
    again = sync(engine, CIPHER, _config(), PUBLIC, NOW + timedelta(hours=1), client_for=_client)
    assert {o.action for o in again if o.connector != "books"} == {"unchanged"}
    assert len(vendors.calls) == calls


def test_channels_are_renewed_before_they_expire(engine: Engine, vendors: FakeVendors) -> None:
    sync(engine, CIPHER, _config(), PUBLIC, NOW, client_for=_client)
    first = subscriptions.load(engine, CIPHER, "shop", "diary")
    later = NOW + timedelta(days=6)
    outcomes = {
        o.connector: o.action
        for o in sync(engine, CIPHER, _config(), None, later, client_for=_client)
    }
    assert outcomes["diary"] == "renewed"
    assert outcomes["outlook"] == "renewed"
    renewed = subscriptions.load(engine, CIPHER, "shop", "diary")
    assert first is not None
    assert renewed is not None
    assert renewed.secrets["channel_id"] != first.secrets["channel_id"]
    assert renewed.expires_at is not None
    assert renewed.expires_at > later + timedelta(days=5)
    stops = [body for method, path, body in vendors.calls if path == "stop"]
    assert stops == [
        {"id": first.secrets["channel_id"], "resourceId": first.secrets["resource_id"]}
    ]
    assert ("PATCH", "sub-1") in {(m, p) for m, p, _ in vendors.calls}


def test_a_disabled_connector_has_its_channel_stopped(engine: Engine, vendors: FakeVendors) -> None:
    sync(engine, CIPHER, _config(), PUBLIC, NOW, client_for=_client)
    disabled = CONFIG.replace(
        'base_url: "' + GOOGLE + '"}', 'base_url: "' + GOOGLE + '", enabled: false}'
    )
    outcomes = {
        o.connector: o.action
        for o in sync(engine, CIPHER, _config(disabled), PUBLIC, NOW, client_for=_client)
    }
    assert outcomes["diary"] == "closed"
    assert [p for _m, p, _b in vendors.calls].count("stop") == 1
    assert "diary" not in states(engine)


def test_a_refused_subscription_is_reported_and_polling_stays_normal(engine: Engine) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(
            "POST",
            f"{GRAPH}/subscriptions",
            status=403,
            json={
                "error": {
                    "code": "ExtensionError",
                    "message": "Operation: Create; Exception: [Status Code: Forbidden]",
                }
            },
        )
        only = ONLY_GRAPH
        outcomes = sync(engine, CIPHER, _config(only), PUBLIC, NOW, client_for=_client)
    assert [(o.connector, o.action) for o in outcomes] == [("outlook", "failed")]
    [line] = status(engine, CIPHER, _config(only), NOW)
    assert (line.state, line.polling) == ("lost", "every 10m")
    assert line.problem
    assert "403" in line.problem
    assert poll_interval(engine, "shop", "outlook", 600, NOW) == 600


def test_a_healthy_subscription_stretches_polling_until_it_expires(
    engine: Engine, vendors: FakeVendors
) -> None:
    sync(engine, CIPHER, _config(), PUBLIC, NOW, client_for=_client)
    stretched = RECONCILE_INTERVAL.total_seconds()
    assert poll_interval(engine, "shop", "outlook", 600, NOW) == stretched
    assert poll_interval(engine, "shop", "outlook", 600, NOW + timedelta(days=8)) == 600
    assert poll_interval(engine, "shop", "books", 900, NOW) == 900  # pending: no secret yet
    lines = {line.connector: line for line in status(engine, CIPHER, _config(), NOW)}
    assert lines["outlook"].polling == "every 6h (reconciliation)"
    assert lines["dav"].state == "no push"
    assert lines["books"].problem is not None


def test_pasted_secrets_rotate_and_are_refused_where_we_choose_them(engine: Engine) -> None:
    config = _config()
    for secret in ("v1", "v2", "v3", "v4"):
        store_secret(engine, CIPHER, config, "books", secret, now=NOW)
    stored = subscriptions.load(engine, CIPHER, "shop", "books")
    assert stored is not None
    assert stored.secrets["secrets"] == ["v4", "v3", "v2"]
    store_secret(engine, CIPHER, config, "books", "v5", replace_all=True, now=NOW)
    stored = subscriptions.load(engine, CIPHER, "shop", "books")
    assert stored is not None
    assert stored.secrets["secrets"] == ["v5"]
    with pytest.raises(ConfigError, match="chosen by busywork webhooks sync"):
        store_secret(engine, CIPHER, config, "diary", "x", now=NOW)
    with pytest.raises(ConfigError, match="no connector 'nope'"):
        store_secret(engine, CIPHER, config, "nope", "x", now=NOW)
    with pytest.raises(ConfigError, match="empty"):
        store_secret(engine, CIPHER, config, "books", "", now=NOW)


def test_rotate_key_re_encrypts_webhook_secrets(engine: Engine) -> None:
    from cryptography.fernet import Fernet, MultiFernet

    store_secret(engine, CIPHER, _config(), "books", "verifier-1", now=NOW)
    new = Fernet(Fernet.generate_key())
    assert subscriptions.rotate(engine, MultiFernet([new, KEY])) == 1
    stored = subscriptions.load(engine, MultiFernet([new]), "shop", "books")
    assert stored is not None
    assert stored.secrets["secrets"] == ["verifier-1"]
    with pytest.raises(ConfigError, match="cannot be decrypted"):
        subscriptions.load(engine, CIPHER, "shop", "books")


def test_graph_can_validate_the_endpoint_while_the_subscription_is_created(
    engine: Engine, client: TestClient
) -> None:
    """Graph posts ``validationToken`` to the URL before it answers: the endpoint must exist."""

    def create(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body or b"{}")
        path = urlsplit(body["notificationUrl"]).path
        answer = client.post(f"{path}?validationToken=Validation%3A+Testing+7")
        if (answer.status_code, answer.text) != (200, "Validation: Testing 7"):
            return 400, {}, json.dumps({"error": {"code": "ValidationError"}})
        created = {"id": "sub-9", "expirationDateTime": body["expirationDateTime"]}
        return 201, {"Content-Type": "application/json"}, json.dumps(created)

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"{GRAPH}/subscriptions", callback=create)
        outcomes = sync(engine, CIPHER, _config(ONLY_GRAPH), PUBLIC, NOW, client_for=_client)
    assert [(o.connector, o.action) for o in outcomes] == [("outlook", "opened")]
    assert states(engine) == {"outlook": "active"}
