"""``busywork serve``: signed feedback links and RFC 8058 one-click unsubscribe over real HTTP.

The server is the real uvicorn one, on a free loopback port.
"""

from __future__ import annotations

import http.client
import random
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine

from busywork.delivery.dispatch import dispatch
from busywork.delivery.feedback import FEEDBACK, opted_out
from busywork.delivery.links import FEEDBACK_LIFETIME, feedback_url, unsubscribe_url
from busywork.delivery.outbox import enqueue
from busywork.store.tables import Finding
from busywork.web.app import create_app
from busywork.web.server import start_in_thread
from config.models import AppConfig
from tests.delivery.configs import Clock, email_block, make_config
from tests.delivery.servers import Mailbox, free_port, payload, recommendation

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
LINKS = "  links: {base_url: 'https://busywork.shop.example', secret: a-long-link-secret}\n"


@pytest.fixture
def config() -> AppConfig:
    block = email_block(2525).replace(
        "recipients: [owner@shop.example]", "recipients: [owner@shop.example, bob@shop.example]"
    )
    return make_config(block, LINKS)


@pytest.fixture
def server(engine: Engine, config: AppConfig) -> Iterator[int]:
    with engine.begin() as connection:
        connection.execute(
            sa.insert(Finding.__table__).values(  # type: ignore[attr-defined]
                business="shop",
                id="rec_a",
                kind="recurring_invoice",
                status="open",
                fingerprint="f",
                candidate={"title": "Ashford <Florist> is invoiced by hand"},
                first_seen_at=NOW,
                last_seen_at=NOW,
                changed_at=NOW,
            )
        )
    server, port = start_in_thread(create_app(engine, [config], clock=lambda: NOW))
    yield port
    server.should_exit = True


def _call(port: int, link: str, method: str = "GET", body: str = "") -> tuple[int, str]:
    parts = urlsplit(link)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        headers = {"content-type": "application/x-www-form-urlencoded"} if body else {}
        connection.request(method, f"{parts.path}?{parts.query}", body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


def _feedback(engine: Engine) -> list[tuple[str, date | None, str]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(FEEDBACK)).all()
    return [(row.action, row.until, row.source) for row in rows]


def test_a_feedback_link_asks_first_and_records_on_post(
    engine: Engine, config: AppConfig, server: int
) -> None:
    assert config.delivery.links is not None
    link = feedback_url(config.delivery.links, "shop", "rec_a", "dismiss", issued_at=NOW)

    status, page = _call(server, link)
    assert status == 200
    assert "Ashford &lt;Florist&gt; is invoiced by hand" in page
    assert '<form method="post">' in page
    assert _feedback(engine) == []  # a link scanner's GET changes nothing

    status, page = _call(server, link, "POST")
    assert (status, "Your answer is recorded." in page) == (200, True)
    assert _feedback(engine) == [("dismiss", None, "link")]


def test_snooze_link_takes_a_date(engine: Engine, config: AppConfig, server: int) -> None:
    assert config.delivery.links is not None
    link = feedback_url(config.delivery.links, "shop", "rec_a", "snooze", issued_at=NOW)

    status, page = _call(server, link)
    assert status == 200
    assert 'value="2026-12-23"' in page  # 30 days on, by default
    assert _call(server, link, "POST", "until=2027-01-15")[0] == 200
    assert _feedback(engine) == [("snooze", date(2027, 1, 15), "link")]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda link: link.replace("a=dismiss", "a=accept"),
        lambda link: link.replace("f=rec_a", "f=rec_b"),
        lambda link: link[:-4] + "0000",
        lambda link: link.replace("b=shop", "b=other"),
    ],
)
def test_tampered_links_are_refused(
    engine: Engine, config: AppConfig, server: int, tamper: object
) -> None:
    assert config.delivery.links is not None
    link = tamper(feedback_url(config.delivery.links, "shop", "rec_a", "dismiss", issued_at=NOW))  # type: ignore[operator]
    assert _call(server, link, "POST")[0] == 403
    assert _feedback(engine) == []


