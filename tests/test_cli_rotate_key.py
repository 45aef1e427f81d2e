"""``busywork rotate-key``: stored OAuth tokens re-encrypted under a new key, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from busywork.cli import EXIT_CONFIG, main
from busywork.errors import AuthError
from busywork.store.credentials import Credential
from busywork.store.db import open_store
from connectors.oauth import CredentialStore, TokenSet, load_cipher
from tests.factories import MINIMAL_CONFIG

OLD, NEW, WRONG = (Fernet.generate_key().decode() for _ in range(3))
SECRETS = ("access-aaaa-1111", "refresh-bbbb-2222", "access-cccc-3333", "refresh-dddd-4444")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config whose store holds two connectors' tokens encrypted under ``OLD``."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_store(url)
    store = CredentialStore(engine, load_cipher({"BUSYWORK_SECRET_KEYS": OLD}))
    store.save("acme", "books", TokenSet(SECRETS[0], SECRETS[1], 1.0), expected_version=None)
    store.save("acme", "cards", TokenSet(SECRETS[2], SECRETS[3], 1.0), expected_version=None)
    engine.dispose()
    path = tmp_path / "busywork.yaml"
    path.write_text(MINIMAL_CONFIG + f"storage: {{url: '{url}'}}\n")
    return path


def stored(config: Path) -> dict[str, str]:
    engine = open_store(f"sqlite:///{config.parent / 'store.db'}")
    table = Credential.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        rows = connection.execute(sa.select(table.c.connector, table.c.ciphertext)).all()
    engine.dispose()
    return {row.connector: row.ciphertext for row in rows}


def readable(config: Path, key: str) -> bool:
    engine = open_store(f"sqlite:///{config.parent / 'store.db'}")
    store = CredentialStore(engine, load_cipher({"BUSYWORK_SECRET_KEYS": key}))
    try:
        return all(store.load("acme", name) is not None for name in ("books", "cards"))
    except AuthError:
        return False
    finally:
        engine.dispose()


def test_rotation_re_encrypts_every_credential_under_the_new_key(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", f"{NEW},{OLD}")
    assert main(["rotate-key", "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    assert "2 stored credential(s) re-encrypted under the new key" in out
    assert readable(config, NEW)
    assert not readable(config, OLD)
    engine = open_store(f"sqlite:///{config.parent / 'store.db'}")
    loaded = CredentialStore(engine, load_cipher({"BUSYWORK_SECRET_KEYS": NEW})).load(
        "acme", "cards"
    )
    engine.dispose()
    assert loaded is not None
    assert (loaded[0].access_token, loaded[0].refresh_token) == SECRETS[2:]
    for secret in (*SECRETS, NEW, OLD):
        assert secret not in out + err


def test_a_wrong_old_key_fails_in_one_line_and_changes_nothing(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stored(config)
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", f"{NEW},{WRONG}")
    assert main(["rotate-key", "--config", str(config)]) == EXIT_CONFIG
    err = capsys.readouterr().err.strip()
    assert err == (
        "error: BUSYWORK_SECRET_KEYS holds no key that decrypts the stored tokens of"
        " acme/books; nothing was changed"
    )
    assert stored(config) == before
    assert readable(config, OLD)
    assert not readable(config, NEW)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (None, "BUSYWORK_SECRET_KEYS is not set"),
        ("not-a-key", "holds a value that is not a Fernet key"),
        (NEW, "must list the new key first and the current key after it (NEW,OLD)"),
        (f"{NEW},{NEW}", "the new key (the first) is also listed as an old one"),
    ],
    ids=["unset", "malformed", "one-key", "same-key"],
)
def test_key_settings_that_cannot_rotate_are_clear_errors(
    config: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    keys: str | None,
    message: str,
) -> None:
    before = stored(config)
    if keys is None:
        monkeypatch.delenv("BUSYWORK_SECRET_KEYS", raising=False)
    else:
        monkeypatch.setenv("BUSYWORK_SECRET_KEYS", keys)
    assert main(["rotate-key", "--config", str(config)]) == EXIT_CONFIG
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1
    assert NEW not in err
    assert stored(config) == before


def test_rotating_twice_is_harmless(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", f"{NEW},{OLD}")
    assert main(["rotate-key", "--config", str(config)]) == 0
    assert main(["rotate-key", "--config", str(config)]) == 0
    assert readable(config, NEW)
