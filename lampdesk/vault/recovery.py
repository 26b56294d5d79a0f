"""Bringing a profile back: restore a backup, or salvage what a damaged database still holds.

Both build the new database beside the current one, check it, and only then swap it in; the
current file is kept aside until the new one has opened and passed its checks, and put back if
it does not. Afterwards the full-text indexes are rebuilt and Chroma is rebuilt from the vectors
kept in the database (memories without one are embedded on the next search). Reports hold
names, counts and row ids, never user content.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlcipher3

from lampdesk.errors import DamagedProfileError, LampdeskError, StoreError, WrongKeyError
from lampdesk.paths import DataPaths
from lampdesk.vault import backup, keycheck
from lampdesk.vault.backup import BackupInfo
from lampdesk.vault.keys import KeyMode, ProfileKey
from lampdesk.vault.profiles import ProfileEntry, Vault
from lampdesk.vault.store import Store

if TYPE_CHECKING:
    from lampdesk.vault.doctor import IndexRepair

#: Full-text tables: rebuilt from ``memories``, never copied.
FTS_TABLES = ("memories_fts", "retrieval_fts")
#: Derived tables a salvage does not copy: the index outbox is remade, the KV cache is a cache.
_NOT_COPIED = {"schema_migrations", "retrieval_outbox", "prefix_states"}
#: Row ids tried past a damaged stretch at the end of a table whose last row id cannot be read,
#: before the rest of it is given up.
PROBE_LIMIT = 2000
#: SQLCipher 4's default key derivation (what ``PRAGMA key = 'passphrase'`` does).
_KDF_ITERATIONS = 256_000
_SALT_BYTES = 16
_LOWEST = -(2**63)
_SIDE = (".restoring", ".replaced")


@dataclass
class TableSalvage:
    saved: int = 0
    #: Row ids whose page could not be read, as (first, last) ranges.
    lost_ranges: list[tuple[int, int]] = field(default_factory=list)
    #: Every row from this id on could not be read (the end of the table was lost).
    lost_from: int | None = None
    #: Rows saved but then left out: what they belonged to was lost.
    orphans: int = 0
    #: The whole table could not be read.
    unreadable: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "saved": self.saved,
            "lost_row_ids": [list(r) for r in self.lost_ranges],
            "lost_from_row_id": self.lost_from,
            "orphans_dropped": self.orphans,
            "unreadable": self.unreadable,
        }


@dataclass
class SalvageReport:
    tables: dict[str, TableSalvage] = field(default_factory=dict)
    damaged_copy: Path | None = None

    @property
    def complete(self) -> bool:
        return all(
            not t.lost_ranges and t.lost_from is None and not t.unreadable and not t.orphans
            for t in self.tables.values()
        )

    def lines(self) -> list[str]:
        out = []
        for name, table in self.tables.items():
            if table.unreadable:
                out.append(f"{name}: nothing could be read ({table.unreadable})")
                continue
            lost = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in table.lost_ranges)
            text = f"{name}: {table.saved} rows saved"
            if lost:
                text += f"; rows with ids {lost} could not be read"
            if table.lost_from is not None:
                text += f"; rows with ids from {table.lost_from} on could not be read"
            if table.orphans:
                text += f"; {table.orphans} rows dropped because what they belonged to was lost"
            out.append(text)
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "complete": self.complete,
            "tables": {n: t.as_json() for n, t in self.tables.items()},
            "damaged_copy": str(self.damaged_copy) if self.damaged_copy else None,
        }


def check_key(db: Path, key: ProfileKey, name: str) -> None:
    """A wrong key is refused before a backup or salvage is tried with it."""
    if keycheck.matches(db, key) is False:
        raise WrongKeyError(
            f"Wrong passphrase or key for profile {name!r}: it is not the profile's key."
        )


def restore(
    paths: DataPaths,
    entry: ProfileEntry,
    key: ProfileKey,
    name: str | None = None,
    index: IndexRepair | None = None,
) -> BackupInfo:
    """Replace the profile's database by backup *name* (the newest good one by default)."""
    db = paths.profile_db(entry.id)
    check_key(db, key, entry.name)
    folder = paths.backups_dir(entry.id)
    candidates = [backup.find(folder, name)] if name else backup.list_backups(folder)
    if not candidates:
        backup.find(folder, None)  # raises: no backup yet
    problems = []
    for info in candidates:
        try:
            backup.verify(info.path, key)
        except DamagedProfileError as exc:
            problems.append(str(exc))
            continue
        backup.require_free_space(db.parent, info.size + backup.MARGIN_BYTES, "The restore")
        restoring = db.with_name(db.name + _SIDE[0])
        shutil.copyfile(info.path, restoring)
        _fsync(restoring)
        _swap_in(paths, entry, key, restoring, index)
        return info
    raise DamagedProfileError(
        "No backup of profile "
        f"{entry.name!r} could be used: "
        + "; ".join(problems)
        + ". Try 'lampdesk doctor --salvage' to keep what the database still holds."
    )


