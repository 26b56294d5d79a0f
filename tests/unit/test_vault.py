from pathlib import Path

import pytest

from lampdesk.errors import ProfileNotFoundError, StoreError, WrongKeyError
from lampdesk.paths import DataPaths
from lampdesk.vault.keys import KeyMode
from lampdesk.vault.profiles import Vault
from tests.conftest import snapshot


def test_create_and_reopen(data_dir: Path) -> None:
    vault = Vault(DataPaths.resolve())
    entry, store = vault.create("default")
    store.close()
    assert entry.key_mode is KeyMode.PASSPHRASE
    assert [e.name for e in vault.registry.entries()] == ["default"]
    again, store = vault.open("default")
    assert store.query("SELECT name FROM profile") == [("default",)]
    store.close()
    assert again == entry
    assert (data_dir / "profiles.json").stat().st_mode & 0o777 == 0o600


def test_unknown_profile(data_dir: Path) -> None:
    with pytest.raises(ProfileNotFoundError):
        Vault(DataPaths.resolve()).open("nobody")


def test_duplicate_name_refused(data_dir: Path) -> None:
    vault = Vault(DataPaths.resolve())
    vault.create("a")[1].close()
    with pytest.raises(StoreError, match="already exists"):
        vault.create("a")


def test_wrong_passphrase_changes_no_file(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vault = Vault(DataPaths.resolve())
    vault.create("default")[1].close()
    before = snapshot(data_dir)
    monkeypatch.setenv("LAMPDESK_PASSPHRASE", "wrong")
    with pytest.raises(WrongKeyError):
        vault.open("default")
    assert snapshot(data_dir) == before


def test_failed_creation_leaves_nothing(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vault = Vault(DataPaths.resolve())

    def refuse(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(vault.registry, "add", refuse)
    with pytest.raises(OSError):
        vault.create("default")
    assert list((data_dir / "profiles").iterdir()) == []
    assert not (data_dir / "profiles.json").exists()
