"""The OAuth2 authorization-code flow behind ``busywork connect``: consent URL, redirect, exchange.

:func:`authorize` prints the vendor's consent URL, serves one request on the localhost
redirect URI to receive the code (checking ``state``), exchanges the code for tokens, lets the
connector add what it learns at connect time (a QuickBooks ``realmId``, a Xero tenant id) and
stores the encrypted tokens. Nothing is sent anywhere but the vendor's endpoints.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from busywork.errors import AuthError, ConfigError
from busywork.logs import register_secret
from busywork.store.db import open_store
from connectors.oauth import (
    CredentialStore,
    OAuth2Authenticator,
    OAuthConnectorConfig,
    TokenSet,
    load_cipher,
)
from connectors.registry import get_connector

#: How long to wait for the browser to come back to the redirect URI.
REDIRECT_TIMEOUT_S = 300.0
_PAGE = b"<html><body><p>Busywork is connected. You can close this window.</p></body></html>"


def consent_url(
    authorize_url: str,
    config: OAuthConnectorConfig,
    scopes: tuple[str, ...],
    state: str,
    extra: Mapping[str, str] | None = None,
) -> str:
    """The URL the business owner opens to grant access.

    ``extra`` carries vendor-specific parameters (Google issues a refresh token only with
    ``access_type=offline``).
    """
    query = urlencode(
        {
            "response_type": "code",
            "client_id": config.client_id,
            "redirect_uri": config.redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
            **(extra or {}),
        }
    )
    return f"{authorize_url}?{query}"


def _catcher(
    expected_path: str, received: dict[str, dict[str, str]]
) -> type[BaseHTTPRequestHandler]:
    class Catcher(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != expected_path:
                self.send_error(404)
                return
            received["query"] = dict(parse_qsl(parts.query))
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(_PAGE)

        def log_message(self, format: str, *args: Any) -> None:
            # The query string carries the authorization code: never log it.
            return

    return Catcher


def wait_for_redirect(
    redirect_uri: str,
    *,
    timeout_s: float = REDIRECT_TIMEOUT_S,
    ready: threading.Event | None = None,
) -> dict[str, str]:
    """Serve the redirect URI on localhost until the vendor's redirect arrives; its query.

    Raises:
        ConfigError: the redirect URI is not a plain http URL on localhost.
        AuthError: nothing arrived within ``timeout_s``.
    """
    parts = urlsplit(redirect_uri)
    if parts.scheme != "http" or parts.hostname not in ("localhost", "127.0.0.1"):
        raise ConfigError(f"redirect_uri {redirect_uri!r} must be http://localhost:PORT/PATH")
    received: dict[str, dict[str, str]] = {}
    server = HTTPServer(("127.0.0.1", parts.port or 80), _catcher(parts.path or "/", received))
    server.timeout = 1.0
    if ready is not None:
        ready.set()
    deadline = time.monotonic() + timeout_s
    try:
        while "query" not in received and time.monotonic() < deadline:
            server.handle_request()
    finally:
        server.server_close()
    if "query" not in received:
        raise AuthError(f"no redirect arrived at {redirect_uri} within {timeout_s:.0f}s")
    return received["query"]


def authorize(
    config: OAuthConnectorConfig,
    *,
    business: str,
    store: CredentialStore,
    authorize_url: str,
    token_url: str,
    scopes: tuple[str, ...],
    finish: Callable[[TokenSet, dict[str, str]], TokenSet] | None = None,
    show: Callable[[str], None] = print,
    session: requests.Session | None = None,
    timeout_s: float = REDIRECT_TIMEOUT_S,
    ready: threading.Event | None = None,
    extra_consent: Mapping[str, str] | None = None,
) -> TokenSet:
    """Run the whole flow and store the tokens; returns them.

    ``finish`` adds connector-specific extras (e.g. the tenant id) to the new tokens, ``show``
    prints the consent URL, ``ready`` is set once the redirect listener is bound.

    Raises:
        AuthError: the owner refused, ``state`` did not match, or the exchange failed.
    """
    state = secrets.token_urlsafe(24)
    show(consent_url(authorize_url, config, scopes, state, extra_consent))
    query = wait_for_redirect(config.redirect_uri, timeout_s=timeout_s, ready=ready)
    if "error" in query:
        raise AuthError(f"{config.name}: access was not granted ({query['error']})")
    if query.get("state") != state or "code" not in query:
        raise AuthError(f"{config.name}: the redirect did not match this request; try again")
    exchanger = OAuth2Authenticator(
        config, business=business, store=store, token_url=token_url, session=session
    )
    body = exchanger.token_request(
        {
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": config.redirect_uri,
        }
    )
    tokens = TokenSet.from_response(body, previous=None, now=time.time())
    if finish is not None:
        tokens = finish(tokens, query)
    store.save(business, config.name, tokens, expected_version=None)
    return tokens


def connect(app_config: Any, name: str, *, show: Callable[[str], None] = print) -> TokenSet:
    """``busywork connect NAME``: authorise the OAuth connector ``name`` of ``app_config``.

    The connector class supplies its default ``authorize_url``, ``token_url`` and ``scopes``
    and may define ``finish_connect(config, tokens, query, session)`` to add extras.

    Raises:
        ConfigError: no such connector, or it does not use OAuth.
    """
    entry, cls = _oauth_entry(app_config, name)
    cipher = load_cipher()
    session = requests.Session()
    engine = open_store(app_config.storage.url)
    finish_connect = getattr(cls, "finish_connect", None)
    try:
        return authorize(
            entry,
            business=app_config.business.id,
            store=CredentialStore(engine, cipher),
            authorize_url=entry.authorize_url or str(getattr(cls, "authorize_url", "")),
            token_url=entry.token_url or str(getattr(cls, "token_url", "")),
            scopes=entry.scopes or tuple(getattr(cls, "scopes", ())),
            finish=(
                None
                if finish_connect is None
                else lambda tokens, query: finish_connect(entry, tokens, query, session)
            ),
            show=show,
            session=session,
            extra_consent=getattr(cls, "consent_params", None),
        )
    finally:
        engine.dispose()


def adopt_refresh_token(
    app_config: Any,
    name: str,
    refresh_token: str,
    *,
    session: requests.Session | None = None,
    now: Callable[[], float] = time.time,
) -> TokenSet:
    """``busywork connect NAME --refresh-token-stdin``: connect a headless server.

    The refresh token (obtained elsewhere, e.g. by ``busywork connect`` on a laptop or the
    vendor's OAuth playground) is exchanged once, which proves it works and yields the
    rotated one; the connector then adds its extras as after a browser consent and the
    tokens are stored encrypted, exactly as :func:`connect` stores them.

    Raises:
        ConfigError: no such connector, or it does not use OAuth, or the token is empty.
        AuthError: the token endpoint refused the token.
    """
    refresh_token = refresh_token.strip()
    if not refresh_token:
        raise ConfigError(f"{name}: no refresh token on standard input")
    register_secret(refresh_token)
    entry, cls = _oauth_entry(app_config, name)
    cipher = load_cipher()
    session = session or requests.Session()
    engine = open_store(app_config.storage.url)
    try:
        store = CredentialStore(engine, cipher)
        exchanger = OAuth2Authenticator(
            entry,
            business=app_config.business.id,
            store=store,
            token_url=entry.token_url or str(getattr(cls, "token_url", "")),
            session=session,
        )
        body = exchanger.token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}
        )
        given = TokenSet(access_token="", refresh_token=refresh_token, expires_at=0.0)
        tokens = TokenSet.from_response(body, previous=given, now=now())
        register_secret(tokens.access_token)
        register_secret(tokens.refresh_token)
        finish_connect = getattr(cls, "finish_connect", None)
        if finish_connect is not None:
            tokens = finish_connect(entry, tokens, {}, session)
        store.save(app_config.business.id, entry.name, tokens, expected_version=None)
        return tokens
    finally:
        engine.dispose()


def _oauth_entry(app_config: Any, name: str) -> tuple[OAuthConnectorConfig, Any]:
    """The OAuth connector ``name`` of ``app_config`` and its class."""
    entry = next((c for c in app_config.connectors if c.name == name), None)
    if entry is None:
        names = ", ".join(c.name for c in app_config.connectors) or "none"
        raise ConfigError(f"no connector named {name!r}; connectors: {names}")
    cls = get_connector(entry.type)
    if not isinstance(entry, OAuthConnectorConfig) or not hasattr(cls, "token_url"):
        raise ConfigError(f"connector {name!r} ({entry.type}) does not use OAuth; nothing to do")
    return entry, cls