def _swap_in(
    paths: DataPaths, entry: ProfileEntry, key: ProfileKey, new: Path, index: IndexRepair | None
) -> None:
    """Put *new* in place of the profile's database, keeping the current one aside until the
    new one opens and passes its checks; then rebuild the indexes."""
    db = paths.profile_db(entry.id)
    aside = db.with_name(db.name + _SIDE[1])
    _move_db(db, aside)
    os.replace(new, db)
    try:
        with Store.open(db, key, name=entry.name) as store:
            problems = store.integrity_problems()
            if problems:
                raise DamagedProfileError("The new database failed its check: " + problems[0])
            rebuild_text_indexes(store)
            store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        _remove_db(db)
        _move_db(aside, db)
        raise
    _remove_db(aside)
    keycheck.ensure(db, key)
    if index is not None:
        rebuild_dense_index(paths, entry, key, index)


def _move_db(source: Path, target: Path) -> None:
    for extra in ("", "-wal", "-shm"):
        src = Path(str(source) + extra)
        if src.exists():
            os.replace(src, Path(str(target) + extra))
        else:
            Path(str(target) + extra).unlink(missing_ok=True)


def _remove_db(path: Path) -> None:
    for extra in ("", "-wal", "-shm"):
        Path(str(path) + extra).unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def rebuild_text_indexes(store: Store) -> None:
    with store.transaction():
        for table in FTS_TABLES:
            if table in store.tables():
                store.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")
        store.execute("DELETE FROM retrieval_outbox")
        store.execute(
            "INSERT INTO retrieval_outbox(memory_id, op) SELECT id, 'upsert' FROM memories "
            "WHERE id NOT IN (SELECT memory_id FROM memory_vectors)"
        )


def rebuild_dense_index(
    paths: DataPaths, entry: ProfileEntry, key: ProfileKey, index: IndexRepair
) -> str:
    """Chroma from the stored vectors (a fresh directory)."""
    from lampdesk.vault import doctor

    index_dir = paths.index_dir(entry.id)
    with contextlib.suppress(Exception):  # a broken Chroma directory is simply replaced
        index.forget(index_dir)
    with Store.open(paths.profile_db(entry.id), key, name=entry.name) as store:
        return doctor.check_index(paths, entry, store, index).detail


# -- salvage ---------------------------------------------------------------------------------


def salvage(
    paths: DataPaths, entry: ProfileEntry, key: ProfileKey, index: IndexRepair | None = None
) -> SalvageReport:
    """Copy every row that can still be read, table by table and row by row, into a new
    database under the same key, and swap it in; the damaged file is kept beside it."""
    db = paths.profile_db(entry.id)
    if not db.is_file():
        raise DamagedProfileError(
            f"The database of profile {entry.name!r} is missing: there is nothing to salvage. "
            "Restore a backup ('lampdesk profile restore') if there is one."
        )
    check_key(db, key, entry.name)
    backup.require_free_space(db.parent, 2 * backup.needed_bytes(db), "Salvaging the profile")
    target = db.with_name(db.name + ".salvaged")
    _remove_db(target)
    report = SalvageReport()
    try:
        with Store.open(target, key, create=True, name=entry.name) as new:
            _copy_all(_Source(db, key), new, report, entry)
            new.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        _remove_db(target)
        raise
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = db.with_name(f"{db.name}.damaged-{stamp}")
    shutil.copyfile(db, kept)
    report.damaged_copy = kept
    _swap_in(paths, entry, key, target, index)
    return report


