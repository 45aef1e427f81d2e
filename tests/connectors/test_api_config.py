"""The API connectors' YAML blocks in the example config, and missing credentials."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from busywork.cli import EXIT_CONFIG, main
from busywork.errors import ConfigError
from config.loader import parse_config
from connectors.oauth_flow import connect
from tests.factories import MINIMAL_CONFIG

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example.yaml"
ENV = {
    "STRIPE_API_KEY": "rk_test_example12345",
    "XERO_CLIENT_ID": "xero-client",
    "XERO_CLIENT_SECRET": "xero-secret-1234",
    "QBO_CLIENT_ID": "qbo-client",
    "QBO_CLIENT_SECRET": "qbo-secret-1234",
}


def commented_blocks() -> str:
    """The commented ``- name:`` blocks of the API section, uncommented."""
    text = EXAMPLE.read_text()
    section = text[text.index("# --- Accounting and invoicing APIs") : text.index("\ndetectors:")]
    lines = [line[4:] for line in section.splitlines() if re.match(r"^  # (- |  )", line)]
    return "connectors:\n" + "\n".join(f"  {line}" for line in lines) + "\n"


def test_the_example_blocks_are_valid_config() -> None:
    config = parse_config(MINIMAL_CONFIG + commented_blocks(), source="ex.yaml", environ=ENV)
    assert [(c.name, c.type) for c in config.connectors] == [
        ("cards", "stripe"),
        ("books-xero", "xero"),
        ("books-qbo", "quickbooks"),
    ]


def test_a_missing_credential_variable_is_reported_with_its_line() -> None:
    env = {key: value for key, value in ENV.items() if key != "XERO_CLIENT_SECRET"}
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL_CONFIG + commented_blocks(), source="ex.yaml", environ=env)
    [problem] = caught.value.problems
    assert (
        "connectors[1].client_secret: environment variable XERO_CLIENT_SECRET is not set" in problem
    )


def test_check_config_reports_a_credential_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "busywork.yaml"
    path.write_text(MINIMAL_CONFIG + "connectors:\n  - {name: cards, type: stripe}\n")
    assert main(["check-config", str(path)]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "connectors[0].api_key: field required" in err


def test_connect_refuses_a_connector_without_oauth(tmp_path: Path) -> None:
    config = parse_config(MINIMAL_CONFIG + commented_blocks(), source="ex.yaml", environ=ENV)
    with pytest.raises(ConfigError, match="does not use OAuth"):
        connect(config, "cards")
    with pytest.raises(ConfigError, match="no connector named 'nope'"):
        connect(config, "nope")
