"""The command line as a user meets it: exit codes, one-line errors, pure JSON on stdout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from busywork.cli import EXIT_CONFIG, EXIT_STORE, main
from busywork.synth import GeneratorSettings, generate
from tests.factories import MINIMAL_CONFIG


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "busywork.yaml"
    path.write_text(text)
    return path


def test_check_config_ok_and_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path, MINIMAL_CONFIG)
    assert main(["check-config", "-c", str(good)]) == 0
    assert "ok (acme: 0 connector(s), no goals: balanced default)" in capsys.readouterr().out
    bad = _write(tmp_path, MINIMAL_CONFIG + "connectors:\n  - {name: x, type: csv}\n")
    assert main(["check-config", "-c", str(bad)]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "busywork.yaml:7: connectors[0].path: field required" in err
    assert "Traceback" not in err


def test_missing_env_variable_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BUSYWORK_TEST_DB_PASSWORD", raising=False)
    path = _write(
        tmp_path,
        MINIMAL_CONFIG
        + "storage: {url: 'postgresql+psycopg://u:${BUSYWORK_TEST_DB_PASSWORD}@h/db'}\n",
    )
    assert main(["check-config", str(path)]) == EXIT_CONFIG
    assert (
        "storage.url: environment variable BUSYWORK_TEST_DB_PASSWORD is not set"
        in capsys.readouterr().err
    )


def test_unreachable_database_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql+psycopg://bob:hunter2@127.0.0.1:1/none?connect_timeout=2"
    path = _write(tmp_path, MINIMAL_CONFIG + f"storage: {{url: '{url}'}}\n")
    assert main(["scan", "--config", str(path)]) == EXIT_STORE
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot reach the database")
    assert "hunter2" not in err
    assert len(err.splitlines()) == 1


def test_scan_json_prints_only_the_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate(GeneratorSettings(seed=5, months=12, scale=0.2)).write(tmp_path / "data")
    text = (
        MINIMAL_CONFIG
        + "connectors:\n  - {name: exports, type: csv, path: data}\n"
        + "goals:\n  - {id: t, name: Time, objective: owner_time}\n"
    )
    path = _write(tmp_path, text)
    assert (
        main(
            [
                "scan",
                "--config",
                str(path),
                "--json",
                "--as-of",
                "2026-10-31",
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    document = json.loads(capsys.readouterr().out)
    assert document["business"] == "acme"
    assert document["recommendations"]
    assert (tmp_path / "out" / "report.html").is_file()
    assert json.loads((tmp_path / "out" / "recommendations.json").read_text()) == document


@pytest.mark.slow
def test_demo_writes_report_and_json_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "Recommendations for " in captured.out
    assert "\x1b[" not in captured.out  # piped: plain text
    document = json.loads((out / "recommendations.json").read_text())
    truth = json.loads((out / "data" / "truth.json").read_text())
    kinds = {rec["kind"] for rec in document["recommendations"]}
    assert kinds >= {"recurring_invoice", "slow_collection", "appointment_to_invoice"}
    assert document["business_name"] == truth["business"]["name"]
    html = (out / "report.html").read_text()
    assert 'class="shortlist"' in html  # the things worth doing first
    top = min(document["recommendations"], key=lambda rec: rec.get("rank") or 99)
    assert top["title"].replace("'", "&#39;") in html
    assert "http://" not in html
    assert "https://" not in html
    assert "Wrote" in captured.err
    # Running it again starts from an empty store and gives the same findings.
    assert main(["demo", "--out", str(out)]) == 0
    again = json.loads((out / "recommendations.json").read_text())
    assert [r["id"] for r in again["recommendations"]] == [
        r["id"] for r in document["recommendations"]
    ]
