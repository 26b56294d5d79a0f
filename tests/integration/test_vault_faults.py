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
import hashlib
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
from lampdesk.vault import backup, recovery
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


def lookup_readable(path: Path, key: ProfileKey | str, table: str, rowids: list[int]) -> set[int]:
    """The rows of *table* a point lookup in the (damaged) file still reads. After a failed
    read the connection is replaced: SQLite may refuse every later read on the one that met
    it, which would hide rows that can still be read. *key* is a key, or what follows
    ``PRAGMA key =``."""
    pragma = key if isinstance(key, str) else key.pragma_value()

    def connect() -> Any:
        conn = sqlcipher3.connect(str(path), isolation_level=None)
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = {pragma}")
        conn.execute("PRAGMA query_only = ON")
        return conn

    readable: set[int] = set()
    conn = connect()
    try:
        for rowid in rowids:
            try:
                if conn.execute(f'SELECT * FROM "{table}" WHERE rowid = ?', (rowid,)).fetchone():
                    readable.add(rowid)
            except sqlcipher3.Error:
                conn.close()
                conn = connect()
    finally:
        conn.close()
    return readable


def salvage_by_table(said: str, tables: set[str]) -> dict[str, str]:
    """What the salvage report (the recovery finding of ``doctor --json``) says of each table."""
    report = json.loads(said[: said.rindex("}") + 1])
    detail = next(f["detail"] for f in report["profiles"]["default"] if f["check"] == "recovery")
    out: dict[str, str] = {}
    current = ""
    for part in detail.split("; "):
        head, sep, rest = part.partition(": ")
        if sep and head in tables:
            current, out[head] = head, rest
        elif current:
            out[current] += "; " + part
    return out


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
            said_of = salvage_by_table(said, set(original))
            for table, rows in original.items():
                readable = lookup_readable(damaged_copy, key, table, sorted(rows))
                kept = salvaged.get(table, {})
                missing = readable - kept.keys()
                assert not missing, (kind, table, sorted(missing)[:5], said)
                assert all(kept[r] == rows[r] for r in kept if r in rows), (kind, table)
                # The report says exactly what was kept, and names every loss.
                told = said_of[table]
                if table != "profile" and not told.startswith("nothing could be read"):
                    assert told.startswith(f"{len(kept)} rows saved"), (table, told)
                if rows.keys() - kept.keys():  # a lost profile row is written anew
                    assert any(
                        words in told
                        for words in (
                            "could not be read",
                            "nothing could be read",
                            "dropped because",
                        )
                    ), (kind, table, told)
                counts["rows lost"] += len(rows) - len(readable & kept.keys())
                counts["rows before the fault (salvaged runs)"] += len(rows)
                counts["rows a lookup could still read"] += len(readable)
                counts["rows salvage saved"] += len(kept.keys() & rows.keys())
            counts["salvaged"] += 1
        code, said = run(data_dir, "memory", "list")
        assert code == 0, said
    print(dict(counts))  # the figures for the report (pytest -s)


def test_salvage_reads_past_a_damaged_page_in_the_middle_of_a_table(tmp_path: Path) -> None:
    """A passphrase profile (its key costs a slow derivation, and salvage re-opens the file
    after every failed read) with one damaged page among its memories: every row a lookup can
    still read is kept, the rows past the page too, and the report names exactly the ids lost."""
    vault = Vault(DataPaths(tmp_path))
    entry, store = vault.create("default", KeyMode.PASSPHRASE)
    with store:
        profile = Profile(store)
        with store.transaction():
            for i in range(400):
                profile.add_memory(f"memory {i}: I keep note number {i} about my week")
        store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    key = vault._key_for(entry)
    db = vault.paths.profile_db(entry.id)
    ids = list(range(1, 401))
    pristine = db.read_bytes()
    # The lookups below use the derived key (SQLCipher 4's PBKDF2-HMAC-SHA512, 256,000 rounds,
    # salted by the file's first 16 bytes): re-opening after each failed read costs no KDF.
    salt = pristine[:16]
    derived = hashlib.pbkdf2_hmac("sha512", key.secret.encode(), salt, 256_000, 32)
    raw = f"\"x'{derived.hex()}{salt.hex()}'\""
    pages = len(pristine) // PAGE
    for page in range(1, pages):  # the first page whose loss leaves rows on both sides
        data = bytearray(pristine)
        data[page * PAGE : (page + 1) * PAGE] = bytes(PAGE)
        db.write_bytes(bytes(data))
        readable = lookup_readable(db, raw, "memories", ids)
        if min(set(ids) - readable, default=1) > 1 and max(readable, default=0) == ids[-1]:
            break
    else:
        pytest.fail("no page holds memories in the middle of the table")

    report = recovery.salvage(vault.paths, entry, key)

    kept = rows_by_rowid(db, key)["memories"]
    assert readable == set(kept)
    table = report.tables["memories"]
    assert table.saved == len(kept) and table.lost_from is None and not table.unreadable
    named = {rowid for first, last in table.lost_ranges for rowid in range(first, last + 1)}
    assert named == set(ids) - readable
    assert not report.complete
