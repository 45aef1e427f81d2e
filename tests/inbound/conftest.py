"""Fixtures for inbound tests: an app over a fresh store with a known key set and clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from busywork.inbound.ratelimit import RateLimiter
from busywork.inbound.receiver import Receiver
from busywork.web.app import create_app
from tests.inbound.kits import CIPHER, NOW


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    """A test client whose clock is ``NOW`` and whose rate limit never bites."""
    receiver = Receiver(
        engine, clock=lambda: NOW, cipher=CIPHER, limiter=RateLimiter(rate_per_s=1e6, burst=1e6)
    )
    with TestClient(create_app(engine, [], clock=lambda: NOW, inbound=receiver)) as test_client:
        yield test_client
