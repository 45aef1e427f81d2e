from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
import sqlalchemy as sa
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from busywork.errors import AuthError, ConfigError
from busywork.store.credentials import Credential
from connectors.http import HttpClient
from connectors.oauth import (
    CredentialStore,
    OAuth2Authenticator,
    OAuthConnectorConfig,
    TokenSet,
    load_cipher,
)
from connectors.oauth_flow import authorize

TOKEN_URL = "https://identity.vendor.test/token"
KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


class AppConfig(OAuthConnectorConfig):
    type: str = "test_oauth"


def app_config(redirect: str = "http://localhost:8765/callback") -> AppConfig:
    return AppConfig(
        name="books",
        client_id="client-1",
        client_secret=SecretStr("client-secret-xyz"),
        redirect_uri=redirect,
    )


@pytest.fixture
def store(engine: Engine) -> CredentialStore:
    return CredentialStore(engine, load_cipher({"BUSYWORK_SECRET_KEYS": KEY_A}))


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as registry:
        yield registry


def seed(store: CredentialStore, *, expires_at: float = 10_000.0) -> None:
    tokens = TokenSet("access-old-1111", "refresh-old-2222", expires_at, {"tenant": "t-1"})
    store.save("acme", "books", tokens, expected_version=None)


def test_missing_or_bad_keys_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="BUSYWORK_SECRET_KEYS is not set"):
        load_cipher({})
    with pytest.raises(ConfigError, match="not a Fernet key"):
        load_cipher({"BUSYWORK_SECRET_KEYS": "nope"})


def test_tokens_are_encrypted_at_rest(engine: Engine, store: CredentialStore) -> None:
    seed(store)
    with engine.connect() as connection:
        stored = connection.execute(sa.select(Credential.__table__.c.ciphertext)).scalar_one()  # type: ignore[attr-defined]
    assert "refresh-old-2222" not in stored
    loaded = store.load("acme", "books")
    assert loaded is not None
    assert loaded[0].refresh_token == "refresh-old-2222"
    assert loaded[0].extra == {"tenant": "t-1"}


def test_key_rotation_re_encrypts_under_the_new_key(engine: Engine, store: CredentialStore) -> None:
    seed(store)
    rotated = CredentialStore(engine, load_cipher({"BUSYWORK_SECRET_KEYS": f"{KEY_B},{KEY_A}"}))
    assert rotated.rotate() == 1
    only_new = CredentialStore(engine, load_cipher({"BUSYWORK_SECRET_KEYS": KEY_B}))
    loaded = only_new.load("acme", "books")
    assert loaded is not None
    assert loaded[0].access_token == "access-old-1111"
    with pytest.raises(AuthError, match="cannot be decrypted"):
        store.load("acme", "books")


def test_save_with_a_stale_version_is_refused(store: CredentialStore) -> None:
    seed(store)
    fresh = TokenSet("a2", "r2", 1.0)
    assert store.save("acme", "books", fresh, expected_version=1) == 2
    assert store.save("acme", "books", fresh, expected_version=1) is None


def test_expired_token_is_refreshed_and_the_rotated_one_persisted_before_use(
    store: CredentialStore, mock: responses.RequestsMock
) -> None:
    seed(store, expires_at=100.0)
    mock.post(
        TOKEN_URL,
        json={
            "access_token": "access-new-3333",
            "refresh_token": "refresh-new-4444",
            "expires_in": 1800,
        },
    )
    stored_when_used: list[str | None] = []

    def api(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        loaded = store.load("acme", "books")
        stored_when_used.append(loaded[0].refresh_token if loaded else None)
        return 200, {}, "{}"

    mock.add_callback(responses.GET, "https://api.vendor.test/x", callback=api)
    auth = OAuth2Authenticator(
        app_config(), business="acme", store=store, token_url=TOKEN_URL, clock=lambda: 1_000.0
    )
    HttpClient("https://api.vendor.test", vendor="v", tenant="t", authenticator=auth).get_json("/x")
    assert stored_when_used == ["refresh-new-4444"]
    assert mock.calls[1].request.headers["Authorization"] == "Bearer access-new-3333"
    token_request = parse_qs(str(mock.calls[0].request.body))
    assert token_request == {"grant_type": ["refresh_token"], "refresh_token": ["refresh-old-2222"]}
    loaded = store.load("acme", "books")
    assert loaded is not None
    assert loaded[0].expires_at == 2_800.0
    assert loaded[0].extra == {"tenant": "t-1"}


def test_invalid_grant_is_an_auth_error_naming_the_fix(
    store: CredentialStore, mock: responses.RequestsMock
) -> None:
    seed(store, expires_at=0.0)
    mock.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})
    auth = OAuth2Authenticator(app_config(), business="acme", store=store, token_url=TOKEN_URL)
    with pytest.raises(AuthError, match="busywork connect books") as caught:
        auth.headers()
    assert "refresh-old-2222" not in str(caught.value)


