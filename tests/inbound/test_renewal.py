"""Subscription renewal as a Procrastinate periodic job: the same function, one run at a time."""

from __future__ import annotations

from datetime import timedelta

import procrastinate
import pytest
import responses
import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy.engine import Engine

from busywork.inbound import subscriptions
from busywork.inbound.manage import sync
from busywork.queue import RENEW_TASK, SCHEDULE_QUEUE, WorkerState, build_app
from busywork.tenants import TenantCache, store_tenant
from config.loader import parse_config
from connectors.oauth import KEYS_ENV
from tests.inbound.kits import NOW
from tests.inbound.test_manage import CONFIG, PUBLIC, FakeVendors, _client

pytestmark = pytest.mark.postgres
LATER = NOW + timedelta(days=6)  # Google channels and Graph subscriptions expire in 7 days


def _run_queued_jobs(app: procrastinate.App, state: WorkerState) -> None:
    app.run_worker(
        queues=[SCHEDULE_QUEUE],
        wait=False,
        additional_context={"busywork": state},
        install_signal_handlers=False,
        delete_jobs="successful",
    )


def test_the_renewal_job_renews_what_expires_and_never_runs_twice_at_once(
    pg_engine: Engine, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Fernet.generate_key()
    monkeypatch.setenv(KEYS_ENV, key.decode())
    cipher = MultiFernet([Fernet(key)])
    config = parse_config(CONFIG)
    with pg_engine.begin() as connection:
        store_tenant(connection, config, source="shop.yaml", text=CONFIG, base_dir=".", now=NOW)
    app = build_app(postgres_url)
    state = WorkerState(pg_engine, TenantCache(pg_engine), clock=lambda: LATER, client_for=_client)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        vendors = FakeVendors(mock)
        sync(pg_engine, cipher, config, PUBLIC, NOW, client_for=_client)
        first = subscriptions.load(pg_engine, cipher, "shop", "diary")
        opened = len(vendors.calls)
        with app.open():
            task = app.tasks[RENEW_TASK]
            task.defer(timestamp=0)
            with pytest.raises(procrastinate.exceptions.AlreadyEnqueued):
                task.defer(timestamp=1)  # one renewal waits at most; its lock: one runs
        _run_queued_jobs(app, state)
    renewals = vendors.calls[opened:]
    assert ("PATCH", "sub-1") in {(method, path) for method, path, _ in renewals}
    assert [path for _, path, _ in renewals].count("watch") == 1
    diary = subscriptions.load(pg_engine, cipher, "shop", "diary")
    outlook = subscriptions.load(pg_engine, cipher, "shop", "outlook")
    assert first is not None
    assert diary is not None
    assert outlook is not None
    assert diary.secrets["channel_id"] != first.secrets["channel_id"]
    for renewed in (diary, outlook):
        assert renewed.expires_at is not None
        assert renewed.expires_at > LATER + timedelta(days=1)
    with pg_engine.connect() as connection:
        left = connection.execute(
            sa.text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = :task"),
            {"task": RENEW_TASK},
        ).scalar_one()
    assert left == 0  # it ran and succeeded


def test_the_renewal_job_is_registered_under_a_lock(postgres_url: str) -> None:
    task = build_app(postgres_url).tasks[RENEW_TASK]
    assert task.lock == task.queueing_lock == RENEW_TASK
    assert task.queue == SCHEDULE_QUEUE
