"""The one owner of a profile's automatic backups.

A backup is a consistent online copy of the profile database made with SQLCipher's
``sqlcipher_export`` under the profile's own key, so it is exactly as encrypted as the profile.
It is written beside its final name (``.part``), read back and checked, then renamed into place:
a backup that is listed is one that opens. Each has a sidecar holding its date, size and the
number of memories and exchanges it holds (counts only, no user data).

Rotation bounds the space: the last :data:`KEEP_RECENT` backups, the newest of each of the last
:data:`KEEP_DAYS` days and of each of the last :data:`KEEP_WEEKS` weeks (a month); never more
than :data:`MAX_BACKUPS` backups.

:class:`AutoBackup` takes them in the background, on its own connection (so an answer never
waits for one), once writes have settled, and once more when the profile is closed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlcipher3

from lampdesk.errors import DamagedProfileError, DiskFullError, LampdeskError, StoreError
from lampdesk.paths import atomic_write, ensure_private_dir
from lampdesk.vault.keys import ProfileKey
from lampdesk.vault.store import Store, known_error

KEEP_RECENT = 3
KEEP_DAYS = 7
KEEP_WEEKS = 6
#: The most backups a profile keeps (recent + daily + weekly slots).
MAX_BACKUPS = KEEP_RECENT + KEEP_DAYS + KEEP_WEEKS
#: Seconds without a write before the background backup is taken.
SETTLE_SECONDS = 30.0
_POLL_SECONDS = 2.0
#: Room kept free beyond a backup's own size.
MARGIN_BYTES = 1024 * 1024
SUFFIX = ".db"
PART = ".part"
_STAMP = "%Y%m%dT%H%M%S%fZ"


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created_at: datetime
    size: int
    memories: int
    exchanges: int

    @property
    def name(self) -> str:
        return self.path.name

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "size_bytes": self.size,
            "memories": self.memories,
            "exchanges": self.exchanges,
        }


def _sidecar(path: Path) -> Path:
    return path.with_suffix(".json")


def list_backups(folder: Path) -> list[BackupInfo]:
    """The finished backups in *folder*, newest first (unfinished ``.part`` files are not)."""
    if not folder.is_dir():
        return []
    found: list[BackupInfo] = []
    for path in folder.glob(f"*{SUFFIX}"):
        try:
            meta = json.loads(_sidecar(path).read_text(encoding="utf-8"))
            created = datetime.strptime(path.stem, _STAMP).replace(tzinfo=UTC)
            found.append(
                BackupInfo(
                    path,
                    created,
                    path.stat().st_size,
                    int(meta["memories"]),
                    int(meta["exchanges"]),
                )
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue  # no sidecar: the backup was never verified, so it is not offered
    return sorted(found, key=lambda b: b.created_at, reverse=True)


def find(folder: Path, name: str | None) -> BackupInfo:
    """The backup called *name* (or the newest one)."""
    backups = list_backups(folder)
    if not backups:
        raise StoreError("This profile has no backup yet ('lampdesk profile backup' takes one).")
    if name is None:
        return backups[0]
    for info in backups:
        if name in (info.name, info.path.stem):
            return info
    raise StoreError(f"There is no backup named {name!r} ('lampdesk profile backups' lists them).")


def needed_bytes(db: Path) -> int:
    """What a copy of the database at *db* may take: the file and its WAL, and a margin."""
    size = 0
    for path in (db, db.with_name(db.name + "-wal")):
        with contextlib.suppress(OSError):
            size += path.stat().st_size
    return size + MARGIN_BYTES


def require_free_space(folder: Path, needed: int, what: str) -> None:
    """Refuse to start *what* when *folder*'s file system has less than *needed* bytes free."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if free < needed:
        raise DiskFullError(
            f"{what} needs about {_mb(needed)} free on the disk holding {folder}, but only "
            f"{_mb(free)} are free: nothing was started. Free some space and try again."
        )


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def verify(path: Path, key: ProfileKey) -> tuple[int, int]:
    """Open the database at *path* with *key*, check every page, count memories and
    exchanges; :class:`DamagedProfileError` when it is not a sound copy."""
    try:
        conn = sqlcipher3.connect(str(path), isolation_level=None)
    except sqlcipher3.Error as exc:
        raise DamagedProfileError(f"The backup {path.name} cannot be opened: {exc}") from exc
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = {key.pragma_value()}")
        problems = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            raise DamagedProfileError(f"The backup {path.name} is damaged: {problems[0]}")
        memories = int(conn.execute("SELECT count(*) FROM memories").fetchone()[0])
        exchanges = int(conn.execute("SELECT count(*) FROM interactions").fetchone()[0])
    except sqlcipher3.Error as exc:
        raise DamagedProfileError(
            f"The backup {path.name} does not open with the profile's key, or is damaged: {exc}"
        ) from exc
    finally:
        conn.close()
    return memories, exchanges


