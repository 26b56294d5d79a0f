"""Issue 19, acceptance 1: damaged profiles through the real commands, in-process.

A profile of 1,000 memories and 200 exchanges is damaged in one of five ways per run (a flipped
byte, a zeroed page, a truncation, the WAL or the database deleted in the middle of a write).
Every command must then work or end in a known error (never a traceback); with a backup,
``doctor --restore`` brings back exactly what the newest backup held; without one, ``doctor
--salvage`` keeps every row that a rowid lookup in the damaged file can still read.

The number of runs is ``LAMPDESK_FAULT_RUNS`` (a modest default for the suite; the acceptance
run uses 200). The seed is fixed, so every run of the suite damages the same bytes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
import sqlcipher3
from keyring.backend import KeyringBackend

from lampdesk.cli import main
from lampdesk.paths import DataPaths
from lampdesk.profile import Interaction, Profile
from lampdesk.vault import backup
from lampdesk.vault.keys import KeyMode, ProfileKey
from lampdesk.vault.portable import canonical_dump
from lampdesk.vault.profiles import Vault
from lampdesk.vault.store import Store

RUNS = int(os.environ.get("LAMPDESK_FAULT_RUNS", "20"))
SEED = 19
PAGE = 4096
FAULTS = ("flip", "zero-page", "truncate", "delete-wal", "delete-file")
COMMANDS: list[list[str]] = [
    ["memory", "list"],
    ["profile", "show", "--json"],
    ["remember", "a fact written after the damage"],
    ["profile", "set", "mood=curious"],
    ["history"],
    ["profile", "backups", "--json"],
    ["doctor", "--json"],
]
KNOWN_EXIT_CODES = {0, 1, 2}


class MemoryKeyring(KeyringBackend):
    """A keyring in this process only: raw 256-bit keys, so runs pay no passphrase KDF."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    monkeypatch.delenv("LAMPDESK_PASSPHRASE")
    monkeypatch.setenv("LAMPDESK_NO_RESIDENT", "1")
    yield ring
    keyring.set_keyring(previous)


def build_profile(data_dir: Path) -> tuple[str, ProfileKey]:
    vault = Vault(DataPaths(data_dir))
    entry, store = vault.create("default", KeyMode.KEYRING)
    with store:
        profile = Profile(store)
        with store.transaction():
            for i in range(1000):
                profile.add_memory(f"memory {i}: I keep note number {i} about my week")
        for i in range(200):
            profile.record_interaction(
                Interaction(f"question {i}?", f"answer {i}.", True, "test", 10, 5, 1.0, 2.0, False)
            )
        store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        backup.take(store, vault.paths.backups_dir(entry.id))
    key = vault._key_for(entry)
    return entry.id, key


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--data-dir", str(data_dir), *args])
    return code, out.getvalue() + err.getvalue()


def dump_file(path: Path, key: ProfileKey, tmp: Path) -> dict[str, list[list[object]]]:
    """The content of a database file (a copy is opened: the file itself stays as it is)."""
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    copy = tmp / "copy.db"
    shutil.copyfile(path, copy)
    with Store.open(copy, key) as store:
        return canonical_dump(store)


def rows_by_rowid(path: Path, key: ProfileKey) -> dict[str, dict[int, tuple[Any, ...]]]:
    with Store.open(path, key) as store:
        tables = [t for t in store.tables() if not t.endswith(("_fts", "_data", "_idx"))]
        tables = [t for t in tables if "_fts_" not in t and t not in SKIPPED]
        return {
            t: {int(r[0]): tuple(r[1:]) for r in store.query(f'SELECT rowid, * FROM "{t}"')}
            for t in tables
        }


SKIPPED = {"schema_migrations", "retrieval_outbox", "prefix_states"}


def lookup_readable(path: Path, key: ProfileKey, table: str, rowids: list[int]) -> set[int]:
    """The rows of *table* a point lookup in the (damaged) file still reads."""
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    readable: set[int] = set()
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = {key.pragma_value()}")
        conn.execute("PRAGMA query_only = ON")
        for rowid in rowids:
            with contextlib.suppress(sqlcipher3.Error):
                if conn.execute(f'SELECT * FROM "{table}" WHERE rowid = ?', (rowid,)).fetchone():
                    readable.add(rowid)
    except sqlcipher3.Error:
        return set()
    finally:
        conn.close()
    return readable


