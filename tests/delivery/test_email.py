"""Email delivery against a real SMTP server (aiosmtpd) on 127.0.0.1, with STARTTLS and AUTH."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import TLSSetupException
from pydantic import SecretStr

from busywork.delivery.email import build_messages, render, send
from busywork.delivery.links import FEEDBACK_LIFETIME, UNSUBSCRIBE_LIFETIME, token, valid
from busywork.errors import FatalError, RetriableError
from config.delivery import EmailConfig, LinksConfig
from tests.delivery.servers import (
    Mailbox,
    authenticator,
    free_port,
    payload,
    recommendation,
    self_signed,
)

CREATED = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LINKS = LinksConfig(
    base_url="https://busywork.heron.example", secret=SecretStr("link-signing-key!")
)


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    return self_signed(tmp_path)


@pytest.fixture
def smtp(tls_files: tuple[Path, Path]) -> Iterator[tuple[Mailbox, int]]:
    """A STARTTLS-only SMTP server with AUTH (user ``owner``, password ``s3cret-pass``)."""
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator("owner", "s3cret-pass"),
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def email_config(port: int, ca: Path | None, **overrides: Any) -> EmailConfig:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "starttls",
        "username": "owner",
        "password": SecretStr("s3cret-pass"),
        "ca_file": ca,
        "from_address": "busywork@heron.example",
        "recipients": ("owner@heron.example", "bookkeeper@heron.example"),
    }
    values.update(overrides)
    return EmailConfig(**values)


def test_digest_arrives_as_multipart_to_every_recipient_with_unsubscribe_headers(
    smtp: tuple[Mailbox, int], tls_files: tuple[Path, Path]
) -> None:
    mailbox, port = smtp
    config = email_config(port, tls_files[0])
    message = payload(recommendation("rec_a", score=61.5, rank=1), recommendation("rec_b", rank=2))

    send(config, build_messages(config, "msg_123", message, CREATED, links=LINKS))

    assert [sorted(rcpt) for rcpt in mailbox.envelopes] == [
        ["owner@heron.example"],
        ["bookkeeper@heron.example"],
    ]
    first = mailbox.messages[0]
    assert first["Subject"] == "2 automations worth doing at Heron <Physio> Ltd"
    assert first["Message-ID"] == "<msg_123.0@heron.example>"
    assert first.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in first.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text = first.get_body(("plain",)).get_content()
    html = first.get_body(("html",)).get_content()
    assert text.index("rec_a") < text.index("rec_b")  # ranked order
    assert "Why it ranks here: Serves 'Less admin" in text
    assert "17 records, 2025-06-16 to 2026-10-15 (e.g. INV-01029" in text
    assert "Heron &lt;Physio&gt; Ltd" in html  # escaped in HTML
    assert 'name="viewport"' in html
    # Links carry their sequence (the message's creation time) and expiry, both signed.
    issued = int(CREATED.timestamp())
    lasts = int((CREATED + UNSUBSCRIBE_LIFETIME).timestamp())
    stamp = (str(issued), str(lasts))
    signature = token("link-signing-key!", "unsubscribe", "shop", "owner@heron.example", *stamp)
    assert first["List-Unsubscribe"] == (
        "<https://busywork.heron.example/unsubscribe?b=shop&r=owner%40heron.example"
        f"&s={issued}&e={lasts}&t={signature}>"
    )
    assert valid(
        "link-signing-key!", signature, "unsubscribe", "shop", "owner@heron.example", *stamp
    )
    until = str(int((CREATED + FEEDBACK_LIFETIME).timestamp()))
    dismiss = token("link-signing-key!", "feedback", "shop", "rec_a", "dismiss", str(issued), until)
    query = f"b=shop&f=rec_a&a=dismiss&s={issued}&e={until}&t={dismiss}"
    assert f"https://busywork.heron.example/feedback?{query.replace('&', '&amp;')}" in html
    assert f"Dismiss: https://busywork.heron.example/feedback?{query}" in text
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mailbox.messages[1]["Message-ID"] == "<msg_123.1@heron.example>"


def test_starttls_refuses_a_certificate_it_cannot_verify(smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    config = email_config(port, None)  # no test CA: the self-signed certificate must fail

    with pytest.raises(RetriableError, match="CERTIFICATE_VERIFY_FAILED"):
        send(config, build_messages(config, "msg_1", payload(recommendation("rec_a")), CREATED))
    assert mailbox.messages == []
    # The server saw the handshake fail too (its session ends on its own thread).
    deadline = time.monotonic() + 5
    while not mailbox.errors and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [type(error) for error in mailbox.errors] == [TLSSetupException]


def test_wrong_password_is_retried_not_sent(
    smtp: tuple[Mailbox, int], tls_files: tuple[Path, Path]
) -> None:
    mailbox, port = smtp
    config = email_config(port, tls_files[0], password=SecretStr("wrong-password"))

    with pytest.raises(RetriableError, match="login refused") as caught:
        send(config, build_messages(config, "msg_1", payload(recommendation("rec_a")), CREATED))
    assert "wrong-password" not in str(caught.value)
    assert mailbox.messages == []


@pytest.mark.parametrize(
    ("rcpt", "data", "error"),
    [
        ("451 4.3.0 try again later", None, RetriableError),
        ("550 5.1.1 no such user", None, FatalError),
        (None, "452 4.3.1 insufficient storage", RetriableError),
        (None, "554 5.7.1 message rejected", FatalError),
    ],
)
def test_smtp_4xx_is_retried_and_5xx_is_permanent(
    smtp: tuple[Mailbox, int],
    tls_files: tuple[Path, Path],
    rcpt: str | None,
    data: str | None,
    error: type[Exception],
) -> None:
    mailbox, port = smtp
    mailbox.rcpt_reply, mailbox.data_reply = rcpt, data
    config = email_config(port, tls_files[0])

    with pytest.raises(error) as caught:
        send(config, build_messages(config, "msg_1", payload(recommendation("rec_a")), CREATED))
    assert type(caught.value) is error


def test_implicit_tls(tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, ssl_context=context)
    controller.start()
    try:
        config = email_config(
            port, cert, security="tls", username=None, password=None, recipients=("a@b.example",)
        )
        send(config, build_messages(config, "msg_9", payload(recommendation("rec_a")), CREATED))
    finally:
        controller.stop()
    assert len(mailbox.messages) == 1


def test_unreachable_server_is_retried() -> None:
    config = email_config(free_port(), None)
    with pytest.raises(RetriableError):
        send(config, build_messages(config, "msg_1", payload(recommendation("rec_a")), CREATED))


def test_endpoint_disabled_notice_renders_plainly() -> None:
    notice = {
        "type": "endpoint.disabled",
        "timestamp": "2026-11-23T08:00:00+00:00",
        "data": {"business": "shop", "business_name": "Shop", "endpoint": "crm", "reason": "410"},
    }
    text, html = render(notice)
    assert 'webhook endpoint "crm" of Shop' in text
    assert "busywork deliveries replay" in text
    assert "crm" in html


def test_digest_says_money_and_hours_as_the_report_does() -> None:
    text, html = render(payload(recommendation("rec_a")))  # 3.4 h and £12.50 a month
    for part in (text, html):
        assert "2.5–4.2 h a month · £9–£16 a month" in part
        assert "GBP 12.50" not in part
        assert "score" not in part.lower()
