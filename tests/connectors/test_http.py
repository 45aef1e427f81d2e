from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
import requests
import responses

from busywork.errors import AuthError, FatalError, RetriableError
from connectors.http import (
    BearerToken,
    HttpClient,
    RetryPolicy,
    TokenBucket,
    limiter_for,
    parse_retry_after,
)

BASE = "https://api.vendor.test"
SECRET = "sk_test_0123456789abcdef"


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as registry:
        yield registry


def client(sleeps: list[float] | None = None, **kwargs: object) -> HttpClient:
    return HttpClient(
        BASE,
        vendor="vendor",
        tenant="t1",
        authenticator=BearerToken(SECRET),
        sleep=(sleeps.append if sleeps is not None else lambda _s: None),
        rand=lambda: 0.5,
        **kwargs,  # type: ignore[arg-type]
    )


class Refreshing:
    def __init__(self) -> None:
        self.token = "old-token-1234"
        self.refreshed = 0

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def refresh(self) -> bool:
        self.refreshed += 1
        self.token = "new-token-5678"
        return True


def test_every_request_has_a_timeout_and_the_auth_header(mock: responses.RequestsMock) -> None:
    seen: list[float | tuple[float, float] | None] = []

    class Recording(requests.Session):
        def request(self, *args: object, **kwargs: object) -> requests.Response:  # type: ignore[override]
            seen.append(kwargs["timeout"])  # type: ignore[arg-type]
            return super().request(*args, **kwargs)  # type: ignore[arg-type]

    mock.get(f"{BASE}/x", json={"ok": True})
    assert client(session=Recording(), timeout_s=12.5).get_json("/x") == {"ok": True}
    assert seen == [12.5]
    assert mock.calls[0].request.headers["Authorization"] == f"Bearer {SECRET}"


def test_429_honours_retry_after(mock: responses.RequestsMock) -> None:
    mock.get(f"{BASE}/x", status=429, headers={"Retry-After": "3"})
    mock.get(f"{BASE}/x", json=[1])
    sleeps: list[float] = []
    assert client(sleeps).get_json("/x") == [1]
    assert sleeps == [3.0]


def test_5xx_backs_off_exponentially_with_jitter_then_gives_up(
    mock: responses.RequestsMock,
) -> None:
    for _ in range(4):
        mock.get(f"{BASE}/x", status=503)
    sleeps: list[float] = []
    http = client(sleeps, retry=RetryPolicy(max_attempts=4, base_delay_s=2))
    with pytest.raises(RetriableError, match="HTTP 503"):
        http.get_json("/x")
    assert sleeps == [1.0, 2.0, 4.0]  # rand() = 0.5 times 2, 4, 8
    assert http.requests_sent == 4


def test_connection_errors_are_retriable(mock: responses.RequestsMock) -> None:
    mock.get(f"{BASE}/x", body=requests.ConnectionError("reset"))
    mock.get(f"{BASE}/x", json={})
    assert client().get_json("/x") == {}


def test_a_very_long_retry_after_ends_the_poll(mock: responses.RequestsMock) -> None:
    mock.get(f"{BASE}/x", status=429, headers={"Retry-After": "86400"})
    with pytest.raises(RetriableError) as caught:
        client().get_json("/x")
    assert caught.value.retry_after == 86400


def test_401_refreshes_once_then_succeeds(mock: responses.RequestsMock) -> None:
    mock.get(f"{BASE}/x", status=401)
    mock.get(f"{BASE}/x", json={"ok": 1})
    auth = Refreshing()
    http = HttpClient(BASE, vendor="v", tenant="t", authenticator=auth)
    assert http.get_json("/x") == {"ok": 1}
    assert auth.refreshed == 1
    assert mock.calls[1].request.headers["Authorization"] == "Bearer new-token-5678"


def test_401_after_refresh_is_an_auth_error(mock: responses.RequestsMock) -> None:
    mock.get(f"{BASE}/x", status=401)
    mock.get(f"{BASE}/x", status=403)
    with pytest.raises(AuthError, match="HTTP 403"):
        HttpClient(BASE, vendor="v", tenant="t", authenticator=Refreshing()).get_json("/x")


def test_other_4xx_is_fatal_and_redacted(mock: responses.RequestsMock) -> None:
    mock.get(f"{BASE}/x", status=400, json={"error": {"message": f"bad key {SECRET}"}})
    with pytest.raises(FatalError) as caught:
        client().get_json("/x", params={"access_token": "abc123secret"})
    message = str(caught.value)
    assert "HTTP 400" in message
    assert SECRET not in message
    assert "abc123secret" not in message


def test_retry_log_lines_are_redacted(
    mock: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    mock.get(f"{BASE}/x", status=500, json={"message": f"token={SECRET}"})
    mock.get(f"{BASE}/x", json={})
    with caplog.at_level(logging.INFO, logger="connectors.http"):
        client().get_json("/x")
    assert "action=retry" in caplog.text
    assert SECRET not in caplog.text


def test_body_that_is_not_json_is_retriable(mock: responses.RequestsMock) -> None:
    mock.get(f"{BASE}/x", body="<html>")
    with pytest.raises(RetriableError, match="not JSON"):
        client().get_json("/x")


def test_parse_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_token_bucket_spaces_requests_after_the_burst() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(2.0, 2.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(6):
        bucket.acquire()
    assert waits == pytest.approx([0.5, 0.5, 0.5, 0.5])


def test_token_bucket_is_safe_across_threads() -> None:
    clock = [0.0]
    lock = threading.Lock()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        with lock:
            slept.append(seconds)

    bucket = TokenBucket(10.0, 1.0, clock=lambda: clock[0], sleep=sleep)
    threads = [threading.Thread(target=bucket.acquire) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # One free token, then every caller waits for a distinct later slot.
    assert sorted(slept) == pytest.approx([n / 10 for n in range(1, 20)])


def test_limiters_are_shared_per_vendor_and_tenant() -> None:
    assert limiter_for("xero", "t1", 1) is limiter_for("xero", "t1", 1)
    assert limiter_for("xero", "t1", 1) is not limiter_for("xero", "t2", 1)
    assert limiter_for("xero", "t1", 1) is not limiter_for("stripe", "t1", 1)
