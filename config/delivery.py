"""Where recommendations go, as configured: stdout, a JSON file, email, signed webhooks.

Part of the configuration schema (:mod:`config.models`, whose ``delivery`` section this is):
each channel's policy (immediately or as a digest on a cron schedule, quiet hours, a minimum
score), the SMTP relay, the webhook endpoints and their secrets, and the signed links in
emails.
"""

from __future__ import annotations

import base64
import binascii
from datetime import time
from pathlib import Path

from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator

from config.base import SLUG, Frozen, config_relative, repeated


class QuietHours(Frozen):
    """A daily window (business timezone) in which nothing is sent; may span midnight."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        """Whether ``moment`` (a local time of day) falls in the window."""
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


class ChannelPolicy(Frozen):
    """When a channel sends: every new high-score finding, or a digest on a cron schedule."""

    mode: str = Field(default="digest", pattern=r"^(immediate|digest)$")
    schedule: str = Field(
        default="0 8 * * mon", description="Cron fields (min hour day month weekday), local time."
    )
    min_score: float = Field(default=0.0, ge=0, le=100)
    quiet_hours: QuietHours | None = None
    max_items: int = Field(default=10, ge=1, le=100, description="Cap per digest.")

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError as exc:
            raise ValueError(
                f"{value!r} is not a cron schedule like '0 8 * * mon': {exc}"
            ) from None
        return value


class EmailConfig(ChannelPolicy):
    """Recommendations by email over SMTP."""

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    security: str = Field(
        default="starttls",
        pattern=r"^(starttls|tls|none)$",
        description="starttls (587), tls = implicit TLS (465), none only for a local relay.",
    )
    username: str | None = None
    password: SecretStr | None = None
    ca_file: Path | None = Field(default=None, description="Extra CA bundle for a private relay.")
    from_address: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    recipients: tuple[str, ...] = Field(min_length=1)
    timeout_seconds: float = Field(default=30.0, gt=0, le=300)

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        wrong = [address for address in value if "@" not in address or " " in address]
        if wrong:
            raise ValueError(f"{wrong[0]!r} is not an email address")
        return value

    @field_validator("ca_file")
    @classmethod
    def _relative_ca(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return config_relative(value, info)

    @model_validator(mode="after")
    def _credentials(self) -> EmailConfig:
        if (self.username is None) != (self.password is None):
            raise ValueError("give both username and password, or neither")
        if self.password is not None and self.security == "none":
            raise ValueError("a password is never sent without TLS; use starttls or tls")
        return self


class WebhookConfig(ChannelPolicy):
    """One webhook endpoint, signed per the Standard Webhooks spec."""

    name: str = Field(pattern=SLUG)
    url: str = Field(pattern=r"^https?://")
    secret: SecretStr
    mode: str = Field(default="immediate", pattern=r"^(immediate|digest)$")

    @field_validator("secret")
    @classmethod
    def _whsec(cls, value: SecretStr) -> SecretStr:
        text = value.get_secret_value()
        if not text.startswith("whsec_"):
            raise ValueError("the secret must look like whsec_<base64>")
        try:
            raw = base64.b64decode(text.removeprefix("whsec_"), validate=True)
        except binascii.Error:
            raise ValueError("the secret after whsec_ is not valid base64") from None
        if not 24 <= len(raw) <= 64:
            raise ValueError("the secret must decode to 24-64 random bytes")
        return value


class LinksConfig(Frozen):
    """Signed links in emails (feedback, one-click unsubscribe), answered by ``busywork serve``."""

    base_url: str = Field(pattern=r"^https?://", description="Where ``busywork serve`` is reached.")
    secret: SecretStr = Field(description="Signs every link; at least 16 characters.")

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("the link secret must be at least 16 characters")
        return value


class DeliveryConfig(Frozen):
    """Where recommendations go: stdout, a JSON file, email and signed webhooks."""

    stdout: bool = Field(
        default=True,
        description="Print the ranked table after a scan, and from `busywork run` whenever"
        " findings change.",
    )
    json_file: Path | None = Field(
        default=None, description="Write the JSON document here after each scan."
    )
    min_score: float = Field(
        default=0.0, ge=0, description="Leave out recommendations scoring below this."
    )
    email: EmailConfig | None = None
    webhooks: tuple[WebhookConfig, ...] = ()
    links: LinksConfig | None = None
    allow_private_addresses: bool = Field(
        default=False, description="Let webhooks reach private/loopback hosts (tests, LANs)."
    )

    @field_validator("webhooks")
    @classmethod
    def _unique_webhooks(cls, value: tuple[WebhookConfig, ...]) -> tuple[WebhookConfig, ...]:
        duplicate = repeated([hook.name for hook in value])
        if duplicate:
            raise ValueError(f"webhook name {duplicate!r} is used twice")
        return value

    @field_validator("json_file")
    @classmethod
    def _relative(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return config_relative(value, info)
