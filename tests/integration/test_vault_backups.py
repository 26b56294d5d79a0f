"""Issue 19: backups and their rotation, damage told apart from a wrong passphrase, weak export
passphrases refused; through real SQLCipher files and the real command (in-process)."""

from __future__ import annotations

import contextlib
import io
import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lampdesk.cli import main
from lampdesk.errors import DamagedProfileError, WeakPassphraseError
from lampdesk.paths import DataPaths
from lampdesk.profile import Profile
from lampdesk.vault import backup, strength
from lampdesk.vault.keys import KeyMode, ProfileKey
from lampdesk.vault.portable import canonical_dump
from lampdesk.vault.profiles import Vault
from lampdesk.vault.store import Store
from tests.conftest import TEST_PASSPHRASE
from tests.vault_helpers import EXPORT_PASSPHRASE


def run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--data-dir", str(data_dir), *args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _no_resident(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMPDESK_NO_RESIDENT", "1")


def test_rotation_keeps_the_folder_within_its_bound_after_1000_writes(tmp_path: Path) -> None:
    key = ProfileKey(KeyMode.KEYRING, secrets.token_hex(32))
    folder = tmp_path / "backups"
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with Store.open(tmp_path / "profile.db", key, create=True) as store:
        profile = Profile(store)
        largest = 0
        for i in range(1000):
            profile.add_memory(f"memory {i}")
            if i % 5 != 4:
                continue
            # Six hours between writes, a backup after every fifth: the 1,000 writes span 250
            # days, so the recent, daily and weekly slots all turn over many times.
            info = backup.take(store, folder, now=start + timedelta(hours=6 * i))
            largest = max(largest, info.size)
            kept = backup.list_backups(folder)
            assert len(kept) <= backup.MAX_BACKUPS
        files = list(folder.iterdir())
    kept = backup.list_backups(folder)
    assert kept[0].memories == 1000  # the newest backup holds every write
    assert len(files) == 2 * len(kept)  # each backup and its sidecar; no .part left over
    assert sum(f.stat().st_size for f in files) <= backup.MAX_BACKUPS * (largest + 4096)
    ages = [(kept[0].created_at - b.created_at).days for b in kept]
    assert max(ages) >= 28  # weekly backups reach back a month
    assert len({b.created_at.date() for b in kept}) >= backup.KEEP_DAYS


def test_backup_at_close_holds_what_was_written_and_restores_it(data_dir: Path) -> None:
    assert run(data_dir, "remember", "I have a cat named Miso")[0] == 0
    code, out, _ = run(data_dir, "profile", "backups", "--json")
    listed = json.loads(out)
    assert code == 0 and len(listed) == 1 and listed[0]["memories"] == 1
    assert run(data_dir, "remember", "My cat is nine years old")[0] == 0
    vault = Vault(DataPaths(data_dir))
    _, store = vault.open("default")
    with store:
        expected = canonical_dump(store)
    # the newest backup is restored: the profile is back where it was, after a wipe
    db = vault.paths.profile_db(vault.registry.get("default").id)
    db.write_bytes(db.read_bytes()[:3000])
    code, _, err = run(data_dir, "memory", "list")
    assert code == 2 and "damaged" in err
    code, out, err = run(data_dir, "profile", "restore", "--yes")
    assert code == 0, err
    assert "2 memories" in out
    _, store = vault.open("default")
    with store:
        assert canonical_dump(store) == expected
        assert store.integrity_problems() == []
        assert store.query("SELECT count(*) FROM retrieval_fts WHERE retrieval_fts MATCH 'cat'")[
            0
        ] == (2,)


def test_restore_asks_for_confirmation(data_dir: Path) -> None:
    assert run(data_dir, "remember", "a fact")[0] == 0
    code, _, err = run(data_dir, "profile", "restore")
    assert code == 2 and "--yes" in err


def test_truncated_database_and_wrong_passphrase_are_told_apart(data_dir: Path) -> None:
    assert run(data_dir, "remember", "a fact to keep")[0] == 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAMPDESK_PASSPHRASE", "not the passphrase")
        code, _, wrong = run(data_dir, "memory", "list")
    assert code == 2 and "Wrong passphrase" in wrong and "damaged" not in wrong
    vault = Vault(DataPaths(data_dir))
    db = vault.paths.profile_db(vault.registry.get("default").id)
    db.write_bytes(db.read_bytes()[:3000])
    code, _, damaged = run(data_dir, "memory", "list")
    assert code == 2 and "damaged" in damaged and "Wrong passphrase" not in damaged
    assert "'default'" in damaged and "lampdesk doctor" in damaged
    with pytest.raises(DamagedProfileError):
        vault.open("default")
    # a wrong passphrase on the damaged file is still a wrong passphrase
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAMPDESK_PASSPHRASE", "not the passphrase")
        code, _, wrong = run(data_dir, "memory", "list")
    assert code == 2 and "Wrong passphrase" in wrong


def test_a_flipped_byte_is_damage_not_a_bug_in_every_command(data_dir: Path) -> None:
    vault = Vault(DataPaths(data_dir))
    entry, store = vault.create("default")
    with store:
        profile = Profile(store)
        for i in range(300):
            profile.add_memory(f"memory number {i} with some words to fill a page or two")
    db = vault.paths.profile_db(entry.id)
    data = bytearray(db.read_bytes())
    data[len(data) // 2] ^= 0x20  # inside a page of memories
    db.write_bytes(bytes(data))
    for command in (["memory", "list"], ["profile", "show"], ["remember", "x y z"], ["doctor"]):
        code, out, err = run(data_dir, *command)
        assert code in (0, 1, 2), (command, out, err)
        assert "internal error" not in err and "Traceback" not in err
        # a write that touches no damaged page succeeds; everything else names the damage
        assert code == 0 or "damaged" in out + err, (command, out, err)
    code, report, _ = run(data_dir, "doctor", "--salvage")
    assert "salvaged" in report
    code, out, err = run(data_dir, "memory", "list")
    assert code == 0, err
    saved = out.count("memory number")
    # at most one page of rows is lost (none when the page held only full-text entries)
    assert 250 <= saved <= 300
    assert (saved < 300) == ("could not be read" in report.split("memories:")[1].split(";")[1])
    assert run(data_dir, "doctor")[0] == 0


def test_weak_export_passphrase_is_refused_by_the_cli(data_dir: Path, tmp_path: Path) -> None:
    assert run(data_dir, "remember", "a fact")[0] == 0
    target = tmp_path / "weak.lampdesk"
    for weak in ("ab", "password123", "qwertyuiop"):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("LAMPDESK_EXPORT_PASSPHRASE", weak)
            code, _, err = run(data_dir, "profile", "export", str(target))
        assert code == 2 and "too weak" in err and "offline" in err, err
        assert not target.exists()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAMPDESK_EXPORT_PASSPHRASE", EXPORT_PASSPHRASE)
        assert run(data_dir, "profile", "export", str(target))[0] == 0
    assert target.exists()


def test_strength_estimate_of_the_test_passphrases() -> None:
    assert strength.weakness(TEST_PASSPHRASE) is None
    assert strength.weakness(EXPORT_PASSPHRASE) is None
    with pytest.raises(WeakPassphraseError, match="too weak"):
        strength.check_export_passphrase("ab")
