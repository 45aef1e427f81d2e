from __future__ import annotations

import logging
from pathlib import Path

import pytest

from busywork.errors import ConfigError
from busywork.logs import RedactingFilter
from config.loader import load_config, parse_config
from tests.factories import MINIMAL_CONFIG

CONFIG_DIR = Path(__file__).parents[2] / "config"


def _problems(text: str, **env: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="b.yaml", environ=env)
    return caught.value.problems


def test_shipped_configs_are_valid() -> None:
    example = load_config(CONFIG_DIR / "example.yaml")
    demo = load_config(CONFIG_DIR / "demo.yaml")
    assert example.business.id == "acme-plumbing"
    assert example.connectors[0].files["invoices"].columns["Invoice No"] == "source_id"
    assert demo.goals[0].objective.value == "cash_flow"


def test_every_problem_is_reported_at_once_with_line_and_location() -> None:
    text = (
        MINIMAL_CONFIG
        + """\
connectors:
  - name: books
    type: csv
    path: ./x
  - name: other
    type: csv
    interval: 5x
    colour: red
goals:
  - id: cash
    name: Cash
    objective: cashflow
"""
    )
    problems = _problems(text.replace("Europe/London", "Europe/Londn"))
    assert problems == [
        "b.yaml:4: business.timezone: 'Europe/Londn' is not an IANA timezone such as Europe/London",
        "b.yaml:10: connectors[1].path: field required",
        "b.yaml:12: connectors[1].interval: '5x' is not a duration; use e.g. 30s, 15m, 1h or 1d",
        "b.yaml:13: connectors[1].colour: unknown key",
        "b.yaml:17: goals[0].objective: input should be 'cash_flow', 'owner_time', 'admin_time', "
        "'revenue', "
        "'customer_experience', 'cost', 'error_reduction' or 'scalability'",
    ]


def test_missing_section_and_unknown_top_level_key() -> None:
    assert _problems("storage: {url: 'sqlite:///x.db'}\nextra: 1\n") == [
        "b.yaml:1: business: field required",
        "b.yaml:2: extra: unknown key",
    ]


def test_env_interpolation_default_escape_and_missing_variable() -> None:
    text = (
        MINIMAL_CONFIG.replace("Acme Ltd", "${NAME} $${literal}")
        + "storage:\n  url: ${DB_URL:-sqlite:///fallback.db}\n"
    )
    config = parse_config(text, environ={"NAME": "Acme"})
    assert config.business.name == "Acme ${literal}"
    assert config.storage.url.endswith("fallback.db")
    assert _problems(text) == ["b.yaml:3: business.name: environment variable NAME is not set"]


def test_secrets_from_env_are_registered_for_redaction(caplog: pytest.LogCaptureFixture) -> None:
    text = MINIMAL_CONFIG + "storage:\n  url: postgresql+psycopg://u:${DB_PASSWORD}@db/busywork\n"
    parse_config(text, environ={"DB_PASSWORD": "canary-s3cret-value"})
    record = logging.LogRecord(
        "t", logging.ERROR, __file__, 1, "failed with %s", ("canary-s3cret-value",), None
    )
    RedactingFilter().filter(record)
    assert "canary-s3cret-value" not in record.getMessage()


def test_duplicate_keys_and_names_are_errors() -> None:
    text = MINIMAL_CONFIG + "  currency: EUR\n"
    assert _problems(text) == ["b.yaml:6: business.currency: duplicate key"]
    goals = (
        MINIMAL_CONFIG
        + "goals:\n  - {id: a, name: A, objective: revenue}\n"
        + "  - {id: a, name: B, objective: cost}\n"
    )
    assert _problems(goals) == ["b.yaml:6: goals: goal id 'a' is used twice"]
    connectors = (
        MINIMAL_CONFIG
        + "connectors:\n  - {name: x, type: csv, path: a}\n"
        + "  - {name: x, type: csv, path: b}\n"
    )
    assert _problems(connectors) == ["b.yaml:6: connectors: connector name 'x' is used twice"]
    hook = "{name: ops, url: 'https://example.com/h', secret: '${S}'}"
    webhooks = MINIMAL_CONFIG + f"delivery:\n  webhooks:\n    - {hook}\n    - {hook}\n"
    assert _problems(webhooks, S="whsec_" + "A" * 32) == [
        "b.yaml:7: delivery.webhooks: webhook name 'ops' is used twice"
    ]