class _Source:
    """Read-only connections to the damaged file, one at a time. After any error the connection
    is dropped and the next read opens a fresh one: once a read has failed, SQLite may refuse
    every later read on that connection, even of pages that are sound."""

    def __init__(self, db: Path, key: ProfileKey) -> None:
        self._db = db
        self._pragma = _raw_key_pragma(db, key)
        self._conn: Any = None

    def execute(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        if self._conn is None:
            self._conn = _open_raw(self._db, self._pragma)
        return self._conn.execute(sql, args)

    def reset(self) -> None:
        """Forget the connection (after an error)."""
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlcipher3.Error):
                self._conn.close()
            self._conn = None


def _raw_key_pragma(db: Path, key: ProfileKey) -> str:
    """The key as SQLCipher's raw key and salt, so re-opening after an error costs no key
    derivation; the passphrase itself if the derived key does not open the file."""
    if key.mode is KeyMode.KEYRING:
        return key.pragma_value()
    try:
        with open(db, "rb") as handle:
            salt = handle.read(_SALT_BYTES)
    except OSError:
        return key.pragma_value()
    if len(salt) != _SALT_BYTES:
        return key.pragma_value()
    derived = hashlib.pbkdf2_hmac("sha512", key.secret.encode(), salt, _KDF_ITERATIONS, 32)
    raw = f"\"x'{derived.hex()}{salt.hex()}'\""
    try:
        conn = _open_raw(db, raw)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlcipher3.Error:
        return key.pragma_value()
    return raw


def _open_raw(db: Path, pragma: str) -> Any:
    conn = sqlcipher3.connect(str(db), isolation_level=None)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = {pragma}")
    # Read the damaged file as it is: never roll a journal back into it or checkpoint it.
    with contextlib.suppress(sqlcipher3.Error):
        conn.execute("PRAGMA query_only = ON")
    return conn


def _copy_all(source: _Source, new: Store, report: SalvageReport, entry: ProfileEntry) -> None:
    """Each table is read on a fresh connection, and a connection that met an error is never
    read from again."""
    virtual = {
        str(name)
        for (name,) in new.query("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL%'")
    }
    tables = [
        t
        for t in new.tables()
        if t not in _NOT_COPIED
        and t not in virtual
        and not any(t.startswith(v + "_") for v in virtual)
    ]
    new.execute("PRAGMA foreign_keys = OFF")
    # The new profile row is the old one: drop what Store.open(create=True) did not write.
    with new.transaction():
        for table in tables:
            new.execute(f'DELETE FROM "{table}"')
    try:
        for table in tables:
            result = TableSalvage()
            report.tables[table] = result
            source.reset()
            _copy_table(source, new, table, result)
    finally:
        source.close()
    _drop_orphans(new, report, entry)


def _copy_table(source: _Source, new: Store, table: str, result: TableSalvage) -> None:
    try:
        have = {str(r[1]) for r in source.execute(f'PRAGMA table_info("{table}")').fetchall()}
    except sqlcipher3.Error as exc:
        source.reset()
        result.unreadable = str(exc)
        return
    columns = [c for c in new.columns(table) if c in have]
    if not columns:
        result.unreadable = "the table is missing from the damaged file"
        return
    quoted = ", ".join(f'"{c}"' for c in columns)
    insert = f'INSERT OR IGNORE INTO "{table}" ({quoted}) VALUES ({", ".join("?" * len(columns))})'
    with new.transaction():
        for row in _readable_rows(source, table, quoted, result):
            new.execute(insert, row)
            result.saved += 1