def test_losing_a_refresh_race_adopts_the_winners_tokens(
    store: CredentialStore, mock: responses.RequestsMock
) -> None:
    seed(store, expires_at=0.0)
    mock.post(TOKEN_URL, json={"access_token": "mine-5555", "refresh_token": "r-mine-6666"})
    slow = OAuth2Authenticator(app_config(), business="acme", store=store, token_url=TOKEN_URL)
    assert slow.tokens.access_token == "access-old-1111"  # loaded now, at version 1
    store.save("acme", "books", TokenSet("theirs-7777", "r-theirs-8888", 9e12), expected_version=1)
    assert slow.refresh()
    assert slow.headers() == {"Authorization": "Bearer theirs-7777"}


def test_not_connected_is_an_auth_error(store: CredentialStore) -> None:
    auth = OAuth2Authenticator(app_config(), business="acme", store=store, token_url=TOKEN_URL)
    with pytest.raises(AuthError, match="not connected yet"):
        auth.headers()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_authorization_code_flow_stores_the_tokens(
    store: CredentialStore, mock: responses.RequestsMock
) -> None:
    mock.add_passthru("http://localhost")
    mock.post(
        TOKEN_URL,
        json={"access_token": "first-aaaa", "refresh_token": "first-bbbb", "expires_in": 60},
    )
    redirect = f"http://localhost:{free_port()}/callback"
    shown: list[str] = []
    ready = threading.Event()
    outcome: list[TokenSet] = []

    def run() -> None:
        outcome.append(
            authorize(
                app_config(redirect),
                business="acme",
                store=store,
                authorize_url="https://login.vendor.test/authorize",
                token_url=TOKEN_URL,
                scopes=("read",),
                finish=lambda tokens, query: TokenSet(
                    tokens.access_token,
                    tokens.refresh_token,
                    tokens.expires_at,
                    {"realm": query["realmId"]},
                ),
                show=shown.append,
                ready=ready,
                timeout_s=20,
            )
        )

    thread = threading.Thread(target=run)
    thread.start()
    assert ready.wait(10)
    consent = parse_qs(urlsplit(shown[0]).query)
    assert consent["client_id"] == ["client-1"]
    assert consent["redirect_uri"] == [redirect]
    reply = requests.get(
        redirect,
        params={"code": "c-123", "state": consent["state"][0], "realmId": "9341"},
        timeout=10,
    )
    thread.join(20)
    assert reply.status_code == 200
    assert outcome[0].extra == {"realm": "9341"}
    exchange = parse_qs(str(mock.calls[-1].request.body))
    assert exchange["grant_type"] == ["authorization_code"]
    assert exchange["code"] == ["c-123"]
    loaded = store.load("acme", "books")
    assert loaded is not None
    assert loaded[0].refresh_token == "first-bbbb"


def test_consent_url_carries_vendor_parameters() -> None:
    from urllib.parse import parse_qs, urlsplit

    from connectors.google_calendar import GoogleCalendarConfig, GoogleCalendarConnector
    from connectors.oauth_flow import consent_url

    config = GoogleCalendarConfig(
        name="cal", client_id="id-123", client_secret="secret-456", calendar_id="primary"
    )
    url = consent_url(
        "https://auth.example/authorize",
        config,
        ("read",),
        "st",
        GoogleCalendarConnector.consent_params,
    )
    query = parse_qs(urlsplit(url).query)
    assert query["access_type"] == ["offline"]
    assert query["prompt"] == ["consent"]
    assert query["state"] == ["st"]