def take(
    store: Store, folder: Path, *, now: datetime | None = None, prune: bool = True
) -> BackupInfo:
    """Back the profile up now, on a connection of its own; then (with *prune*) rotate."""
    key = store.key
    if key is None:
        raise StoreError("This database was opened without a known key: it cannot be backed up.")
    now = now or datetime.now(UTC)
    ensure_private_dir(folder)
    who = f"A backup of profile {store.name!r}" if store.name else "A backup"
    require_free_space(folder, needed_bytes(store.path), who)
    stamp = now.strftime(_STAMP)
    final = folder / f"{stamp}{SUFFIX}"
    part = folder / f"{stamp}{SUFFIX}{PART}"
    try:
        _export(store.path, part, key)
        with open(part, "rb") as handle:
            os.fsync(handle.fileno())
        memories, exchanges = verify(part, key)
        os.replace(part, final)
        meta = {"memories": memories, "exchanges": exchanges}
        atomic_write(_sidecar(final), json.dumps(meta) + "\n")
    except sqlcipher3.Error as exc:
        _remove(part, final)
        raise known_error(exc, store.path, store.name, writing=True) from exc
    except OSError as exc:
        _remove(part, final)
        raise DiskFullError(
            f"{who} could not be written to {folder}: {exc.strerror or exc}."
        ) from exc
    except BaseException:
        _remove(part, final)
        raise
    info = BackupInfo(final, now, final.stat().st_size, memories, exchanges)
    if prune:
        rotate(folder, now)
    return info


def _export(source: Path, target: Path, key: ProfileKey) -> None:
    conn = sqlcipher3.connect(str(source), isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = {key.pragma_value()}")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute(f"ATTACH DATABASE ? AS backup KEY {key.pragma_value()}", (str(target),))
        # One read transaction: the copy is one consistent snapshot, whatever is written meanwhile.
        conn.execute("BEGIN")
        conn.execute("SELECT sqlcipher_export('backup')").fetchall()
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE backup")
    finally:
        conn.close()


def _remove(*paths: Path) -> None:
    for path in paths:
        for extra in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + extra).unlink(missing_ok=True)


def rotate(folder: Path, now: datetime | None = None) -> list[Path]:
    """Delete the backups no slot keeps; return what was deleted.

    Slots are the last :data:`KEEP_RECENT` backups, then the newest backup of each of the last
    :data:`KEEP_DAYS` calendar days and of each of the last :data:`KEEP_WEEKS` calendar weeks
    that have one. Days and weeks are fixed on the calendar, so the backup kept for a week stays
    kept as it ages, until its week falls out of the window.
    """
    del now  # the slots follow the backups' own dates
    backups = list_backups(folder)
    keep = {b.path for b in backups[:KEEP_RECENT]}
    for slot, count in ((_day, KEEP_DAYS), (_week, KEEP_WEEKS)):
        seen: set[tuple[int, int]] = set()
        for info in backups:  # newest first: the first of each slot is its newest
            key = slot(info.created_at)
            if key not in seen and len(seen) < count:
                seen.add(key)
                keep.add(info.path)
    removed = []
    for info in backups:
        if info.path not in keep:
            _remove(info.path)
            _sidecar(info.path).unlink(missing_ok=True)
            removed.append(info.path)
    for leftover in folder.glob(f"*{PART}*"):  # a backup killed half-way
        leftover.unlink(missing_ok=True)
    return removed


def _day(when: datetime) -> tuple[int, int]:
    return when.year, when.timetuple().tm_yday


def _week(when: datetime) -> tuple[int, int]:
    year, week, _ = when.isocalendar()
    return year, week


def replace_all(store: Store, folder: Path) -> None:
    """After a rekey: one backup under the new key, and none under the old one."""
    fresh: BackupInfo | None = None
    with contextlib.suppress(LampdeskError):
        fresh = take(store, folder)
    for info in list_backups(folder):
        if fresh is None or info.path != fresh.path:
            _remove(info.path)
            _sidecar(info.path).unlink(missing_ok=True)


class AutoBackup:
    """Backs one open profile up in the background once writes settle, and at close."""

    def __init__(self, store: Store, folder: Path, *, settle: float = SETTLE_SECONDS) -> None:
        self.store = store
        self.folder = folder
        self.settle = settle
        #: What went wrong with the last automatic backup, for the window or ``doctor``.
        self.last_error: str | None = None
        self._backed_up = store.changes
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lampdesk-backup", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> bool:
        """Whether something was written since the last backup."""
        return self.store.changes != self._backed_up

    def backup_now(self) -> BackupInfo | None:
        """Take a backup of what is written now (``None`` when nothing changed since)."""
        with self._lock:
            changes = self.store.changes
            if changes == self._backed_up and list_backups(self.folder):
                return None
            info = take(self.store, self.folder)
            self._backed_up = changes
            self.last_error = None
            return info

    def _run(self) -> None:
        seen, quiet_since = self.store.changes, time.monotonic()
        while not self._stop.wait(_POLL_SECONDS):
            changes = self.store.changes
            if changes != seen:
                seen, quiet_since = changes, time.monotonic()
            elif self.pending and time.monotonic() - quiet_since >= self.settle:
                self._quietly()

    def _quietly(self) -> None:
        try:
            self.backup_now()
        except LampdeskError as exc:  # a full disk, a damaged page: said, never raised here
            self.last_error = str(exc)
        except Exception as exc:  # a background thread has no one to raise to
            self.last_error = f"The automatic backup failed: {type(exc).__name__}: {exc}"

    def close(self) -> None:
        """Stop the thread; back up what was written since the last backup."""
        self._stop.set()
        self._thread.join()
        if self.pending:
            self._quietly()
