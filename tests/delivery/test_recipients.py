"""An e-mail to several recipients remembers who accepted it; attempts count real sends."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine

from busywork.delivery.dispatch import dispatch
from busywork.delivery.outbox import DELIVERIES, enqueue
from tests.delivery.configs import Clock, make_config
from tests.delivery.servers import Mailbox, free_port, payload, recommendation


@dataclass
class Picky(Mailbox):
    """Refuses some recipients once with a temporary error."""

    refuse_once: set[str] = field(default_factory=set)

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse_once:
            self.refuse_once.discard(address)
            return "451 4.3.0 mailbox busy, try later"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


@pytest.fixture
def smtp() -> Iterator[tuple[Picky, int]]:
    mailbox = Picky(refuse_once={"bookkeeper@shop.example"})
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def _block(port: int) -> str:
    return (
        "  email:\n"
        f"    host: 127.0.0.1\n    port: {port}\n    security: none\n"
        "    from_address: busywork@shop.example\n"
        "    recipients: [owner@shop.example, bookkeeper@shop.example]\n"
        "    mode: immediate\n"
    )


def test_a_retry_goes_only_to_the_recipients_who_did_not_accept(
    engine: Engine, smtp: tuple[Picky, int]
) -> None:
    mailbox, port = smtp
    config, clock = make_config(_block(port)), Clock()
    with engine.begin() as connection:
        enqueue(
            connection,
            delivery_id="msg_1",
            business="shop",
            channel="email",
            kind="recommendation.created",
            payload=payload(recommendation("rec_a"), kind="recommendation.created"),
            now=clock(),
        )
    first = dispatch(engine, config, holder="w1", clock=clock, rng=random.Random(1))
    assert first.retrying == ["msg_1"]
    assert [m["To"] for m in mailbox.messages] == ["owner@shop.example"]

    clock.now += timedelta(minutes=1)
    second = dispatch(engine, config, holder="w1", clock=clock, rng=random.Random(1))
    assert second.sent == ["msg_1"]
    assert [m["To"] for m in mailbox.messages] == ["owner@shop.example", "bookkeeper@shop.example"]
    with engine.connect() as connection:
        attempts = connection.execute(
            sa.select(DELIVERIES.c.attempts).where(DELIVERIES.c.id == "msg_1")
        ).scalar_one()
    assert attempts == 2  # two sends were tried, each counted once