def damage(kind: str, db: Path, key: ProfileKey, rng: random.Random) -> None:
    data = bytearray(db.read_bytes())
    if kind == "flip":
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        db.write_bytes(bytes(data))
    elif kind == "zero-page":
        page = rng.randrange(len(data) // PAGE)
        data[page * PAGE : (page + 1) * PAGE] = bytes(PAGE)
        db.write_bytes(bytes(data))
    elif kind == "truncate":
        db.write_bytes(bytes(data[: rng.randrange(len(data))]))
    else:
        # A write in progress: the file (or its WAL) vanishes between two statements.
        with Store.open(db, key) as store, store.transaction():
            profile = Profile(store)
            for i in range(20):
                if i == 10:
                    target = db.with_name(db.name + "-wal") if kind == "delete-wal" else db
                    target.unlink(missing_ok=True)
                profile.add_memory(f"written during the fault {i}")


def test_damaged_profiles_end_in_known_errors_and_come_back(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    template = tmp_path / "template"
    profile_id, key = build_profile(template)
    template_db = DataPaths(template).profile_db(profile_id)
    original = rows_by_rowid(template_db, key)
    assert len(original["memories"]) == 1000 and len(original["interactions"]) == 200
    rng = random.Random(SEED)
    counts: Counter[str] = Counter()
    for number in range(RUNS):
        kind = FAULTS[number % len(FAULTS)]
        with_backup = number % 2 == 0
        data_dir = tmp_path / f"run-{number}"
        shutil.copytree(template, data_dir)
        paths = DataPaths(data_dir)
        db, folder = paths.profile_db(profile_id), paths.backups_dir(profile_id)
        if not with_backup:
            shutil.rmtree(folder)
        damage(kind, db, key, rng)
        counts[f"fault {kind}"] += 1

        for command in COMMANDS:
            code, said = run(data_dir, *command)
            assert code in KNOWN_EXIT_CODES, (kind, command, said)
            assert "Traceback" not in said and "internal error" not in said, (kind, said)
            counts["commands ok" if code == 0 else "commands with a known error"] += 1

        code, said = run(data_dir, "doctor", "--json")
        assert code in KNOWN_EXIT_CODES and "Traceback" not in said, said
        if code == 0:
            counts["undamaged after the fault"] += 1
            continue
        report = json.loads(said[: said.rindex("}") + 1])
        assert any(f["check"] == "recovery" for f in report["profiles"]["default"]), report
        if with_backup:
            newest = backup.list_backups(folder)[0]
            expected = dump_file(newest.path, key, tmp_path / "expected")
            code, said = run(data_dir, "doctor", "--restore", "--json")
            assert code == 0, said
            assert dump_file(db, key, tmp_path / "restored") == expected
            counts["restored from the newest backup"] += 1
        else:
            before = db.read_bytes() if db.exists() else b""
            code, said = run(data_dir, "doctor", "--salvage", "--json")
            assert "Traceback" not in said, said
            if not before:
                assert code == 1  # nothing to salvage from a deleted file
                counts["salvage: file deleted, nothing to read"] += 1
                continue
            damaged_copy = next(db.parent.glob("profile.db.damaged-*"), None)
            if damaged_copy is None:
                counts["salvage: nothing readable (first page)"] += 1
                continue
            salvaged = rows_by_rowid(db, key)
            for table, rows in original.items():
                readable = lookup_readable(damaged_copy, key, table, sorted(rows))
                kept = salvaged.get(table, {})
                missing = readable - kept.keys()
                assert not missing, (kind, table, sorted(missing)[:5], said)
                assert all(kept[r] == rows[r] for r in kept if r in rows), (kind, table)
                counts["rows lost"] += len(rows) - len(readable & kept.keys())
            counts["salvaged"] += 1
        code, said = run(data_dir, "memory", "list")
        assert code == 0, said
    print(dict(counts))  # the figures for the report (pytest -s)
