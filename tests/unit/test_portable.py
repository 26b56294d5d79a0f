"""Export files: round trip, authenticity, versions, merge, all-or-nothing imports."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from lampdesk.errors import ImportFileError, StoreError
from lampdesk.paths import DataPaths
from lampdesk.profile import Profile
from lampdesk.vault import portable
from lampdesk.vault.portable import ExportPayload, Table
from lampdesk.vault.profiles import Vault
from tests.conftest import snapshot
from tests.vault_helpers import EXPORT_PASSPHRASE, FAST_KDF, dump_profile, fill


def exported(vault: Vault, name: str = "default", marker: str = "") -> bytes:
    entry, store = vault.open_or_create(name)
    with store:
        fill(Profile(store), marker)
        return portable.export_bytes(store, entry.name, EXPORT_PASSPHRASE, FAST_KDF)


def test_round_trip_gives_the_same_profile(data_dir: Path, tmp_path: Path) -> None:
    data = exported(Vault(DataPaths(data_dir)))
    other = tmp_path / "other"
    result = portable.import_profile(Vault(DataPaths(other)), data, EXPORT_PASSPHRASE)
    assert result.name == "default"
    before, after = dump_profile(data_dir, "default"), dump_profile(other, "default")
    assert after == before
    assert {"attributes", "memories", "interactions", "interaction_items", "feedback"} <= set(after)
    assert len(after["feedback"]) == 1 and len(after["interaction_items"]) == 2


def test_header_holds_magic_version_and_kdf(data_dir: Path) -> None:
    data = exported(Vault(DataPaths(data_dir)))
    assert data.startswith(portable.MAGIC)
    kdf, salt, nonce = portable.read_header(data)
    assert kdf == FAST_KDF and len(salt) == 16 and len(nonce) == 12
    assert b"vegan" not in data and b"marathon" not in data


def test_wrong_passphrase_is_refused(data_dir: Path, tmp_path: Path) -> None:
    data = exported(Vault(DataPaths(data_dir)))
    target = Vault(DataPaths(tmp_path / "other"))
    with pytest.raises(ImportFileError, match="passphrase is wrong"):
        portable.import_profile(target, data, "not it")
    assert not (tmp_path / "other").exists()


def test_file_from_a_newer_lampdesk_is_refused(data_dir: Path) -> None:
    data = bytearray(exported(Vault(DataPaths(data_dir))))
    struct.pack_into(">H", data, len(portable.MAGIC), portable.FORMAT_VERSION + 1)
    with pytest.raises(ImportFileError, match="newer LampDesk"):
        portable.read_export(bytes(data), EXPORT_PASSPHRASE)


def test_authentic_file_with_a_newer_schema_is_refused(data_dir: Path) -> None:
    raw = {"format": 1, "profile": {"name": "x"}, "schema": ["0001_initial", "0999_future"]}
    with pytest.raises(ImportFileError, match="newer LampDesk"):
        portable.read_export(encrypt(raw), EXPORT_PASSPHRASE)


def test_not_an_export(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="not a LampDesk profile export"):
        portable.read_export(b"SQLite format 3\x00" + bytes(100), EXPORT_PASSPHRASE)


def test_kdf_parameters_are_bounded_before_deriving(data_dir: Path) -> None:
    data = bytearray(exported(Vault(DataPaths(data_dir))))
    data[len(portable.MAGIC) + 3] = 40  # log2_n: 2**40 would exhaust memory
    with pytest.raises(ImportFileError, match="out of range"):
        portable.read_export(bytes(data), EXPORT_PASSPHRASE)


def encrypt(raw: object) -> bytes:
    """An authentic file around arbitrary content, as only the passphrase holder can make."""
    import secrets

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    header = portable._PREFIX.pack(portable.MAGIC, 1) + portable._PARAMS.pack(
        1, FAST_KDF.log2_n, FAST_KDF.r, FAST_KDF.p, salt, 1, nonce
    )
    key = FAST_KDF.derive(EXPORT_PASSPHRASE, salt)
    return header + AESGCM(key).encrypt(nonce, json.dumps(raw).encode(), header)


def test_import_as_new_is_all_or_nothing(data_dir: Path) -> None:
    vault = Vault(DataPaths(data_dir))
    vault.create("default")[1].close()
    before = snapshot(data_dir)
    raw = {
        "format": 1,
        "profile": {"name": "broken"},
        "schema": ["0001_initial"],
        "tables": {
            "memories": {
                "columns": ["id", "text", "created_at", "updated_at"],
                "rows": [[1, "fine", "t", "t"], [2, None, "t", "t"]],  # NOT NULL violated
            }
        },
    }
    with pytest.raises(ImportFileError, match="do not fit"):
        portable.import_profile(vault, encrypt(raw), EXPORT_PASSPHRASE)
    assert snapshot(data_dir) == before
    assert vault.names() == ["default"]


def test_import_refuses_an_existing_name(data_dir: Path) -> None:
    vault = Vault(DataPaths(data_dir))
    data = exported(vault)
    with pytest.raises(StoreError, match="already exists"):
        portable.import_profile(vault, data, EXPORT_PASSPHRASE)
    assert portable.import_profile(vault, data, EXPORT_PASSPHRASE, as_name="copy").name == "copy"
    assert dump_profile(data_dir, "copy") == dump_profile(data_dir, "default")


SHARED_AT = "2026-01-01T00:00:00+00:00"


def test_merge_drops_duplicates_and_keeps_newer_attributes(data_dir: Path, tmp_path: Path) -> None:
    home = Vault(DataPaths(data_dir))
    _, store = home.open_or_create("default")
    with store:
        profile = Profile(store)
        fill(profile)
        profile.add_memory("Only at home")
        with store.transaction():
            store.execute(f"UPDATE interactions SET created_at='{SHARED_AT}'")
            store.execute(
                "UPDATE attributes SET value='omnivore', updated_at='2000-01-01' WHERE key='diet'"
            )
            store.execute("UPDATE attributes SET updated_at='2999-01-01' WHERE key='city'")
    away = Vault(DataPaths(tmp_path / "away"))
    _, other = away.open_or_create("default")
    with other:
        fill(Profile(other))
        Profile(other).add_memory("Only away")
        with other.transaction():
            # The same conversation in both copies: fill() stamps it with the clock, which may
            # have ticked between the two profiles.
            other.execute(f"UPDATE interactions SET created_at='{SHARED_AT}'")
            other.execute("UPDATE attributes SET value='Paris' WHERE key='city'")
        data = portable.export_bytes(other, "default", EXPORT_PASSPHRASE, FAST_KDF)

    result = portable.import_profile(home, data, EXPORT_PASSPHRASE, merge="default")
    assert result.merge is not None
    _, store = home.open("default")
    with store:
        profile = Profile(store)
        texts = [m.text for m in profile.memories()]
        assert sorted(texts) == sorted(
            [
                "I'm training for a half marathon in April",
                "My sister is called Lea",
                "Only at home",
                "Only away",
            ]
        )
        attributes = profile.attributes()
        assert attributes["diet"] == "vegan"  # the file's value was newer
        assert attributes["city"] == "Berlin"  # ours was newer than the file's 'Paris'
        assert store.query("SELECT count(*) FROM interactions") == [(1,)]
        assert store.query("SELECT count(*) FROM interaction_items") == [(2,)]
        assert store.query("SELECT count(*) FROM feedback") == [(1,)]
    assert result.merge.attributes_updated == 1 and result.merge.attributes_kept == 1

    again = portable.import_profile(home, data, EXPORT_PASSPHRASE, merge="default")
    assert again.merge is not None and again.merge.added.get("memories", 0) == 0


def test_merge_is_one_transaction(data_dir: Path) -> None:
    vault = Vault(DataPaths(data_dir))
    exported(vault)
    before = dump_profile(data_dir, "default")
    payload = ExportPayload(
        "x",
        ["0001_initial"],
        {
            "memories": Table(
                ["id", "text", "created_at", "updated_at"], [[7, "new one", "t", "t"]]
            ),
            "interactions": Table(["id", "question"], [[9, "q"]]),  # answer NOT NULL: fails
        },
    )
    _, store = vault.open("default")
    with store, pytest.raises(ImportFileError):
        portable.merge_into(store, payload)
    assert dump_profile(data_dir, "default") == before
