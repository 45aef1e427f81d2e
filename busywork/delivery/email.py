"""Recommendation emails: multipart plain text + HTML from templates, sent over verified TLS.

The ``Message-ID`` is derived from the outbox id and the recipient, so a retry after a crash
carries the same id and mail clients can tell it is the same message. SMTP replies are
classified by code: 4xx (and lost connections) are retried, 5xx is permanent.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import jinja2

from busywork import wording
from busywork.delivery.links import feedback_links, unsubscribe_url
from busywork.errors import FatalError, RetriableError
from config.delivery import EmailConfig, LinksConfig

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("busywork", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
# One money and hours format on every screen the owner reads (see busywork/wording.py).
_ENV.filters["money"] = wording.money
_ENV.filters["hours_range"] = wording.hours_range
_ENV.filters["money_range"] = wording.money_range


def subject(payload: dict[str, Any]) -> str:
    """The subject line for ``payload``."""
    data = payload["data"]
    if payload["type"] == "endpoint.disabled":
        return f"Busywork: webhook endpoint {data['endpoint']} disabled"
    recs = data["recommendations"]
    if payload["type"] == "recommendation.digest":
        noun = "automation" if len(recs) == 1 else "automations"
        return f"{len(recs)} {noun} worth doing at {data['business_name']}"
    more = f" (+{len(recs) - 1} more)" if len(recs) > 1 else ""
    return f"New: {recs[0]['title']}{more}"


def render(
    payload: dict[str, Any],
    links: LinksConfig | None = None,
    *,
    issued_at: datetime | None = None,
) -> tuple[str, str]:
    """The plain-text and HTML bodies for ``payload`` (with feedback links when configured).

    ``issued_at`` (the message's creation time) dates the links: their sequence and expiry.
    """
    data = payload["data"]
    recs = data.get("recommendations", [])
    if links is not None and issued_at is None:
        raise ValueError("feedback links need issued_at")
    buttons = {
        rec["id"]: feedback_links(links, data["business"], rec["id"], issued_at=issued_at)
        for rec in recs
        if links is not None and issued_at is not None
    }
    heading = (
        f"What to automate first at {data['business_name']}"
        if payload["type"] == "recommendation.digest"
        else f"New at {data['business_name']}: worth automating"
    )
    context = {
        "kind": payload["type"],
        "data": data,
        "recommendations": recs,
        "heading": heading,
        "links": buttons,
        "subject": subject(payload),
    }
    text = _ENV.get_template("email_digest.txt.j2").render(context)
    html = _ENV.get_template("email_digest.html.j2").render(context)
    return text, html


def build_messages(
    config: EmailConfig,
    delivery_id: str,
    payload: dict[str, Any],
    created_at: datetime,
    *,
    links: LinksConfig | None = None,
    recipients: Sequence[str] | None = None,
) -> list[EmailMessage]:
    """One message per recipient (each gets its own unsubscribe link), same content.

    ``recipients`` (default: all configured) leaves out those who unsubscribed; the
    ``Message-ID`` keeps each recipient's position in the configured list, so it is stable.
    """
    text, html = render(payload, links, issued_at=created_at)
    wanted = set(config.recipients if recipients is None else recipients)
    domain = config.from_address.rsplit("@", 1)[1]
    business = payload["data"].get("business", "")
    messages = []
    for index, recipient in enumerate(config.recipients):
        if recipient not in wanted:
            continue
        message = EmailMessage()
        message["Subject"] = subject(payload)
        message["From"] = config.from_address
        message["To"] = recipient
        message["Date"] = format_datetime(created_at)
        message["Message-ID"] = f"<{delivery_id}.{index}@{domain}>"
        message["X-Busywork-Delivery"] = delivery_id
        if links is not None:
            message["List-Unsubscribe"] = (
                f"<{unsubscribe_url(links, business, recipient, issued_at=created_at)}>"
            )
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        messages.append(message)
    return messages


def _tls_context(config: EmailConfig) -> ssl.SSLContext:
    # Always explicit: smtplib's own default for starttls() does not verify the certificate.
    return ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)


def _connect(config: EmailConfig) -> smtplib.SMTP:
    if config.security == "tls":
        return smtplib.SMTP_SSL(
            config.host, config.port, timeout=config.timeout_seconds, context=_tls_context(config)
        )
    client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
    try:
        client.ehlo()
        if config.security == "starttls":
            client.starttls(context=_tls_context(config))
            client.ehlo()
    except BaseException:
        client.close()
        raise
    return client


def _classify(code: int, text: str) -> RetriableError | FatalError:
    if 400 <= code < 500:
        return RetriableError(f"SMTP {code}: {text}")
    return FatalError(f"SMTP {code}: {text}")


def send(
    config: EmailConfig,
    messages: Sequence[EmailMessage],
    *,
    on_accepted: Callable[[str], None] | None = None,
) -> None:
    """Send ``messages`` in one SMTP session.

    ``on_accepted`` is told each recipient (``To``) as soon as the server accepted their
    message, so a retry after a later failure skips them.

    Raises:
        RetriableError: 4xx replies, refused credentials, lost connections, TLS trouble.
        FatalError: 5xx replies (every recipient refused, message rejected).
    """
    try:
        client = _connect(config)
        try:
            if config.username and config.password is not None:
                client.login(config.username, config.password.get_secret_value())
            for message in messages:
                client.send_message(message)
                if on_accepted is not None:
                    on_accepted(str(message["To"]))
        finally:
            client.close()
    except smtplib.SMTPAuthenticationError as exc:
        # Credentials are configuration: retried so that fixing them needs no replay.
        raise RetriableError(f"SMTP login refused ({exc.smtp_code})") from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        first = min(codes, default=550)
        raise _classify(first, "recipient refused") from None
    except smtplib.SMTPResponseException as exc:
        raise _classify(exc.smtp_code, _text(exc.smtp_error)) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise RetriableError(f"SMTP server does not support it: {exc}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise RetriableError(f"SMTP {type(exc).__name__}: {exc}") from None


def _text(error: bytes | str) -> str:
    return error.decode(errors="replace") if isinstance(error, bytes) else error
