"""Tenants from a folder of YAML files: atomic upserts, changed files, invalid files skipped."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.errors import ConfigError
from busywork.store.db import create_engine, migrate
from busywork.tenants import STATES, TenantCache, sync_directory

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def _config(business: str, *, interval: str = "15m", name: str | None = None) -> str:
    return (
        f"business: {{id: {business}, name: {name or business}, currency: GBP}}\n"
        "connectors:\n"
        f"  - {{name: books, type: csv, path: data, interval: {interval}}}\n"
    )


def _intervals(engine: Engine) -> dict[str, float | None]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(STATES.c.business, STATES.c.interval_seconds))
        return {row.business: row.interval_seconds for row in rows}


def test_an_invalid_file_is_reported_and_the_others_load(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(_config("alpha"))
    (tmp_path / "b.yaml").write_text(_config("beta").replace("interval: 15m", "interval: often"))
    (tmp_path / "c.yml").write_text(_config("gamma"))
    (tmp_path / "notes.txt").write_text("not a config")
    report = sync_directory(engine, tmp_path, now=NOW)
    assert sorted(report.loaded) == ["alpha", "gamma"]
    [(path, problems)] = report.failed.items()
    assert path.endswith("b.yaml")
    assert any("b.yaml:3" in problem and "interval" in problem for problem in problems)
    assert _intervals(engine) == {"alpha": 900.0, "gamma": 900.0}


def test_only_changed_files_are_parsed_and_workers_see_the_change(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "a.yaml").write_text(_config("alpha"))
    (tmp_path / "b.yaml").write_text(_config("beta"))
    sync_directory(engine, tmp_path, now=NOW)
    cache = TenantCache(engine)
    assert cache.get("alpha").business.name == "alpha"
    (tmp_path / "a.yaml").write_text(_config("alpha", interval="5m", name="Alpha Ltd"))
    report = sync_directory(engine, tmp_path, now=NOW)
    assert (report.loaded, report.unchanged) == (["alpha"], 1)
    assert cache.get("alpha").business.name == "Alpha Ltd"  # no restart needed
    assert _intervals(engine)["alpha"] == 300.0
    # A file broken later is skipped: the tenant keeps its last good config.
    (tmp_path / "a.yaml").write_text("business: [")
    report = sync_directory(engine, tmp_path, now=NOW)
    assert list(report.failed) == [str(tmp_path / "a.yaml")]
    assert cache.get("alpha").business.name == "Alpha Ltd"


def test_a_removed_file_stops_its_polls_and_a_duplicate_id_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "a.yaml").write_text(_config("alpha"))
    (tmp_path / "b.yaml").write_text(_config("beta"))
    sync_directory(engine, tmp_path, now=NOW)
    (tmp_path / "b.yaml").unlink()
    (tmp_path / "c.yaml").write_text(_config("alpha"))
    report = sync_directory(engine, tmp_path, now=NOW)
    assert report.removed == ["beta"]
    assert "already used by" in report.failed[str(tmp_path / "c.yaml")][0]
    assert _intervals(engine) == {"alpha": 900.0, "beta": None}
    with pytest.raises(ConfigError, match="beta"):
        TenantCache(engine).get("beta")


def test_secrets_stay_as_references_in_the_database(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_STRIPE_KEY", "rk_test_canary_5ecret")
    text = _config("alpha") + ('  - {name: pay, type: stripe, api_key: "${SHOP_STRIPE_KEY}"}\n')
    (tmp_path / "a.yaml").write_text(text)
    sync_directory(engine, tmp_path, now=NOW)
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT config_text FROM tenant")).scalar_one()
    assert "rk_test_canary_5ecret" not in stored
    key = TenantCache(engine).get("alpha").connectors[1].api_key  # type: ignore[union-attr]
    assert key.get_secret_value() == "rk_test_canary_5ecret"


@pytest.mark.postgres
def test_two_workers_starting_together_on_an_empty_database_both_succeed(
    postgres_url: str, tmp_path: Path
) -> None:
    for n in range(3):
        (tmp_path / f"{n}.yaml").write_text(_config(f"shop{n}"))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        engine = create_engine(postgres_url)
        try:
            start.wait()
            migrate(engine)  # both migrate the empty schema at once
            sync_directory(engine, tmp_path, now=NOW)  # and register the same businesses
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    engine = create_engine(postgres_url)
    assert sorted(_intervals(engine)) == ["shop0", "shop1", "shop2"]
    engine.dispose()
