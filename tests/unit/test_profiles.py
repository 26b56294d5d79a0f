"""Several profiles: switch, rename, delete; keys: rekey and passphrase changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from lampdesk.errors import (
    KeyUnavailableError,
    ProfileNotFoundError,
    StoreError,
    UsageError,
    WrongKeyError,
)
from lampdesk.paths import DataPaths
from lampdesk.profile import Profile
from lampdesk.vault import doctor
from lampdesk.vault.keys import KeyMode
from lampdesk.vault.profiles import Vault, resolve_profile_name
from tests.conftest import TEST_PASSPHRASE, snapshot


def make(vault: Vault, name: str, memory: str = "a fact") -> None:
    _, store = vault.create(name)
    with store:
        Profile(store).add_memory(memory)


def test_active_profile_is_used_when_none_is_named(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = DataPaths(data_dir)
    vault = Vault(paths)
    assert resolve_profile_name(paths, None) == "default"
    make(vault, "work")
    vault.use("work")
    assert resolve_profile_name(paths, None) == "work"
    assert resolve_profile_name(paths, "home") == "home"
    monkeypatch.setenv("LAMPDESK_PROFILE", "env")
    assert resolve_profile_name(paths, None) == "env"
    with pytest.raises(ProfileNotFoundError, match="no profile named"):
        vault.use("nobody")


def test_rename_keeps_content_and_the_active_mark(data_dir: Path) -> None:
    vault = Vault(DataPaths(data_dir))
    make(vault, "work", "renamed but kept")
    make(vault, "home")
    vault.use("work")
    vault.rename("work", "job")
    assert vault.names() == ["job", "home"]
    assert vault.registry.active() == "job"
    _, store = vault.open("job")
    with store:
        assert [m.text for m in Profile(store).memories()] == ["renamed but kept"]
    with pytest.raises(StoreError, match="already exists"):
        vault.rename("job", "home")
    with pytest.raises(UsageError):
        vault.rename("job", "../evil")


def test_delete_removes_database_index_and_entry(data_dir: Path) -> None:
    vault = Vault(DataPaths(data_dir))
    make(vault, "work")
    make(vault, "home")
    vault.use("work")
    entry = vault.registry.get("work")
    index = vault.paths.index_dir(entry.id)
    index.mkdir()
    (index / "chroma.sqlite3").write_bytes(b"x")
    vault.delete("work")
    assert vault.names() == ["home"]
    assert not vault.paths.profile_dir(entry.id).exists()
    assert vault.registry.active() is None


def test_change_passphrase(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vault = Vault(DataPaths(data_dir))
    make(vault, "default", "still here")
    monkeypatch.setenv("LAMPDESK_NEW_PASSPHRASE", "a new passphrase")
    assert vault.rekey("default", KeyMode.PASSPHRASE).key_mode is KeyMode.PASSPHRASE
    with pytest.raises(WrongKeyError):
        vault.open("default")
    monkeypatch.setenv("LAMPDESK_PASSPHRASE", "a new passphrase")
    _, store = vault.open("default")
    with store:
        assert [m.text for m in Profile(store).memories()] == ["still here"]
        assert store.integrity_problems() == []
    assert (
        b"still here" not in vault.paths.profile_db(vault.registry.get("default").id).read_bytes()
    )


def test_rekey_with_a_wrong_passphrase_changes_nothing(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = Vault(DataPaths(data_dir))
    make(vault, "default")
    before = snapshot(data_dir)
    monkeypatch.setenv("LAMPDESK_PASSPHRASE", "wrong")
    monkeypatch.setenv("LAMPDESK_NEW_PASSPHRASE", "new")
    with pytest.raises(WrongKeyError):
        vault.rekey("default")
    assert snapshot(data_dir) == before
    monkeypatch.setenv("LAMPDESK_PASSPHRASE", TEST_PASSPHRASE)
    vault.open("default")[1].close()


def test_moving_to_a_keyring_needs_one(data_dir: Path) -> None:
    vault = Vault(DataPaths(data_dir))
    make(vault, "default")
    before = snapshot(data_dir)
    with pytest.raises(KeyUnavailableError, match="No usable OS keyring"):
        vault.rekey("default", KeyMode.KEYRING)
    assert snapshot(data_dir) == before


def test_doctor_fixes_permissions_and_leftovers(data_dir: Path) -> None:
    vault = Vault(DataPaths(data_dir))
    make(vault, "default")
    entry = vault.registry.get("default")
    db = vault.paths.profile_db(entry.id)
    db.chmod(0o644)
    vault.paths.profile_dir(entry.id).chmod(0o755)
    staging = vault.paths.staging_dir("dead")
    staging.mkdir()
    report = doctor.run(vault)
    assert report.ok, report.as_json()
    assert db.stat().st_mode & 0o777 == 0o600
    assert vault.paths.profile_dir(entry.id).stat().st_mode & 0o777 == 0o700
    assert not staging.exists()
    statuses = {f.check: f.status for f in report.data_dir}
    assert statuses["permissions"] == "fixed"
    assert doctor.run(vault).as_json()["data_dir"][-1]["status"] == "ok"


def test_doctor_reports_a_damaged_profile(data_dir: Path) -> None:
    vault = Vault(DataPaths(data_dir))
    _, store = vault.create("default")
    with store:
        for i in range(300):
            Profile(store).add_memory(f"memory {i} " + "x" * 1000)
    db = vault.paths.profile_db(vault.registry.get("default").id)
    blob = bytearray(db.read_bytes())
    assert len(blob) > 60 * 4096
    blob[40 * 4096 + 100] ^= 0xFF  # inside a page of memories: its HMAC no longer matches
    db.write_bytes(bytes(blob))
    report = doctor.run(vault)
    assert not report.ok
    findings = {f.check: f for f in report.profiles["default"]}
    assert findings["integrity"].status == "problem", report.as_json()


def test_doctor_reports_an_orphan_directory(data_dir: Path) -> None:
    vault = Vault(DataPaths(data_dir))
    make(vault, "default")
    (vault.paths.profiles_dir / "0123abcd").mkdir(mode=0o700)
    report = doctor.run(vault)
    assert not report.ok
    assert any(f.check == "leftovers" and f.status == "problem" for f in report.data_dir)
