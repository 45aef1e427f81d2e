"""Config and clock builders for delivery tests."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from config.loader import parse_config
from config.models import AppConfig

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
BASE = """\
business: {{id: shop, name: Shop, timezone: Europe/London, currency: GBP}}
storage: {{url: "sqlite:///store.db"}}
{connectors}goals:
  - {{id: time, name: Less admin, objective: owner_time}}
  - {{id: cash, name: Cash, objective: cash_flow}}
delivery:
  stdout: false
  allow_private_addresses: {private}
{blocks}
"""


def webhook_block(url: str, *, mode: str = "immediate", extra: str = "") -> str:
    return (
        "  webhooks:\n"
        f"    - name: crm\n      url: {url}\n      secret: ${{HOOK_SECRET}}\n"
        f"      mode: {mode}\n{extra}"
    )


def email_block(port: int, *, ca: Path | None = None, mode: str = "digest") -> str:
    ca_line = f"    ca_file: {ca}\n" if ca else ""
    security = "starttls" if ca else "none"
    return (
        "  email:\n"
        f"    host: 127.0.0.1\n    port: {port}\n    security: {security}\n{ca_line}"
        "    from_address: busywork@shop.example\n"
        "    recipients: [owner@shop.example]\n"
        f"    mode: {mode}\n"
    )


CSV_CONNECTOR = "connectors:\n  - {name: exports, type: csv, path: data, interval: 1h}\n"


def make_config(
    *blocks: str, private: bool = True, base_dir: Path | None = None, connectors: str = ""
) -> AppConfig:
    text = BASE.format(private=str(private).lower(), blocks="".join(blocks), connectors=connectors)
    return parse_config(text, base_dir=base_dir, environ={"HOOK_SECRET": SECRET})


@dataclass
class Clock:
    """A clock tests move by hand."""

    now: datetime = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
