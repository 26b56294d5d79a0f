from pathlib import Path

import pytest

from lampdesk.errors import StoreError, WrongKeyError
from lampdesk.vault.keys import KeyMode, ProfileKey
from lampdesk.vault.migrations import MIGRATIONS, Migration
from lampdesk.vault.store import Store
from tests.conftest import snapshot

KEY = ProfileKey(KeyMode.PASSPHRASE, "it's a secret")
RAW = ProfileKey(KeyMode.KEYRING, "ab" * 32)


def test_create_applies_named_migrations(tmp_path: Path) -> None:
    with Store.open(tmp_path / "p.db", KEY, create=True) as store:
        assert store.schema_version == [m.name for m in MIGRATIONS]


def test_reopen_with_raw_key(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    with Store.open(path, RAW, create=True) as store:
        store.execute("INSERT INTO attributes VALUES ('diet', 'vegan', 'now')")
    with Store.open(path, RAW) as store:
        assert store.query("SELECT value FROM attributes") == [("vegan",)]
    assert b"vegan" not in path.read_bytes()
    assert not path.read_bytes().startswith(b"SQLite format 3")


def test_wrong_key_is_detected_before_anything_is_written(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    Store.open(path, KEY, create=True).close()
    before = snapshot(tmp_path)
    with pytest.raises(WrongKeyError, match="Wrong passphrase"):
        Store.open(path, ProfileKey(KeyMode.PASSPHRASE, "not it"))
    with pytest.raises(WrongKeyError, match="keyring"):
        Store.open(path, RAW)
    assert snapshot(tmp_path) == before


def test_garbage_file_is_not_opened(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    path.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(WrongKeyError):
        Store.open(path, KEY)


def test_missing_database_is_a_known_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="missing"):
        Store.open(tmp_path / "nope.db", KEY)


def test_create_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    path.write_bytes(b"x")
    with pytest.raises(StoreError, match="already there"):
        Store.open(path, KEY, create=True)


def test_database_from_newer_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    newer = (*MIGRATIONS, Migration("9999_future", "CREATE TABLE future (x)"))
    Store.open(path, KEY, create=True, migrations=newer).close()
    with pytest.raises(StoreError, match="newer LampDesk"):
        Store.open(path, KEY)


def test_new_migration_is_applied_once(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    Store.open(path, KEY, create=True).close()
    extended = (*MIGRATIONS, Migration("0002_test", "CREATE TABLE extra (x)"))
    with Store.open(path, KEY, migrations=extended) as store:
        assert store.schema_version[-1] == "0002_test"
    with Store.open(path, KEY, migrations=extended) as store:
        assert store.schema_version.count("0002_test") == 1


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    with Store.open(tmp_path / "p.db", KEY, create=True) as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.execute("INSERT INTO attributes VALUES ('a', 'b', 'now')")
            raise RuntimeError("boom")
        assert store.query("SELECT count(*) FROM attributes") == [(0,)]
