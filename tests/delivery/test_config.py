"""The delivery section of the YAML: both channels, secrets from the environment, clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from busywork.errors import ConfigError
from busywork.logs import redact
from config.loader import parse_config
from tests.delivery.configs import SECRET

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example.yaml"
ENV = {
    "SMTP_PASSWORD": "smtp-pa55word",
    "BUSYWORK_LINK_SECRET": "a-long-link-secret",
    "BUSYWORK_WEBHOOK_SECRET": SECRET,
}
HEAD = "business: {id: shop, name: Shop, currency: GBP}\ndelivery:\n"


def test_the_documented_channel_blocks_are_valid() -> None:
    # The example ships them commented out; uncomment the keys (not the prose) and load.
    head, tail = EXAMPLE.read_text(encoding="utf-8").split("\ndelivery:", 1)
    text = head + "\ndelivery:" + re.sub(r"(?m)^  # ( *)([a-z_]+:|- )", r"  \1\2", tail)
    config = parse_config(text, base_dir=EXAMPLE.parent, environ=ENV)

    email, [hook] = config.delivery.email, config.delivery.webhooks
    assert email is not None
    assert (email.mode, email.schedule, email.security) == ("digest", "0 8 * * mon", "starttls")
    assert email.recipients == ("owner@example.com", "bookkeeper@example.com")
    assert email.password is not None
    assert email.password.get_secret_value() == "smtp-pa55word"
    assert "smtp-pa55word" not in repr(config)
    assert redact("login failed for smtp-pa55word") == "login failed for ***"
    assert (hook.name, hook.mode, hook.min_score) == ("crm", "immediate", 20)
    assert hook.secret.get_secret_value() == SECRET
    assert config.delivery.links is not None
    assert config.delivery.links.base_url == "https://busywork.example.com"
    assert SECRET not in redact(f"signing with {SECRET}")


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        (
            "  webhooks: [{name: a, url: 'https://x.example', secret: nope}]\n",
            "must look like whsec_",
        ),
        (
            "  webhooks: [{name: a, url: 'https://x.example', secret: whsec_c2hvcnQ=}]\n",
            "24-64 random bytes",
        ),
        (
            "  webhooks: [{name: a, url: 'ftp://x.example', secret: " + SECRET + "}]\n",
            "delivery.webhooks[0].url",
        ),
        (
            "  email: {host: h, from_address: a@b.example, recipients: [c@d.example],"
            " schedule: 'every monday'}\n",
            "is not a cron schedule",
        ),
        (
            "  email: {host: h, security: none, username: u, password: p,"
            " from_address: a@b.example, recipients: [c@d.example]}\n",
            "never sent without TLS",
        ),
        (
            "  email: {host: h, from_address: a@b.example, recipients: [c@d.example],"
            " mode: hourly}\n",
            "delivery.email.mode",
        ),
        (
            "  email: {host: h, from_address: a@b.example, recipients: []}\n",
            "delivery.email.recipients",
        ),
        (
            "  links: {base_url: 'https://u.example', secret: short}\n",
            "at least 16 characters",
        ),
    ],
)
def test_bad_delivery_settings_name_their_place(block: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(HEAD + block, source="busywork.yaml")
    assert any(problem in line for line in caught.value.problems), caught.value.problems
