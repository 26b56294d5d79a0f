"""The one owner of a profile's SQLCipher connection and its migrations."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlcipher3

from lampdesk.errors import DamagedProfileError, DiskFullError, StoreError, WrongKeyError
from lampdesk.vault.keys import KeyMode, ProfileKey
from lampdesk.vault.migrations import MIGRATIONS, Migration, history_matches, newer_schema

Row = tuple[Any, ...]
#: What a statement raises when the data breaks a constraint (for callers that map it to a
#: known error, such as an import whose rows do not fit).
DatabaseError = sqlcipher3.Error


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """An open, keyed, migrated profile database.

    One connection, guarded by a lock, so the GUI's worker thread and the CLI share one code path.
    """

    def __init__(
        self, path: Path, conn: Any, key: ProfileKey | None = None, name: str | None = None
    ) -> None:
        self.path = path
        self._conn = conn
        self._lock = threading.RLock()
        #: The key that opened the database (a backup is written under the same key).
        self.key = key
        #: The profile's name, for messages.
        self.name = name

    @property
    def changes(self) -> int:
        """Rows changed through this connection since it opened (a backup notices writes)."""
        return int(self._conn.total_changes)

    def known_error(self, exc: BaseException, writing: bool = False) -> BaseException:
        """*exc* as the known error it stands for (damage, a full disk, an I/O error); other
        errors (constraints, bugs) are returned unchanged."""
        return known_error(exc, self.path, self.name, writing=writing)

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path,
        key: ProfileKey,
        *,
        create: bool = False,
        migrations: Sequence[Migration] = MIGRATIONS,
        name: str | None = None,
    ) -> Store:
        """Open (or with *create*, make) the database at *path* and check *key* before writing."""
        if not create and not path.is_file():
            who = f"profile {name!r}" if name else "the profile"
            raise DamagedProfileError(
                f"The database of {who} ({path}) is missing. Run 'lampdesk doctor' to restore "
                "it from its newest backup ('lampdesk profile restore')."
            )
        if create and path.exists():
            raise StoreError(f"Refusing to create {path}: a file is already there.")
        try:
            conn = sqlcipher3.connect(str(path), check_same_thread=False, isolation_level=None)
        except sqlcipher3.DatabaseError as exc:
            raise StoreError(f"Cannot open the profile database {path}: {exc}") from exc
        try:
            # SQLCipher would otherwise log every failed page decryption to stderr.
            conn.execute("PRAGMA cipher_log_level = NONE")
            conn.execute(f"PRAGMA key = {key.pragma_value()}")
            # The first read decrypts page 1: a wrong key fails here, before anything is written.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError as exc:
            conn.close()
            what = "passphrase" if key.mode is KeyMode.PASSPHRASE else "key from the OS keyring"
            raise WrongKeyError(
                f"Wrong {what}: it does not open the profile database (or the file is damaged)."
            ) from exc
        store = cls(path, conn, key, name)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            # Sorts and temporary tables stay in memory: nothing of the profile in temp files.
            conn.execute("PRAGMA temp_store = MEMORY")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            store._migrate(migrations)
        except sqlcipher3.Error as exc:
            conn.close()
            raise store.known_error(exc, writing=True) from exc
        except BaseException:
            conn.close()
            raise
        return store

    def _migrate(self, migrations: Sequence[Migration]) -> None:
        with self.transaction():
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, applied_at TEXT NOT NULL)"
            )
        applied = [name for (name,) in self.query("SELECT name FROM schema_migrations ORDER BY id")]
        newer = newer_schema(applied, migrations)
        if newer is not None:
            raise StoreError(
                f"This profile was written by a newer LampDesk (schema {newer}); "
                "update LampDesk to open it."
            )
        if not history_matches(applied, migrations):
            raise StoreError(f"The profile's schema history {applied} does not match this program.")
        for migration in migrations[len(applied) :]:
            with self.transaction():
                for statement in _split_sql(migration.sql):
                    self._conn.execute(statement)
                self._conn.execute(
                    "INSERT INTO schema_migrations(name, applied_at) VALUES (?, ?)",
                    (migration.name, utc_now()),
                )

    # -- keys and health ---------------------------------------------------------------------

    def rekey(self, new_key: ProfileKey) -> None:
        """Re-encrypt every page under *new_key* (SQLCipher ``PRAGMA rekey``), atomically."""
        with self._lock:
            try:
                self._conn.execute(f"PRAGMA rekey = {new_key.pragma_value()}")
                # Fold the WAL into the main file so no page under the old key stays behind.
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlcipher3.Error as exc:
                raise self.known_error(exc, writing=True) from exc
            self.key = new_key

    def integrity_problems(self) -> list[str]:
        """What SQLCipher's page HMAC check and SQLite's structure check find; empty when sound."""
        problems: list[str] = []
        for pragma in ("cipher_integrity_check", "integrity_check"):
            try:
                rows = self.query(f"PRAGMA {pragma}")
            except (sqlcipher3.DatabaseError, StoreError) as exc:
                problems.append(f"{pragma}: {exc}")
                continue
            problems += [
                f"{pragma}: " + " ".join(str(c) for c in row) for row in rows if row != ("ok",)
            ]
        return problems

    def tables(self) -> list[str]:
        """User tables, in creation order (FTS shadow tables included)."""
        rows = self.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")
        return [str(name) for (name,) in rows if not str(name).startswith("sqlite_")]

    def columns(self, table: str) -> list[str]:
        return [str(row[1]) for row in self.query(f'PRAGMA table_info("{table}")')]

    @property
    def schema_version(self) -> list[str]:
        return [name for (name,) in self.query("SELECT name FROM schema_migrations ORDER BY id")]

    # -- access ------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together or not at all. A transaction opened inside
        another (on the same thread, which holds the lock) joins it."""
        with self._lock:
            if self._conn.in_transaction:
                yield
                return
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlcipher3.Error as exc:
                raise self.known_error(exc, writing=True) from exc
            try:
                yield
            except sqlcipher3.Error as exc:
                self._rollback()
                raise self.known_error(exc, writing=True) from exc
            except BaseException:
                self._rollback()
                raise
            try:
                self._conn.execute("COMMIT")
            except sqlcipher3.Error as exc:
                self._rollback()
                error = self.known_error(exc, writing=True)
                if error is exc:
                    error = StoreError(f"Could not save to {self.path}: {exc}")
                raise error from exc

    def _rollback(self) -> None:
        """Roll back once: SQLite has already rolled back after some errors (a full disk), and
        a second ROLLBACK would fail with "no transaction is active"."""
        if not self._conn.in_transaction:
            return
        # If the rollback itself fails (I/O), SQLite rolls the journal back on the next open.
        with contextlib.suppress(sqlcipher3.Error):
            self._conn.execute("ROLLBACK")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return ``lastrowid``. Wrap several in :meth:`transaction`."""
        with self._lock:
            try:
                cursor = self._conn.execute(sql, params)
            except sqlcipher3.Error as exc:
                raise self.known_error(exc, writing=True) from exc
            return int(cursor.lastrowid or 0)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            try:
                return [tuple(row) for row in self._conn.execute(sql, params).fetchall()]
            except sqlcipher3.Error as exc:
                raise self.known_error(exc) from exc

    def close(self) -> None:
        with self._lock:
            try:
                self._conn.close()
            except sqlcipher3.Error as exc:  # the last checkpoint failed: the WAL stays on disk
                raise self.known_error(exc, writing=True) from exc

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_DAMAGE = (
    "malformed",
    "not a database",
    "corrupt",
    "hmac",
    "database disk image",
    "unable to decrypt",
    "short read",
    "vtable constructor failed",
)
_FULL = ("full", "no space")


def known_error(
    exc: BaseException, path: Path, name: str | None, *, writing: bool = False
) -> BaseException:
    """A SQLite error as a known error: damage, a full disk or another I/O error. Anything
    else (a broken constraint, a bug) is returned as it is."""
    unchanged: BaseException = exc
    if not isinstance(exc, sqlcipher3.Error) or isinstance(exc, sqlcipher3.IntegrityError):
        return unchanged
    text = str(exc).lower()
    who = f"profile {name!r}" if name else f"the profile database {path}"
    if any(word in text for word in _FULL):
        return DiskFullError(
            f"The disk is full: could not save to {who} ({path.parent}). Nothing was changed; "
            "free some space and try again."
        )
    if any(word in text for word in _DAMAGE):
        return DamagedProfileError(
            f"The database of {who} is damaged ({exc}). Run 'lampdesk doctor' to restore it "
            "from its newest backup ('lampdesk profile restore') or to salvage what can still "
            "be read ('lampdesk doctor --salvage')."
        )
    if "i/o" in text or "readonly" in text or "unable to open" in text or "locking" in text:
        action = "save to" if writing else "read"
        return StoreError(
            f"Could not {action} {who} ({path}): {exc}. Nothing was changed; check the disk."
        )
    return unchanged


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements; ``sqlite3.complete_statement`` knows about triggers."""
    statements: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlcipher3.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
