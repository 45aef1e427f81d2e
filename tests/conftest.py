"""Shared fixtures: a fresh store on SQLite and, when configured, on PostgreSQL, empty or
holding a scanned generated business."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.store.db import create_engine, migrate
from config.models import AppConfig
from tests.factories import scan_shop, shop_worker, write_shop
from tests.store_templates import StoreTemplates
from worker import Worker

POSTGRES_URL = os.environ.get("BUSYWORK_TEST_POSTGRES_URL")
#: Tests marked ``slow`` (real worker processes, whole generated businesses) run in CI, where
#: ``CI`` is set, or when asked for; a developer's default run stays under five minutes.
RUN_SLOW = bool(os.environ.get("CI") or os.environ.get("BUSYWORK_SLOW_TESTS"))
SKIP_SLOW = "slow: runs in CI (CI=true) or with BUSYWORK_SLOW_TESTS=1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the slow tests in a developer's default run, saying how to run them."""
    del config
    if RUN_SLOW:
        return
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(pytest.mark.skip(reason=SKIP_SLOW))


SKIP_POSTGRES = (
    "BUSYWORK_TEST_POSTGRES_URL is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
)


@pytest.fixture(scope="session")
def store_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreTemplates]:
    """Stores migrated (and filled) once per session, copied for each test."""
    templates = StoreTemplates(tmp_path_factory.mktemp("templates"), POSTGRES_URL)
    yield templates
    templates.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """The store's database: every test using it runs on SQLite and on PostgreSQL."""
    if request.param == "postgresql" and not POSTGRES_URL:
        pytest.skip(SKIP_POSTGRES)
    return str(request.param)


@pytest.fixture
def engine(backend: str, tmp_path: Path, store_templates: StoreTemplates) -> Iterator[Engine]:
    """A migrated, empty store of its own: ``tmp_path / "store.db"`` on SQLite, a throw-away
    database on PostgreSQL; every test using it runs on both."""
    with store_templates.copy(backend, tmp_path) as engine:
        yield engine


@pytest.fixture(scope="session")
def shop_configs(tmp_path_factory: pytest.TempPathFactory) -> Callable[[float], AppConfig]:
    """The generated shop's exports at a scale, written once per session and only read."""
    configs: dict[float, AppConfig] = {}

    def config_at(scale: float) -> AppConfig:
        if scale not in configs:
            configs[scale] = write_shop(tmp_path_factory.mktemp("shop"), scale=scale)
        return configs[scale]

    return config_at


@pytest.fixture
def scanned_shop(
    backend: str,
    tmp_path: Path,
    store_templates: StoreTemplates,
    shop_configs: Callable[[float], AppConfig],
) -> Iterator[Callable[[float], tuple[AppConfig, Worker]]]:
    """The generated shop at a scale, scanned once by the live worker on a fixed clock so
    every detector has a watermark: the scan is done once per session, and each test gets
    its own copy of the store and a worker over it."""
    with ExitStack() as copies:

        def scanned_at(scale: float) -> tuple[AppConfig, Worker]:
            config = shop_configs(scale)
            engine = copies.enter_context(
                store_templates.copy(
                    backend, tmp_path, key=f"shop-{scale}", fill=partial(scan_shop, config)
                )
            )
            return config, shop_worker(config, engine)

        yield scanned_at


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A store URL on a throw-away, empty PostgreSQL schema (for worker subprocesses too)."""
    if not POSTGRES_URL:
        pytest.skip(SKIP_POSTGRES)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    """A migrated store on its own PostgreSQL schema, Procrastinate's tables included."""
    engine = create_engine(postgres_url)
    migrate(engine)
    yield engine
    engine.dispose()
