"""Twenty kinds of bad request against every vendor endpoint: each gets 4xx, nothing changes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from tests.inbound.kits import KITS, NOW, Kit, genuine, install
from tests.inbound.state import due, snapshot

AUTH_HEADER = {
    "stripe": "stripe-signature",
    "quickbooks": "intuit-signature",
    "xero": "x-xero-signature",
    "calendly": "calendly-webhook-signature",
    "google": "x-goog-channel-token",
}


@dataclass
class Attempt:
    """One request to send."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def _with_client_state(body: bytes, value: str | None) -> bytes:
    """A Graph body whose clientState is ``value`` (removed when None)."""
    payload = json.loads(body)
    for item in payload["value"]:
        if value is None:
            item.pop("clientState", None)
        else:
            item["clientState"] = value
    return json.dumps(payload).encode()


def _auth(kit: Kit, attempt: Attempt, value: str | None) -> Attempt:
    """``attempt`` with its credential replaced by ``value`` (removed when None)."""
    if kit.vendor == "msgraph":
        return replace(attempt, body=_with_client_state(attempt.body, value))
    headers = dict(attempt.headers)
    headers.pop(AUTH_HEADER[kit.vendor])
    if value is not None:
        headers[AUTH_HEADER[kit.vendor]] = value
    return replace(attempt, headers=headers)


def _credential(kit: Kit, attempt: Attempt) -> str:
    if kit.vendor == "msgraph":
        return str(json.loads(attempt.body)["value"][0]["clientState"])
    return attempt.headers[AUTH_HEADER[kit.vendor]]


def _other_secret(kit: Kit) -> dict[str, object]:
    return {
        key: ([f"{v}-other" for v in value] if isinstance(value, list) else f"{value}-other")
        for key, value in kit.secrets.items()
        if key != "scope"
    } | ({"scope": kit.secrets["scope"]} if "scope" in kit.secrets else {})


def _signed(
    kit: Kit, body: bytes, when: int, secrets: dict[str, object] | None = None
) -> dict[str, str]:
    return kit.sign(dict(secrets or kit.secrets), body, when)


def _resigned_body(kit: Kit, body: bytes) -> dict[str, str]:
    """Headers genuinely signing ``body`` (for vendors whose signature covers the body)."""
    return _signed(kit, body, int(NOW.timestamp()))


def _timestamp_shift(kit: Kit, attempt: Attempt, seconds: int) -> Attempt:
    if kit.vendor in ("stripe", "calendly"):
        return replace(attempt, headers=_signed(kit, kit.body(1), int(NOW.timestamp()) + seconds))
    # No signed timestamp: a signature made over another notification instead.
    if kit.vendor == "msgraph":
        return replace(attempt, body=attempt.body.replace(b"7f105c7d", b"00000000"))
    if kit.vendor == "google":
        return replace(attempt, headers=attempt.headers | {"x-goog-channel-id": "someone-else"})
    return replace(attempt, headers=_signed(kit, kit.body(2), 0))


Mutation = Callable[[Kit, Attempt, str], Attempt]

KINDS: dict[str, Mutation] = {
    "no credential": lambda kit, a, _t: _auth(kit, a, None),
    "empty credential": lambda kit, a, _t: _auth(kit, a, ""),
    "garbage credential": lambda kit, a, _t: _auth(kit, a, "nonsense"),
    "signed with another secret": lambda kit, a, _t: (
        replace(a, body=_with_client_state(a.body, "another-client-state"))
        if kit.vendor == "msgraph"
        else replace(a, headers=_signed(kit, kit.body(1), int(NOW.timestamp()), _other_secret(kit)))
    ),
    "body changed after signing": lambda kit, a, _t: replace(
        a,
        body=(
            a.body.replace(b"7f105c7d", b"7f105c7e") if kit.vendor == "msgraph" else a.body + b" "
        ),
    ),
    "replayed an hour late": lambda kit, a, _t: _timestamp_shift(kit, a, -3600),
    "dated an hour ahead": lambda kit, a, _t: _timestamp_shift(kit, a, 3600),
    "truncated credential": lambda kit, a, _t: _auth(kit, a, _credential(kit, a)[:-4]),
    "non-ASCII credential": lambda kit, a, _t: _auth(kit, a, _credential(kit, a)[:-1] + "é"),
    "oversized body": lambda kit, a, _t: replace(
        a, body=b" " * (300 * 1024), headers=_resigned_body(kit, b" " * (300 * 1024))
    ),
    "Content-Length -1": lambda _kit, a, _t: replace(
        a, headers=a.headers | {"content-length": "-1"}
    ),
    "Content-Length abc": lambda _kit, a, _t: replace(
        a, headers=a.headers | {"content-length": "abc"}
    ),
    "malformed JSON, signed": lambda kit, a, _t: _genuinely_signed(kit, a, b'{"id": "evt_1",'),
    "JSON of the wrong shape, signed": lambda kit, a, _t: _genuinely_signed(kit, a, b"42"),
    "not UTF-8, signed": lambda kit, a, _t: _genuinely_signed(kit, a, b"\xff\xfe\x00{"),
    "unknown endpoint": lambda _kit, a, _t: replace(a, path="/hooks/" + "A" * 43),
    "another connector's endpoint": lambda _kit, a, other: replace(a, path=f"/hooks/{other}"),
    "PUT": lambda _kit, a, _t: replace(a, method="PUT"),
    "GET": lambda _kit, a, _t: replace(a, method="GET", body=b""),
    "path traversal in the token": lambda _kit, a, _t: replace(a, path="/hooks/..%2F..%2Fhealthz"),
}


def _genuinely_signed(kit: Kit, attempt: Attempt, body: bytes) -> Attempt:
    if kit.vendor == "msgraph":
        return replace(attempt, body=body)
    if kit.vendor == "google":
        return replace(attempt, body=body)  # Google never sends a body
    return replace(attempt, body=body, headers=_resigned_body(kit, body))


def test_there_are_twenty_kinds() -> None:
    assert len(KINDS) == 20


@pytest.mark.parametrize("vendor", sorted(KITS))
def test_every_bad_request_is_4xx_and_changes_nothing(
    engine: Engine, client: TestClient, vendor: str
) -> None:
    kit = KITS[vendor]
    token = install(engine, kit)
    other_kit = replace(kit, secrets=_other_secret(kit))
    other = install(engine, other_kit, connector="calendar")
    headers, body = genuine(kit)
    base = Attempt("POST", f"/hooks/{token}", headers, body)
    before = snapshot(engine)
    wrong = []
    for name, mutate in KINDS.items():
        attempt = mutate(kit, base, other)
        answer = client.request(
            attempt.method,
            attempt.path,
            headers={key: value.encode() for key, value in attempt.headers.items()},
            content=attempt.body,
        )
        if not 400 <= answer.status_code < 500:
            wrong.append(f"{name}: {answer.status_code} {answer.content[:40]!r}")
        elif snapshot(engine) != before:
            wrong.append(f"{name}: changed the store")
    assert wrong == []
    # The control: the unbroken request is accepted and makes only its connector due.
    answer = client.post(f"/hooks/{token}", headers=headers, content=body)
    assert answer.status_code in (200, 202)
    assert due(engine) == {"books": NOW}
