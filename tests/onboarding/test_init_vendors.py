"""``busywork init --from quickbooks,stripe,google``: connector blocks for the tools named."""

from __future__ import annotations

from pathlib import Path

import pytest

from busywork.cli import EXIT_CONFIG, main
from busywork.onboarding.vendors import VENDORS
from config.loader import load_config
from connectors.registry import connector_classes

EVERY = ",".join(VENDORS)


def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for vendor in VENDORS.values():
        for name in vendor.variables:
            value = "https://caldav.example.com/" if name == "CALDAV_URL" else "x1"
            monkeypatch.setenv(name, value)


def test_every_vendor_writes_a_config_that_check_config_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "busywork.yaml"
    argv = ["init", "--from", EVERY, "--currency", "GBP", "--yes", "-c", str(config)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"busywork connect books-qbo -c {config}" in out
    assert "--refresh-token-stdin" in out
    assert "busywork connect payments-stripe" not in out  # a key, nothing to authorise
    assert "STRIPE_API_KEY" in out
    assert "BUSYWORK_SECRET_KEYS" in out

    # Without the variables, every missing one is named with its line.
    assert main(["check-config", "-c", str(config)]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "connectors[0].client_id: environment variable QUICKBOOKS_CLIENT_ID is not set" in err
    assert "STRIPE_API_KEY is not set" in err

    _environment(monkeypatch)
    assert main(["check-config", "-c", str(config)]) == 0
    loaded = load_config(config)
    assert [c.type for c in loaded.connectors] == [v.type for v in VENDORS.values()]
    assert loaded.connectors[0].client_secret.get_secret_value() == "x1"  # type: ignore[union-attr]
    assert "x1" not in config.read_text()  # secrets stay in the environment


def test_every_vendor_names_a_registered_connector_type() -> None:
    assert {v.type for v in VENDORS.values()} <= set(connector_classes())


def test_vendors_and_a_folder_of_exports_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "invoices.csv").write_text(
        "Invoice No,Customer,Date,Due,Total,Currency\nI-1,Ann,2026-01-05,2026-02-04,10,GBP\n"
    )
    config = tmp_path / "busywork.yaml"
    assert main(["init", str(exports), "--from", "qbo, Outlook", "--yes", "-c", str(config)]) == 0
    assert "Currency: GBP (inferred" in capsys.readouterr().out
    _environment(monkeypatch)
    loaded = load_config(config)
    assert [(c.name, c.type) for c in loaded.connectors] == [
        ("exports", "csv"),
        ("books-qbo", "quickbooks"),
        ("calendar-m365", "msgraph_calendar"),
    ]
    assert main(["check-config", "-c", str(config)]) == 0


def test_vendors_alone_need_the_currency(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "busywork.yaml"
    assert main(["init", "--from", "xero", "--yes", "-c", str(config)]) == EXIT_CONFIG
    assert "give the currency of your books with --currency" in capsys.readouterr().err
    assert not config.exists()


def test_an_unknown_vendor_lists_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "busywork.yaml"
    argv = ["init", "--from", "sage", "--currency", "GBP", "--yes", "-c", str(config)]
    assert main(argv) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "'sage' is not a source Busywork reads; use quickbooks, xero, stripe" in err
    assert not config.exists()


def test_neither_folder_nor_vendors_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "--yes", "-c", str(tmp_path / "busywork.yaml")]) == EXIT_CONFIG
    assert "give a folder of exports (DIR), or the tools you use with --from" in (
        capsys.readouterr().err
    )
