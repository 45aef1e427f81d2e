"""OAuth2 for API connectors: encrypted token storage and refresh with rotating refresh tokens.

Tokens live in the ``credential`` table, encrypted with :class:`cryptography.fernet.MultiFernet`
under the keys in ``BUSYWORK_SECRET_KEYS`` (comma-separated Fernet keys, the first one is
used to encrypt, all of them to decrypt; :meth:`CredentialStore.rotate` re-encrypts every row
under the first key). Vendors such as Xero and QuickBooks *rotate* refresh tokens: each
refresh returns a new one and the old one soon stops working. :class:`OAuth2Authenticator`
therefore commits the new token set to the database *before* the new access token is used,
and writes with an optimistic version check so two workers refreshing at once cannot lose
a token: the one that loses the race adopts the winner's tokens.

The authorization-code flow that obtains the first tokens is in :mod:`connectors.oauth_flow`.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import Field, SecretStr
from sqlalchemy.engine import Engine

from busywork.errors import AuthError, ConfigError, FatalError
from busywork.logs import register_secret
from busywork.store.credentials import Credential
from connectors.base import ConnectorConfig
from connectors.http import HttpClient

log = logging.getLogger(__name__)
KEYS_ENV = "BUSYWORK_SECRET_KEYS"
#: Refresh this long before the access token expires, so a request never carries a dead one.
EXPIRY_MARGIN_S = 60.0


class OAuthConnectorConfig(ConnectorConfig):
    """Settings shared by connectors that authorise with OAuth2 (authorization code)."""

    client_id: str = Field(min_length=1, description="The app's client id at the vendor.")
    client_secret: SecretStr = Field(description="The app's client secret; use ${ENV}.")
    authorize_url: str = Field(default="", description="Consent page (vendor default if empty).")
    token_url: str = Field(default="", description="Token endpoint (vendor default if empty).")
    redirect_uri: str = Field(
        default="http://localhost:8765/callback",
        description="Registered redirect; `busywork connect` listens on its port.",
    )
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TokenSet:
    """Access and refresh tokens, the access token's expiry (epoch seconds) and vendor extras."""

    access_token: str
    refresh_token: str | None
    expires_at: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """The token set as JSON (only ever stored encrypted)."""
        return json.dumps(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_at": self.expires_at,
                "extra": self.extra,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        """Parse :meth:`to_json` output."""
        data = json.loads(text)
        return cls(data["access_token"], data["refresh_token"], data["expires_at"], data["extra"])

    @classmethod
    def from_response(
        cls, body: dict[str, Any], *, previous: TokenSet | None, now: float
    ) -> TokenSet:
        """Tokens from a token-endpoint response; keeps the old refresh token if none is sent."""
        try:
            access = str(body["access_token"])
        except KeyError:
            raise AuthError("the token endpoint answered without an access_token") from None
        refresh = body.get("refresh_token") or (previous.refresh_token if previous else None)
        expires_in = float(body.get("expires_in") or 3600)
        extra = dict(previous.extra) if previous else {}
        return cls(access, refresh, now + expires_in, extra)


def load_cipher(environ: dict[str, str] | None = None) -> MultiFernet:
    """The MultiFernet built from ``BUSYWORK_SECRET_KEYS``.

    Raises:
        ConfigError: the variable is missing or holds something that is not a Fernet key.
    """
    raw = (os.environ if environ is None else environ).get(KEYS_ENV, "")
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if not keys:
        raise ConfigError(
            f"{KEYS_ENV} is not set; create a key with: python -c "
            '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        )
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError:
        raise ConfigError(f"{KEYS_ENV} holds a value that is not a Fernet key") from None


class CredentialStore:
    """Encrypted token sets in the ``credential`` table, with optimistic versioning."""

    def __init__(self, engine: Engine, cipher: MultiFernet) -> None:
        self.engine = engine
        self.cipher = cipher
        self._table = Credential.__table__  # type: ignore[attr-defined]

    def load(self, business: str, connector: str) -> tuple[TokenSet, int] | None:
        """The stored tokens and their version, or None when never connected."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(self._table.c.ciphertext, self._table.c.version).where(
                    self._table.c.business == business, self._table.c.connector == connector
                )
            ).one_or_none()
        if row is None:
            return None
        try:
            tokens = TokenSet.from_json(self.cipher.decrypt(row.ciphertext.encode()).decode())
        except InvalidToken:
            raise AuthError(
                f"{connector}: stored tokens cannot be decrypted with {KEYS_ENV};"
                " was the key removed?"
            ) from None
        register_secret(tokens.access_token)
        register_secret(tokens.refresh_token)
        return tokens, int(row.version)

    def save(
        self, business: str, connector: str, tokens: TokenSet, *, expected_version: int | None
    ) -> int | None:
        """Write ``tokens``; returns the new version, or None if someone else wrote first.

        ``expected_version`` None means "create or overwrite" (a fresh ``busywork connect``).
        """
        ciphertext = self.cipher.encrypt(tokens.to_json().encode()).decode()
        now = datetime.now(UTC)
        table = self._table
        with self.engine.begin() as connection:
            if expected_version is None:
                current = connection.execute(
                    sa.select(table.c.version).where(
                        table.c.business == business, table.c.connector == connector
                    )
                ).scalar_one_or_none()
                if current is None:
                    connection.execute(
                        sa.insert(table).values(
                            business=business,
                            connector=connector,
                            ciphertext=ciphertext,
                            version=1,
                            updated_at=now,
                        )
                    )
                    return 1
                expected_version = int(current)
            updated = connection.execute(
                sa.update(table)
                .where(
                    table.c.business == business,
                    table.c.connector == connector,
                    table.c.version == expected_version,
                )
                .values(ciphertext=ciphertext, version=expected_version + 1, updated_at=now)
            ).rowcount
        return expected_version + 1 if updated else None

    def rotate(self) -> int:
        """Re-encrypt every row under the first key, in one transaction; returns the count.

        Raises:
            ConfigError: a row cannot be decrypted with any of the keys; nothing was changed.
        """
        table = self._table
        with self.engine.begin() as connection:
            rows = connection.execute(
                sa.select(table.c.business, table.c.connector, table.c.ciphertext)
                .order_by(table.c.business, table.c.connector)
                .with_for_update()
            ).all()
            for row in rows:
                try:
                    ciphertext = self.cipher.rotate(row.ciphertext.encode()).decode()
                except InvalidToken:
                    # Raised inside the transaction: every row already rewritten rolls back.
                    raise ConfigError(
                        f"{KEYS_ENV} holds no key that decrypts the stored tokens of"
                        f" {row.business}/{row.connector}; nothing was changed"
                    ) from None
                connection.execute(
                    sa.update(table)
                    .where(table.c.business == row.business, table.c.connector == row.connector)
                    .values(ciphertext=ciphertext)
                )
        return len(rows)


class OAuth2Authenticator:
    """Bearer auth from stored tokens, refreshed with the refresh-token grant when needed.

    Implements :class:`connectors.http.Authenticator`. The new token set is committed before
    the new access token is handed out, so a crash right after a refresh never loses the
    rotated refresh token.
    """

    def __init__(
        self,
        config: OAuthConnectorConfig,
        *,
        business: str,
        store: CredentialStore,
        token_url: str,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.business = business
        self.store = store
        self.token_url = token_url
        self.session = session or requests.Session()
        self._clock = clock
        self._tokens: TokenSet | None = None
        self._version: int | None = None
        #: Refreshes done (tests and logs read it).
        self.refreshes = 0
        register_secret(config.client_secret.get_secret_value())

    @property
    def tokens(self) -> TokenSet:
        """The current token set, loaded from the store on first use.

        Raises:
            AuthError: the connector was never connected.
        """
        if self._tokens is None:
            loaded = self.store.load(self.business, self.config.name)
            if loaded is None:
                raise AuthError(
                    f"{self.config.name}: not connected yet;"
                    f" run `busywork connect {self.config.name} --config FILE`"
                )
            self._tokens, self._version = loaded
        return self._tokens

    def headers(self) -> dict[str, str]:
        """The bearer header, refreshing first when the access token is (nearly) expired."""
        if self.tokens.expires_at - EXPIRY_MARGIN_S <= self._clock():
            self.refresh()
        return {"Authorization": f"Bearer {self.tokens.access_token}"}

    def refresh(self) -> bool:
        """Exchange the refresh token, persist the result, then start using it."""
        current = self.tokens
        if not current.refresh_token:
            raise AuthError(f"{self.config.name}: no refresh token stored; connect again")
        body = self.token_request(
            {"grant_type": "refresh_token", "refresh_token": current.refresh_token}
        )
        fresh = TokenSet.from_response(body, previous=current, now=self._clock())
        register_secret(fresh.access_token)
        register_secret(fresh.refresh_token)
        version = self.store.save(
            self.business, self.config.name, fresh, expected_version=self._version
        )
        if version is None:
            # Another worker refreshed first; its tokens are the valid ones now.
            self._tokens = None
            log.info("token refreshed elsewhere connector=%s action=adopted", self.config.name)
            return True
        self._tokens, self._version = fresh, version
        self.refreshes += 1
        log.info("token refreshed connector=%s action=refreshed", self.config.name)
        return True

    def token_request(self, form: dict[str, str]) -> dict[str, Any]:
        """POST ``form`` to the token endpoint with HTTP Basic client authentication.

        Raises:
            AuthError: the grant was refused (``invalid_grant``: connect again).
        """
        client = HttpClient(
            self.token_url,
            vendor=f"{self.config.name} token",
            tenant=self.business,
            session=self.session,
        )
        secret = self.config.client_secret.get_secret_value()
        try:
            response = client.request(
                "POST",
                "",
                data=form,
                auth=(self.config.client_id, secret),
                headers={"Accept": "application/json"},
            )
        except FatalError as exc:
            raise AuthError(
                f"{self.config.name}: the token endpoint refused the grant ({exc});"
                f" run `busywork connect {self.config.name}` again"
            ) from exc
        body = response.json()
        if not isinstance(body, dict):
            raise AuthError(f"{self.config.name}: unexpected token endpoint response")
        return body
