"""The command line is consistent: ``-c`` everywhere, help and examples, README forms, pipes."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pytest
import responses
from cryptography.fernet import Fernet

from busywork.cli import EXIT_CONFIG, _parser, main
from busywork.store.db import open_store
from connectors.oauth import CredentialStore, load_cipher
from tests.factories import MINIMAL_CONFIG


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_subcommand_has_a_description_an_example_and_help_on_every_option() -> None:
    for name, sub in _subparsers().items():
        assert sub.description, name
        assert sub.epilog, name
        assert f"busywork {name}" in sub.epilog, name
        for action in sub._actions:
            assert action.help, f"{name}: {action.dest} has no help"


def test_every_command_that_reads_a_config_takes_c() -> None:
    takes_config = {
        name
        for name, sub in _subparsers().items()
        if any("-c" in action.option_strings for action in sub._actions)
    }
    assert takes_config >= {
        "scan",
        "run",
        "check-config",
        "migrate",
        "connect",
        "rotate-key",
        "feedback",
        "deliveries",
        "serve",
    }


def test_check_config_with_c_and_the_old_positional_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(MINIMAL_CONFIG)
    assert main(["check-config", "-c", str(path)]) == 0
    captured = capsys.readouterr()
    assert f"{path}: ok" in captured.out
    assert "deprecated" not in captured.err
    assert main(["check-config", str(path)]) == 0
    captured = capsys.readouterr()
    assert f"{path}: ok" in captured.out
    assert "deprecated; use `busywork check-config -c FILE`" in captured.err


def test_without_c_the_busywork_yaml_here_is_used_or_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["check-config"]) == EXIT_CONFIG
    assert "no config file: give one with -c FILE" in capsys.readouterr().err
    (tmp_path / "busywork.yaml").write_text(MINIMAL_CONFIG)
    assert main(["check-config"]) == 0
    assert "busywork.yaml: ok" in capsys.readouterr().out


def test_status_without_c_reads_the_busywork_yaml_here(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BUSYWORK_DATABASE_URL", raising=False)
    (tmp_path / "busywork.yaml").write_text(MINIMAL_CONFIG)
    assert main(["status"]) == 0
    assert "error" not in capsys.readouterr().err


def test_webhooks_sync_without_pushing_connectors_needs_no_public_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", Fernet.generate_key().decode())
    path = tmp_path / "busywork.yaml"
    path.write_text(
        MINIMAL_CONFIG + "connectors:\n  - {name: exports, type: csv, path: data, interval: 1h}\n"
    )
    assert main(["webhooks", "sync", "-c", str(path)]) == 0
    assert "acme: no connector here takes vendor webhooks; nothing to do" in capsys.readouterr().out


def test_the_readme_forms_of_deliveries_and_feedback_run_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "busywork.yaml").write_text(MINIMAL_CONFIG)
    assert main(["deliveries"]) == 0
    assert capsys.readouterr().out == "no deliveries\n"
    # An unknown id is refused with a clear message, not an argument error (exit 2).
    assert main(["feedback", "rec_0123456789abcdef", "accept"]) == 1
    assert "has no finding 'rec_0123456789abcdef'" in capsys.readouterr().err


def test_currency_has_no_silent_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "busywork.yaml"
    path.write_text("business: {id: acme, name: Acme}\n")
    assert main(["check-config", "-c", str(path)]) == EXIT_CONFIG
    assert "busywork.yaml:1: business.currency: field required" in capsys.readouterr().err


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        raise OSError("no descriptor")


def test_a_closed_pipe_ends_quietly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "busywork.yaml"
    path.write_text(MINIMAL_CONFIG)
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["check-config", "-c", str(path)]) == 0
    assert capsys.readouterr().err == ""


QBO_TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"


@responses.activate
def test_connect_takes_a_refresh_token_on_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", key)
    path = tmp_path / "busywork.yaml"
    path.write_text(
        MINIMAL_CONFIG
        + "connectors:\n"
        + "  - {name: books-qbo, type: quickbooks, client_id: cid, client_secret: csecret,"
        + " realm_id: '9130355', redirect_uri: 'http://localhost:8765/callback'}\n"
    )
    responses.post(
        QBO_TOKEN_URL,
        json={"access_token": "acc-new-1234", "refresh_token": "ref-new-5678", "expires_in": 3600},
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO("ref-given-0000\n"))
    assert main(["connect", "books-qbo", "-c", str(path), "--refresh-token-stdin"]) == 0
    captured = capsys.readouterr()
    assert "refresh token accepted; tokens stored encrypted" in captured.err
    assert "ref-" not in captured.out + captured.err
    assert "refresh_token=ref-given-0000" in responses.calls[0].request.body
    engine = open_store(f"sqlite:///{tmp_path / 'busywork.db'}")
    loaded = CredentialStore(engine, load_cipher({"BUSYWORK_SECRET_KEYS": key})).load(
        "acme", "books-qbo"
    )
    engine.dispose()
    assert loaded is not None
    tokens, _ = loaded
    assert (tokens.refresh_token, tokens.extra) == ("ref-new-5678", {"realm_id": "9130355"})


@responses.activate
def test_a_refused_refresh_token_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", Fernet.generate_key().decode())
    path = tmp_path / "busywork.yaml"
    path.write_text(
        MINIMAL_CONFIG
        + "connectors:\n"
        + "  - {name: books-qbo, type: quickbooks, client_id: cid, client_secret: csecret,"
        + " realm_id: '9130355', redirect_uri: 'http://localhost:8765/callback'}\n"
    )
    responses.post(QBO_TOKEN_URL, status=400, json={"error": "invalid_grant"})
    monkeypatch.setattr(sys, "stdin", io.StringIO("ref-stale-0000\n"))
    assert main(["connect", "books-qbo", "-c", str(path), "--refresh-token-stdin"]) == 1
    err = capsys.readouterr().err
    assert "books-qbo: the token endpoint refused the grant" in err
    assert "ref-stale-0000" not in err
    assert "Traceback" not in err