def _drop_orphans(new: Store, report: SalvageReport, entry: ProfileEntry) -> None:
    """Rows whose parent row was lost are left out (the database stays consistent)."""
    with new.transaction():
        for table, rowid, _parent, _fk in new.query("PRAGMA foreign_key_check"):
            new.execute(f'DELETE FROM "{table}" WHERE rowid = ?', (rowid,))
            report.tables[str(table)].orphans += 1
            report.tables[str(table)].saved -= 1
        if not new.query("SELECT 1 FROM profile"):
            new.execute(
                "INSERT INTO profile(id, uuid, name, created_at) VALUES (1, ?, ?, ?)",
                (entry.id, entry.name, entry.created_at),
            )
    new.execute("PRAGMA foreign_keys = ON")


def _readable_rows(
    source: _Source, table: str, quoted: str, result: TableSalvage
) -> Iterator[tuple[Any, ...]]:
    """Every row of *table* whose page can be read, in rowid order.

    A range scan; where it fails, single-row seeks on fresh connections step past the damage:
    a seek that fails counts the id after the last row read as lost and the next seek starts
    after it, so a damaged page costs only the ids it could hold, and the rows past it are
    reached through the b-tree without reading it. (A scan reads one row ahead, so the row
    before a damaged page is taken by a seek, which stops at its one row.)"""
    try:
        top = source.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0]
    except sqlcipher3.Error:
        source.reset()
        top = None  # the last page is damaged: probe on until PROBE_LIMIT ids in a row fail
    scan = f'SELECT rowid, {quoted} FROM "{table}" WHERE rowid > ? ORDER BY rowid'
    # ">=": a seek for "> n" lands on the page of row n first, and so fails while n's page does.
    seek = f'SELECT rowid, {quoted} FROM "{table}" WHERE rowid >= ? ORDER BY rowid LIMIT 1'
    after: int | None = None
    misses = yielded = 0
    error: sqlcipher3.Error | None = None
    while True:
        try:
            for row in source.execute(scan, (_LOWEST if after is None else after,)):
                after, misses = int(row[0]), 0
                yielded += 1
                yield tuple(row[1:])
            return
        except sqlcipher3.Error as exc:
            source.reset()
            error = exc
        candidate = _LOWEST if after is None else after + 1
        while True:
            try:
                row = source.execute(seek, (candidate,)).fetchone()
            except sqlcipher3.Error as exc:
                source.reset()
                error = exc
                bad = max(candidate, 1)
                if top is not None and bad > int(top):
                    return
                _lost(result, bad)
                candidate, misses = bad + 1, misses + 1
                if top is None and misses >= PROBE_LIMIT:
                    # The end of the table could not be reached: every id from this stretch on.
                    first, _ = result.lost_ranges.pop()
                    if not yielded and not result.lost_ranges:
                        result.unreadable = str(error)
                    else:
                        result.lost_from = first
                    return
                continue
            if row is None:
                return
            after, misses = int(row[0]), 0
            yielded += 1
            yield tuple(row[1:])
            break  # past the damage: scan on


def _lost(result: TableSalvage, rowid: int) -> None:
    ranges = result.lost_ranges
    if ranges and ranges[-1][1] == rowid - 1:
        ranges[-1] = (ranges[-1][0], rowid)
    else:
        ranges.append((rowid, rowid))


def restore_with_undo(vault: Vault, entry: ProfileEntry, name: str | None) -> BackupInfo:
    """Restore backup *name* (the newest by default) with the profile locked, after backing up
    the current database when it is sound (so the restore can be undone)."""
    from lampdesk.vault import lock

    path = vault.paths.profile_lock(entry.id)
    lock.acquire(path, entry.name)
    try:
        key = vault._key_for(entry)
        folder = vault.paths.backups_dir(entry.id)
        chosen = backup.find(folder, name)
        try:
            _, store = vault.open(entry.name)
        except LampdeskError:
            store = None  # damaged or missing: nothing to keep
        if store is not None:
            with store:
                backup_then(store, folder)
        return restore(vault.paths, entry, key, chosen.name, vault.index_repair)
    finally:
        lock.release(path)


def backup_then(store: Store, folder: Path) -> BackupInfo | None:
    """A backup of a sound profile before it is replaced (so a restore can be undone)."""
    try:
        if store.integrity_problems():
            return None
        return backup.take(store, folder, prune=False)
    except LampdeskError:
        return None


__all__ = ["SalvageReport", "StoreError", "backup_then", "restore", "salvage"]
