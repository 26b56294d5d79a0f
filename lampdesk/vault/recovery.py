"""Bringing a profile back: restore a backup, or salvage what a damaged database still holds.

Both build the new database beside the current one, check it, and only then swap it in; the
current file is kept aside until the new one has opened and passed its checks, and put back if
it does not. Afterwards the full-text indexes are rebuilt and Chroma is rebuilt from the vectors
kept in the database (memories without one are embedded on the next search). Reports hold
names, counts and row ids, never user content.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlcipher3

from lampdesk.errors import DamagedProfileError, LampdeskError, StoreError, WrongKeyError
from lampdesk.paths import DataPaths
from lampdesk.vault import backup, keycheck
from lampdesk.vault.backup import BackupInfo
from lampdesk.vault.keys import ProfileKey
from lampdesk.vault.profiles import ProfileEntry, Vault
from lampdesk.vault.store import Store

#: Full-text tables: rebuilt from ``memories``, never copied.
FTS_TABLES = ("memories_fts", "retrieval_fts")
#: Derived tables a salvage does not copy: the index outbox is remade, the KV cache is a cache.
_NOT_COPIED = {"schema_migrations", "retrieval_outbox", "prefix_states"}
#: Point lookups tried past a damaged stretch of a table before giving up on its tail.
PROBE_LIMIT = 2000
_SIDE = (".restoring", ".replaced")


@dataclass
class TableSalvage:
    saved: int = 0
    #: Row ids whose page could not be read, as (first, last) ranges.
    lost_ranges: list[tuple[int, int]] = field(default_factory=list)
    #: Rows saved but then left out: what they belonged to was lost.
    orphans: int = 0
    #: The whole table could not be read.
    unreadable: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "saved": self.saved,
            "lost_row_ids": [list(r) for r in self.lost_ranges],
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
            not t.lost_ranges and not t.unreadable and not t.orphans for t in self.tables.values()
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
    paths: DataPaths, entry: ProfileEntry, key: ProfileKey, name: str | None = None
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
        _swap_in(paths, entry, key, restoring)
        return info
    raise DamagedProfileError(
        "No backup of profile "
        f"{entry.name!r} could be used: "
        + "; ".join(problems)
        + ". Try 'lampdesk doctor --salvage' to keep what the database still holds."
    )


def _swap_in(paths: DataPaths, entry: ProfileEntry, key: ProfileKey, new: Path) -> None:
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
    rebuild_dense_index(paths, entry, key)


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


def rebuild_dense_index(paths: DataPaths, entry: ProfileEntry, key: ProfileKey) -> str:
    """Chroma from the stored vectors (a fresh directory)."""
    from lampdesk.vault import doctor

    index_dir = paths.index_dir(entry.id)
    with contextlib.suppress(Exception):  # a broken Chroma directory is simply replaced
        doctor._forget_broken_index(index_dir)
    with Store.open(paths.profile_db(entry.id), key, name=entry.name) as store:
        return doctor.check_index(paths, entry, store).detail


# -- salvage ---------------------------------------------------------------------------------


def salvage(paths: DataPaths, entry: ProfileEntry, key: ProfileKey) -> SalvageReport:
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
            _copy_all(lambda: _open_raw(db, key), new, report, entry)
            new.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        _remove_db(target)
        raise
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = db.with_name(f"{db.name}.damaged-{stamp}")
    shutil.copyfile(db, kept)
    report.damaged_copy = kept
    _swap_in(paths, entry, key, target)
    return report


def _open_raw(db: Path, key: ProfileKey) -> Any:
    conn = sqlcipher3.connect(str(db), isolation_level=None)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = {key.pragma_value()}")
    # Read the damaged file as it is: never roll a journal back into it or checkpoint it.
    with contextlib.suppress(sqlcipher3.Error):
        conn.execute("PRAGMA query_only = ON")
    return conn


def _copy_all(
    connect: Callable[[], Any], new: Store, report: SalvageReport, entry: ProfileEntry
) -> None:
    """Each table is read on a fresh connection: after a page fails, SQLite may keep refusing
    reads on the connection that met it."""
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
    for table in tables:
        result = TableSalvage()
        report.tables[table] = result
        try:
            source = connect()
        except sqlcipher3.Error as exc:
            result.unreadable = str(exc)
            continue
        try:
            _copy_table(source, new, table, result)
        finally:
            source.close()
    _drop_orphans(new, report, entry)


def _copy_table(source: Any, new: Store, table: str, result: TableSalvage) -> None:
    try:
        have = {str(r[1]) for r in source.execute(f'PRAGMA table_info("{table}")').fetchall()}
    except sqlcipher3.Error as exc:
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
    source: Any, table: str, quoted: str, result: TableSalvage
) -> Iterator[tuple[Any, ...]]:
    """Every row of *table* whose page can be read, in rowid order: a range scan, and past a
    damaged page, lookups one rowid at a time until the scan can go on."""
    try:
        top = source.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0]
    except sqlcipher3.Error:
        top = None
    scan = f'SELECT rowid, {quoted} FROM "{table}" WHERE rowid > ? ORDER BY rowid'
    point = f'SELECT rowid, {quoted} FROM "{table}" WHERE rowid = ?'
    after: int | None = None
    yielded = 0
    while True:
        try:
            for row in source.execute(scan, (-(2**63) if after is None else after,)):
                after = int(row[0])
                yielded += 1
                yield tuple(row[1:])
            return
        except sqlcipher3.Error as exc:
            error = exc
        probe = 1 if after is None else after + 1
        misses, found = 0, False
        while misses < PROBE_LIMIT and (top is None or probe <= top):
            try:
                row = source.execute(point, (probe,)).fetchone()
            except sqlcipher3.Error:
                _lost(result, probe)
                misses, probe = misses + 1, probe + 1
                continue
            if row is not None:  # past the damage: yield it, then scan on from it
                after, found = probe, True
                yielded += 1
                yield tuple(row[1:])
                break
            misses, probe = misses + 1, probe + 1  # a gap in the ids
        if not found:
            if not yielded and not result.lost_ranges:
                result.unreadable = str(error)
            return


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
        return restore(vault.paths, entry, key, chosen.name)
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
