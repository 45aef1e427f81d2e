"""``check-config`` warns on clear-text secrets and on webhook targets the guard refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from busywork.cli import main
from config.loader import load_config
from config.warnings import config_warnings

CONFIG = """\
business: {id: shop, name: Shop, currency: GBP}
connectors:
  - name: cards
    type: stripe
    api_key: rk_live_written_in_the_file
  - name: books
    type: quickbooks
    client_id: abc
    client_secret: ${QB_SECRET}
goals:
  - {id: cash, name: Cash, objective: cash_flow}
delivery:
  links: {base_url: "https://busywork.shop.example", secret: a-long-link-secret-in-clear}
  webhooks:
    - {name: lan, url: "http://[2002:7f00:1::]/hook", secret: "${HOOK}"}
    - {name: ok, url: "https://8.8.8.8/hook", secret: "${HOOK}"}
"""
HOOK = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


@pytest.fixture
def path(tmp_path: Path) -> Path:
    target = tmp_path / "shop.yaml"
    target.write_text(CONFIG)
    return target


def test_clear_text_secrets_and_refused_targets_are_named_with_their_line(path: Path) -> None:
    config = load_config(path, environ={"QB_SECRET": "s", "HOOK": HOOK})
    warnings = config_warnings(path, config)
    assert len(warnings) == 3
    assert warnings[0].startswith(f"{path}:5: connectors[0].api_key: a secret is written in clear")
    assert warnings[1].startswith(f"{path}:13: delivery.links.secret: a secret is written")
    assert warnings[2].startswith(f"{path}:15: delivery.webhooks[0].url: webhook host")
    assert "2002:7f00:1::" in warnings[2]
    assert not any("rk_live_written_in_the_file" in w for w in warnings)


def test_check_config_prints_the_warnings(
    path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QB_SECRET", "s")
    monkeypatch.setenv("HOOK", HOOK)
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.count("  warning: ") == 3