def test_detector_settings_are_checked_against_the_detector() -> None:
    text = (
        MINIMAL_CONFIG
        + """\
detectors:
  recurring_invoice: {min_occurences: 4}
  slow_collection: {dso_threshold_days: soon}
  nonsense: {}
"""
    )
    problems = _problems(text)
    assert problems[0].startswith(
        "b.yaml:7: detectors.recurring_invoice.min_occurences: unknown parameter; valid: enabled, "
    )
    assert "min_occurrences" in problems[0]
    assert (
        problems[1]
        == "b.yaml:8: detectors.slow_collection.dso_threshold_days: expected float, got 'soon'"
    )
    assert problems[2].startswith("b.yaml:9: detectors.nonsense: unknown detector; valid: ")


def test_yaml_syntax_error_names_the_line() -> None:
    assert _problems("business:\n  id: [unclosed\n")[0].startswith("b.yaml:3: not valid YAML")


def test_times_of_day_are_not_read_as_base_60_numbers() -> None:
    text = MINIMAL_CONFIG + "  working_hours: {start: 08:30, end: 16:00}\n"
    hours = parse_config(text).business.working_hours
    assert (hours.start.hour, hours.start.minute, hours.end.hour) == (8, 30, 16)


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(MINIMAL_CONFIG + "connectors:\n  - {name: x, type: csv, path: data}\n")
    config = load_config(path)
    assert config.connectors[0].path == tmp_path / "data"
    assert config.storage.url == f"sqlite:///{tmp_path / 'busywork.db'}"


def test_delivery_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    email = "{host: smtp.example.com, from_address: a@example.com, recipients: [b@example.com]"
    path = tmp_path / "b.yaml"
    path.write_text(
        MINIMAL_CONFIG
        + f"delivery:\n  json_file: out/recs.json\n  email: {email}, ca_file: certs/ca.pem}}\n"
    )
    delivery = load_config(path).delivery
    assert delivery.json_file == tmp_path / "out" / "recs.json"
    assert delivery.email is not None
    assert delivery.email.ca_file == tmp_path / "certs" / "ca.pem"
    # A path given whole stays as it is; a config built in code has no folder to be under.
    absolute = parse_config(MINIMAL_CONFIG + "delivery: {json_file: /srv/recs.json}\n")
    assert absolute.delivery.json_file == Path("/srv/recs.json")
    assert parse_config(
        MINIMAL_CONFIG + "delivery: {json_file: recs.json}\n"
    ).delivery.json_file == Path("recs.json")


def test_unreadable_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(tmp_path / "missing.yaml")


def test_loaded_config_is_immutable() -> None:
    config = parse_config(MINIMAL_CONFIG)
    with pytest.raises(ValueError, match="frozen"):
        config.business.name = "x"  # type: ignore[misc]


def test_free_text_goal_that_names_no_objective_is_reported_with_its_line() -> None:
    text = (
        MINIMAL_CONFIG
        + "goals:\n  - {id: ok, name: Get paid faster}\n  - {id: vague, name: Be excellent}\n"
    )
    assert _problems(text) == [
        "b.yaml:8: goals[1].objective: cannot tell what 'Be excellent' aims at; set objective"
    ]


def test_alignment_weights_and_goal_names_are_checked() -> None:
    text = (
        MINIMAL_CONFIG
        + """\
goals:
  - {id: cash, name: Cash, objective: cash_flow, weight: 2}
  - {id: time, name: Time, objective: owner_time}
"""
    )
    assert _problems(text)[0].endswith(
        "give a weight to every goal or to none (then priority, pairwise or equal)"
    )
    text = (
        MINIMAL_CONFIG
        + """\
goals:
  - {id: cash, name: Cash, objective: cash_flow}
alignment:
  priority: [cash, growth]
"""
    )
    assert "alignment names unknown goal 'growth'" in _problems(text)[0]