def test_one_click_unsubscribe_stops_mail_to_that_recipient_only(
    engine: Engine, config: AppConfig, server: int
) -> None:
    assert config.delivery.links is not None
    link = unsubscribe_url(config.delivery.links, "shop", "owner@shop.example", issued_at=NOW)

    status, _ = _call(server, link, "POST", "List-Unsubscribe=One-Click")
    assert status == 200
    with engine.connect() as connection:
        assert opted_out(connection, "shop") == {"owner@shop.example"}

    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        live = make_config(
            email_block(port).replace(
                "recipients: [owner@shop.example]",
                "recipients: [owner@shop.example, bob@shop.example]",
            ),
            LINKS,
        )
        with engine.begin() as connection:
            enqueue(
                connection,
                delivery_id="msg_1",
                business="shop",
                channel="email",
                kind="recommendation.digest",
                payload=payload(recommendation("rec_a")),
                now=NOW,
            )
        dispatch(engine, live, holder="w", clock=Clock(NOW), rng=random.Random(1))
    finally:
        controller.stop()
    assert mailbox.envelopes == [["bob@shop.example"]]
    assert mailbox.messages[0]["Message-ID"] == "<msg_1.1@shop.example>"


def test_unknown_paths_are_404(server: int) -> None:
    assert _call(server, "http://x/admin")[0] == 404


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        return sock.recv(4096)


@pytest.mark.parametrize("length", [b"-1", b"abc", b"1e3", b" "])
def test_a_malformed_content_length_is_a_clean_400(server: int, length: bytes) -> None:
    answer = _raw(
        server,
        b"POST /unsubscribe?b=shop HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + b"\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 400"), answer[:40]


def test_an_oversized_form_is_a_413_before_it_is_read(server: int) -> None:
    answer = _raw(
        server,
        b"POST /unsubscribe?b=shop HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:40]


def test_healthz_answers(server: int) -> None:
    assert _call(server, "http://x/healthz") == (200, '{"status":"ok"}')


def test_an_old_emails_accept_cannot_undo_a_newer_dismiss(
    engine: Engine, config: AppConfig, server: int
) -> None:
    assert config.delivery.links is not None
    links = config.delivery.links
    older = feedback_url(links, "shop", "rec_a", "accept", issued_at=NOW - timedelta(days=7))
    newer = feedback_url(links, "shop", "rec_a", "dismiss", issued_at=NOW - timedelta(days=1))
    assert _call(server, newer, "POST")[0] == 200
    status, page = _call(server, older, "POST")
    assert status == 409
    assert "newer answer" in page
    assert _feedback(engine) == [("dismiss", None, "link")]


def test_an_expired_link_does_nothing(engine: Engine, config: AppConfig, server: int) -> None:
    assert config.delivery.links is not None
    stale = NOW - FEEDBACK_LIFETIME - timedelta(minutes=1)
    link = feedback_url(config.delivery.links, "shop", "rec_a", "dismiss", issued_at=stale)
    assert _call(server, link, "POST")[0] == 410
    old = unsubscribe_url(
        config.delivery.links, "shop", "owner@shop.example", issued_at=NOW - timedelta(days=365)
    )
    assert _call(server, old, "POST")[0] == 410
    assert _feedback(engine) == []


@pytest.mark.parametrize(
    "edit", [lambda link: link.replace("&e=", "&e=9"), lambda link: link.replace("&s=", "&s=9")]
)
def test_a_stretched_expiry_or_sequence_breaks_the_signature(
    engine: Engine, config: AppConfig, server: int, edit: object
) -> None:
    assert config.delivery.links is not None
    link = feedback_url(config.delivery.links, "shop", "rec_a", "accept", issued_at=NOW)
    assert _call(server, edit(link), "POST")[0] == 403  # type: ignore[operator]
    assert _feedback(engine) == []


def test_a_snooze_until_year_9999_is_refused(
    engine: Engine, config: AppConfig, server: int
) -> None:
    assert config.delivery.links is not None
    link = feedback_url(config.delivery.links, "shop", "rec_a", "snooze", issued_at=NOW)
    status, page = _call(server, link, "POST", "until=9999-12-31")
    assert status == 400
    assert "snooze at most until 2027-11-24" in page
    assert _feedback(engine) == []
