"""Each vendor's verification against that vendor's own documented examples."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import stripe
import yaml

from busywork.inbound.vendors import calendly, google, msgraph, quickbooks, xero
from busywork.inbound.vendors import stripe as stripe_vendor
from busywork.inbound.vendors.base import Notification
from tests.inbound.kits import NOW, b64_hmac, hex_hmac

VENDOR = Path(__file__).resolve().parents[2] / ".." / "shared" / "vendor"


def _note(
    body: bytes,
    headers: dict[str, str],
    *,
    query: dict[str, str] | None = None,
    now: datetime = NOW,
) -> Notification:
    return Notification("POST", headers, query or {}, body, now)


def _spec(*parts: str) -> Any:
    path = VENDOR.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"{path.name} is not in the shared vendor folder")
    return yaml.load(path.read_text(), Loader=yaml.BaseLoader)  # BaseLoader: no timestamp parsing


# -- QuickBooks: Intuit's own Java SDK test vector (WebhooksServiceTest) --------------------

INTUIT_TOKEN = "b5771f19b12ddb4bcdb9f08bdc50bc63878a"
INTUIT_SIGNATURE = "JC2GUwciPmRBwEO7WvrRmKqu9tGOKL8FFallocTFi8Q="
INTUIT_PAYLOAD = (
    b'{"eventNotifications":[{"realmId":"1185883450","dataChangeEvent":{"entities":[{"name":'
    b'"Customer","id":"1","operation":"Create","lastUpdated":"2015-10-05T14:42:19-0700"}]}}]}'
)
INTUIT_CLOUDEVENTS = (
    b'[{"specversion":"1.0","id":"d1a3aedd-9670-41bf-a4f9-c148a1cc4e03","source":"intuit.dsnBg'
    b'bseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=","type":"qbo.class.created.v1","time":"2025-10-'
    b'07T19:59:07.034359333Z","intuitentityid":"1234","intuitaccountid":"310687"}]'
)


def test_quickbooks_accepts_intuits_documented_signature() -> None:
    verdict = quickbooks.verify(
        _note(INTUIT_PAYLOAD, {"intuit-signature": INTUIT_SIGNATURE}),
        {"secrets": [INTUIT_TOKEN], "scope": "1185883450"},
    )
    assert (verdict.status, verdict.poll, len(verdict.event_ids)) == (200, True, 1)


def test_quickbooks_refuses_intuits_documented_bad_signature() -> None:
    verdict = quickbooks.verify(
        _note(INTUIT_PAYLOAD, {"intuit-signature": "1234"}), {"secrets": [INTUIT_TOKEN]}
    )
    assert verdict.status == 401


def test_quickbooks_cloudevents_for_another_company_ask_for_nothing() -> None:
    headers = {"intuit-signature": b64_hmac(INTUIT_TOKEN, INTUIT_CLOUDEVENTS)}
    mine = quickbooks.verify(
        _note(INTUIT_CLOUDEVENTS, headers), {"secrets": [INTUIT_TOKEN], "scope": "310687"}
    )
    other = quickbooks.verify(
        _note(INTUIT_CLOUDEVENTS, headers), {"secrets": [INTUIT_TOKEN], "scope": "1185883450"}
    )
    assert (mine.status, mine.poll) == (200, True)
    assert (other.status, other.poll) == (200, False)


# -- Xero: the webhooks spec's own example and the intent-to-receive protocol -----------------

XERO_KEY = "xero-webhook-key-0123456789abcdef"


def test_xero_accepts_the_specs_credit_note_example_for_its_tenant() -> None:
    spec = _spec("xero", "xero-webhooks.yaml")
    example = spec["webhooks"]["creditNotes"]["post"]["requestBody"]["content"]["application/json"][
        "examples"
    ]["creditNoteCreate"]["value"]
    body = json.dumps(example).encode()
    headers = {"x-xero-signature": b64_hmac(XERO_KEY, body)}
    tenant = example["events"][0]["tenantId"]
    verdict = xero.verify(_note(body, headers), {"secrets": [XERO_KEY], "scope": tenant})
    assert (verdict.status, verdict.poll, len(verdict.event_ids)) == (200, True, 1)
    elsewhere = xero.verify(_note(body, headers), {"secrets": [XERO_KEY], "scope": "other"})
    assert (elsewhere.status, elsewhere.poll) == (200, False)


def test_xero_intent_to_receive_200_when_signed_401_when_not() -> None:
    body = b'{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"S0m3r4Nd0mt3xt"}'
    good = xero.verify(
        _note(body, {"x-xero-signature": b64_hmac(XERO_KEY, body)}), {"secrets": [XERO_KEY]}
    )
    bad = xero.verify(
        _note(body, {"x-xero-signature": b64_hmac("not-the-key", body)}), {"secrets": [XERO_KEY]}
    )
    assert (good.status, good.body, good.poll) == (200, "", False)
    assert (bad.status, bad.body) == (401, "")


# -- Calendly: the OpenAPI's own webhook payload example, signed as its guide says ----------------


def test_calendly_accepts_the_specs_invitee_created_example() -> None:
    spec = _spec("calendly", "openapi.yaml")
    example = spec["components"]["schemas"]["WebhookPayload"]["x-examples"]["Invitee Created"]
    body = json.dumps(example).encode()
    key = "calendly-signing-key"
    when = int(NOW.timestamp())
    header = f"t={when},v1={hex_hmac(key, f'{when}.'.encode() + body)}"
    verdict = calendly.verify(
        _note(body, {"calendly-webhook-signature": header}), {"secrets": [key]}
    )
    assert (verdict.status, verdict.poll) == (200, True)
    stale = calendly.verify(
        _note(
            body,
            {"calendly-webhook-signature": header},
            now=datetime.fromtimestamp(when + calendly.TOLERANCE_SECONDS + 1, UTC),
        ),
        {"secrets": [key]},
    )
    assert stale.status == 401


# -- Stripe: our verification agrees with the stripe package on the same payloads ------------

SECRET, ROTATED = "whsec_agreement_new_0123456789", "whsec_agreement_old_0123456789"


def _stripe_cases(now: int) -> list[tuple[str, bytes, str]]:
    body = b'{"id":"evt_1","object":"event","type":"invoice.paid"}'
    sig = hex_hmac(SECRET, f"{now}.".encode() + body)
    old = hex_hmac(ROTATED, f"{now}.".encode() + body)
    return [
        ("valid", body, f"t={now},v1={sig}"),
        ("two signatures, one valid", body, f"t={now},v1={'0' * 64},v1={sig}"),
        ("signed by the old secret only", body, f"t={now},v1={old}"),
        ("v0 only", body, f"t={now},v0={sig}"),
        ("tampered body", body + b" ", f"t={now},v1={sig}"),
        ("too old", body, f"t={now - 301},v1={hex_hmac(SECRET, f'{now - 301}.'.encode() + body)}"),
        (
            "from the future",
            body,
            f"t={now + 301},v1={hex_hmac(SECRET, f'{now + 301}.'.encode() + body)}",
        ),
        ("no timestamp", body, f"v1={sig}"),
        ("garbage", body, "nonsense"),
        ("empty", body, ""),
        ("upper-case hex", body, f"t={now},v1={sig.upper()}"),
    ]


@pytest.mark.parametrize("case", range(11))
def test_stripe_verification_agrees_with_the_stripe_package(case: int) -> None:
    now = int(time.time())  # the package reads the wall clock; both sides use the same one
    name, body, header = _stripe_cases(now)[case]
    try:
        stripe.WebhookSignature.verify_header(body.decode(), header, SECRET, tolerance=300)
        theirs = True
    except stripe.SignatureVerificationError:
        theirs = False
    ours = stripe_vendor.verify(
        _note(body, {"stripe-signature": header}, now=datetime.fromtimestamp(now, UTC)),
        {"secrets": [SECRET]},
    )
    if name == "from the future":
        # Deliberately stricter: the package only refuses old timestamps; a signature dated
        # five minutes ahead is as suspect as one five minutes old (Standard Webhooks: ±5 min).
        assert (theirs, ours.accepted) == (True, False)
    else:
        assert ours.accepted == theirs, name


def test_stripe_accepts_the_previous_secret_during_rotation() -> None:
    now = int(NOW.timestamp())
    body = b'{"id":"evt_2","object":"event","type":"charge.refunded"}'
    header = f"t={now},v1={hex_hmac(ROTATED, f'{now}.'.encode() + body)}"
    verdict = stripe_vendor.verify(
        _note(body, {"stripe-signature": header}), {"secrets": [SECRET, ROTATED]}
    )
    assert (verdict.status, verdict.event_ids) == (200, ("evt_2",))


def test_stripe_events_the_connector_does_not_read_are_acknowledged_only() -> None:
    now = int(NOW.timestamp())
    body = b'{"id":"evt_3","object":"event","type":"payout.paid"}'
    header = f"t={now},v1={hex_hmac(SECRET, f'{now}.'.encode() + body)}"
    verdict = stripe_vendor.verify(_note(body, {"stripe-signature": header}), {"secrets": [SECRET]})
    assert (verdict.status, verdict.poll) == (200, False)


# -- Google: the push guide's notification headers --------------------------------------------

GOOGLE = {
    "channel_id": "4ba78bf0-6a47-11e2-bcfd-0800200c9a66",
    "channel_token": "398348u3tu83ut8uu38",
    "resource_id": "ret08u3rv24htgh289g",
}


def _google(state: str, number: str = "10") -> dict[str, str]:
    # The guide's example: X-Goog-Channel-ID 4ba78bf0-…, token 398348u3tu83ut8uu38, …
    return {
        "x-goog-channel-id": GOOGLE["channel_id"],
        "x-goog-channel-token": GOOGLE["channel_token"],
        "x-goog-channel-expiration": "Tue, 19 Nov 2013 01:13:52 GMT",
        "x-goog-resource-id": GOOGLE["resource_id"],
        "x-goog-resource-uri": "https://www.googleapis.com/calendar/v3/calendars/my_calendar@gmail.com/events",
        "x-goog-resource-state": state,
        "x-goog-message-number": number,
    }


def test_google_sync_confirms_the_channel_and_exists_asks_for_a_poll() -> None:
    sync = google.verify(_note(b"", _google("sync", "1")), GOOGLE)
    exists = google.verify(_note(b"", _google("exists")), GOOGLE)
    gone = google.verify(_note(b"", _google("not_exists", "11")), GOOGLE)
    assert (sync.status, sync.poll, sync.state) == (200, False, "active")
    assert (exists.status, exists.poll) == (200, True)
    assert (gone.status, gone.poll) == (200, True)
    assert exists.event_ids != gone.event_ids


def test_google_refuses_another_channels_token() -> None:
    headers = _google("exists") | {"x-goog-channel-token": "guessed"}
    assert google.verify(_note(b"", headers), GOOGLE).status == 401


# -- Microsoft Graph: validation echo, clientState, lifecycle ---------------------------------

GRAPH = {
    "client_state": "secretClientValue",
    "subscription_id": "7f105c7d-2dc5-4530-97cd-4e7ae6534c07",
}


def test_graph_echoes_the_validation_token_as_plain_text() -> None:
    token = "Validation: Testing client application reachability for subscription Request-Id: 9f8a"
    verdict = msgraph.verify(_note(b"", {}, query={"validationToken": token}), GRAPH)
    assert (verdict.status, verdict.body, verdict.content_type.split(";")[0]) == (
        200,
        token,
        "text/plain",
    )


def test_graph_lifecycle_notifications_move_the_subscription() -> None:
    def lifecycle(event: str) -> bytes:
        return json.dumps(
            {
                "value": [
                    {
                        "subscriptionId": GRAPH["subscription_id"],
                        "subscriptionExpirationDateTime": "2026-11-26T10:00:00.0000000Z",
                        "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95",
                        "clientState": "secretClientValue",
                        "lifecycleEvent": event,
                    }
                ]
            }
        ).encode()

    renew = msgraph.verify(_note(lifecycle("reauthorizationRequired"), {}), GRAPH)
    missed = msgraph.verify(_note(lifecycle("missed"), {}), GRAPH)
    removed = msgraph.verify(_note(lifecycle("subscriptionRemoved"), {}), GRAPH)
    assert (renew.state, renew.poll) == ("renew", False)
    assert (missed.state, missed.poll) == (None, True)
    assert (removed.state, removed.poll) == ("lost", True)


def test_graph_refuses_a_wrong_client_state() -> None:
    body = json.dumps(
        {
            "value": [
                {
                    "subscriptionId": GRAPH["subscription_id"],
                    "clientState": "guess",
                    "changeType": "updated",
                }
            ]
        }
    ).encode()
    assert msgraph.verify(_note(body, {}), GRAPH).status == 401
