"""The scale-out commands: ``tenants sync`` and ``status`` on a store given by URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from busywork.cli import main

GOOD = (
    "business: {id: alpha, name: Alpha, currency: GBP}\n"
    "connectors:\n  - {name: books, type: csv, path: d}\n"
)


def test_tenants_sync_loads_good_files_and_names_the_bad_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "tenants"
    folder.mkdir()
    (folder / "alpha.yaml").write_text(GOOD)
    (folder / "beta.yaml").write_text(GOOD.replace("alpha", "beta").replace("csv", "nosuch"))
    store = f"sqlite:///{tmp_path / 'store.db'}"
    assert main(["tenants", "sync", str(folder), "--store", store]) == 1
    err = capsys.readouterr().err
    assert "beta.yaml:3" in err
    assert "1 loaded, 0 unchanged, 0 removed, 1 invalid" in err
    assert main(["status", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "alpha" in out
    assert "books" in out
    assert "beta" not in out


def test_status_without_a_store_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("BUSYWORK_DATABASE_URL", raising=False)
    assert main(["status"]) == 2
    assert "give --config FILE/DIR, --store URL or set BUSYWORK_DATABASE_URL" in (
        capsys.readouterr().err
    )
