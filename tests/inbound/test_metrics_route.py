"""``busywork serve`` answers ``/metrics`` in Prometheus' text format."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from busywork.store.db import create_engine, migrate
from busywork.web.app import create_app


def test_metrics_are_served_next_to_healthz(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(engine)
    client = TestClient(create_app(engine, []))
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert "# TYPE" in answer.text
    assert client.get("/healthz").json() == {"status": "ok"}
    engine.dispose()
