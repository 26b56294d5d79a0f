"""Which profiles exist and how each is keyed; opening and creating them.

The registry file ``profiles.json`` holds profile names, ids, key modes and the active profile's
name: no user content.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from lampdesk.errors import (
    DamagedProfileError,
    KeyUnavailableError,
    ProfileNotFoundError,
    StoreError,
    WrongKeyError,
)
from lampdesk.paths import DataPaths, atomic_write, ensure_private_dir, validate_profile_name
from lampdesk.vault import keycheck, keys
from lampdesk.vault.keys import KeyMode, PassphrasePrompt, ProfileKey
from lampdesk.vault.store import Store, utc_now

if TYPE_CHECKING:
    from lampdesk.vault.doctor import IndexRepair

DEFAULT_PROFILE = "default"
ENV_PROFILE = "LAMPDESK_PROFILE"
REGISTRY_VERSION = 1


@dataclass(frozen=True)
class ProfileEntry:
    name: str
    id: str
    key_mode: KeyMode
    created_at: str


class ProfileRegistry:
    def __init__(self, paths: DataPaths) -> None:
        self.paths = paths

    def _read(self) -> dict[str, object]:
        path = self.paths.registry_file
        if not path.exists():
            return {"version": REGISTRY_VERSION, "profiles": []}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(f"The profile list {path} cannot be read: {exc}") from exc
        if not isinstance(data, dict) or data.get("version") != REGISTRY_VERSION:
            raise StoreError(f"The profile list {path} has an unknown format.")
        return data

    def active(self) -> str | None:
        """The profile used when none is named (``profile use``); ``None`` if never chosen."""
        active = self._read().get("active")
        return active if isinstance(active, str) and self.find(active) else None

    def set_active(self, name: str | None) -> None:
        self._write(self.entries(), active=name)

    def entries(self) -> list[ProfileEntry]:
        raw = self._read().get("profiles", [])
        assert isinstance(raw, list)
        return [
            ProfileEntry(e["name"], e["id"], KeyMode(e["key_mode"]), e["created_at"]) for e in raw
        ]

    def find(self, name: str) -> ProfileEntry | None:
        return next((e for e in self.entries() if e.name == name), None)

    def get(self, name: str) -> ProfileEntry:
        entry = self.find(name)
        if entry is None:
            raise ProfileNotFoundError(f"There is no profile named {name!r}.")
        return entry

    def add(self, entry: ProfileEntry) -> None:
        entries = [*self.entries(), entry]
        self._write(entries)

    def replace(self, old: ProfileEntry, new: ProfileEntry) -> None:
        """Swap *old* for *new* (same place in the list); the active name follows a rename."""
        active = self._read().get("active")
        entries = [new if e.id == old.id else e for e in self.entries()]
        self._write(entries, active=new.name if active == old.name else active)

    def remove(self, entry: ProfileEntry) -> None:
        active = self._read().get("active")
        entries = [e for e in self.entries() if e.id != entry.id]
        self._write(entries, active=None if active == entry.name else active)

    def _write(self, entries: list[ProfileEntry], *, active: object = ...) -> None:
        self.paths.ensure_root()
        if active is ...:
            active = self._read().get("active")
        data: dict[str, object] = {
            "version": REGISTRY_VERSION,
            "profiles": [{**asdict(e), "key_mode": e.key_mode.value} for e in entries],
        }
        if isinstance(active, str):
            data["active"] = active
        atomic_write(self.paths.registry_file, json.dumps(data, indent=2) + "\n")


class Vault:
    """Opens and creates profile databases, getting each one's key from its one owner."""

    def __init__(
        self,
        paths: DataPaths,
        prompt: PassphrasePrompt | None = None,
        index_repair: IndexRepair | None = None,
    ) -> None:
        self.paths = paths
        self.prompt = prompt
        self.registry = ProfileRegistry(paths)
        #: How the doctor and a restore check and rebuild a profile's dense index (the app wires
        #: :class:`lampdesk.retrieval.dense.IndexRepairer`); ``None``: they leave it alone.
        self.index_repair = index_repair

    def exists(self, name: str) -> bool:
        return self.registry.find(name) is not None

    def open(self, name: str) -> tuple[ProfileEntry, Store]:
        entry = self.registry.get(name)
        path = self.paths.profile_db(entry.id)
        key: ProfileKey | None = None
        try:
            key = self._key_for(entry)
            store = Store.open(path, key, name=entry.name)
        except (WrongKeyError, KeyUnavailableError) as exc:
            recovered = self._finish_interrupted_rekey(entry, path)
            if recovered is not None:
                if recovered[1].key is not None:
                    keycheck.ensure(path, recovered[1].key)
                return recovered
            if isinstance(exc, WrongKeyError) and key is not None:
                if keycheck.matches(path, key):
                    raise DamagedProfileError(
                        f"The database of profile {entry.name!r} is damaged: the key is right "
                        f"(it matches the profile's key check) but {path} cannot be read. Run "
                        "'lampdesk doctor' to restore it from its newest backup ('lampdesk "
                        "profile restore') or to salvage what can still be read."
                    ) from exc
                if keycheck.matches(path, key) is False:
                    what = "passphrase" if key.mode is KeyMode.PASSPHRASE else "keyring key"
                    raise WrongKeyError(
                        f"Wrong {what} for profile {entry.name!r}: it is not the profile's key "
                        "(the database file itself may be sound)."
                    ) from exc
            raise
        keycheck.ensure(path, key)
        return entry, store

    def _finish_interrupted_rekey(
        self, entry: ProfileEntry, path: Path
    ) -> tuple[ProfileEntry, Store] | None:
        """Open a profile whose rekey was cut short (a crash between its steps) and finish it.

        The steps of :meth:`rekey` are ordered so that the key that opens the database is always
        either the registered one, the keyring's pending key, or (when moving between keyring and
        passphrase) the keyring's key.
        """
        if not keys.keyring_usable():
            return None
        candidates: list[tuple[ProfileKey, bool]] = []
        pending = keys.pending_keyring_key(entry.id)
        if pending is not None:
            candidates.append((pending, True))
        if entry.key_mode is KeyMode.PASSPHRASE:
            with contextlib.suppress(KeyUnavailableError):
                candidates.append((keys.keyring_key(entry.id, entry.name), False))
        for key, is_pending in candidates:
            try:
                store = Store.open(path, key)
            except WrongKeyError:
                continue
            store.name = entry.name
            if is_pending:
                keys.promote_pending_key(entry.id, key)
            if entry.key_mode is not KeyMode.KEYRING:
                fixed = replace(entry, key_mode=KeyMode.KEYRING)
                self.registry.replace(entry, fixed)
                entry = fixed
            return entry, store
        return None

    def names(self) -> list[str]:
        return [e.name for e in self.registry.entries()]

    def use(self, name: str) -> ProfileEntry:
        """Make *name* the profile used when none is named."""
        entry = self.registry.get(name)
        self.registry.set_active(entry.name)
        return entry

    def rename(self, old: str, new: str) -> ProfileEntry:
        """Rename in the registry; the database, its key and its index keep the profile's id."""
        validate_profile_name(new)
        entry = self.registry.get(old)
        if self.exists(new):
            raise StoreError(f"A profile named {new!r} already exists.")
        renamed = replace(entry, name=new)
        self.registry.replace(entry, renamed)
        return renamed

    def delete(self, name: str) -> ProfileEntry:
        """Remove the profile: registry entry first (so it vanishes at once), then its directory
        (database and index) and its keyring entries."""
        entry = self.registry.get(name)
        self.registry.remove(entry)
        shutil.rmtree(self.paths.profile_dir(entry.id), ignore_errors=True)
        keys.delete_all_keyring_keys(entry.id)
        return entry

    def rekey(self, name: str, to: KeyMode | None = None) -> ProfileEntry:
        """Re-encrypt the profile under a fresh key, in mode *to* (default: its current mode).

        To a passphrase: the new passphrase comes from ``$LAMPDESK_NEW_PASSPHRASE`` or the prompt.
        To the keyring: a new random 256-bit key. The current key must open the profile first,
        so a wrong passphrase changes nothing.
        """
        entry, store = self.open(name)
        target = to or entry.key_mode
        try:
            if target is KeyMode.PASSPHRASE:
                new_key = keys.new_passphrase_key(entry.name, self.prompt)
                moved = replace(entry, key_mode=KeyMode.PASSPHRASE)
                if entry.key_mode is KeyMode.KEYRING:
                    # Registry first: if we die before the rekey, the keyring key still opens the
                    # database and open() moves the registry back.
                    self.registry.replace(entry, moved)
                try:
                    store.rekey(new_key)
                except BaseException:
                    if entry.key_mode is KeyMode.KEYRING:
                        self.registry.replace(moved, entry)
                    raise
                self._after_rekey(entry, store)
                if entry.key_mode is KeyMode.KEYRING:
                    keys.delete_all_keyring_keys(entry.id)
                return moved
            if not keys.keyring_usable():
                raise KeyUnavailableError(
                    "No usable OS keyring was found, so the profile cannot be moved to it."
                )
            new_key = keys.new_keyring_key(entry.id, pending=True)
            store.rekey(new_key)
            self._after_rekey(entry, store)
            keys.promote_pending_key(entry.id, new_key)
            moved = replace(entry, key_mode=KeyMode.KEYRING)
            if entry.key_mode is not KeyMode.KEYRING:
                self.registry.replace(entry, moved)
            return moved
        finally:
            store.close()

    def _after_rekey(self, entry: ProfileEntry, store: Store) -> None:
        """The key check names the new key; backups under the old key are replaced by one under
        the new key (an old passphrase that leaked must not open anything)."""
        from lampdesk.vault import backup

        assert store.key is not None
        keycheck.write(store.path, store.key)
        backup.replace_all(store, self.paths.backups_dir(entry.id))

    def create_staged(
        self, name: str, fill: Callable[[Store], None], mode: KeyMode | None = None
    ) -> ProfileEntry:
        """Build a new profile in a staging directory and rename it into place when complete.

        *fill* writes the content (in its own transaction); if anything fails, nothing is left
        behind: no directory, no registry entry, no keyring entry.
        """
        entry, passphrase = self._new_entry(name, mode)
        self.paths.ensure_root()
        staging = ensure_private_dir(self.paths.staging_dir(entry.id))
        final = self.paths.profile_dir(entry.id)
        try:
            key = passphrase or keys.new_keyring_key(entry.id)
            with Store.open(staging / self.paths.profile_db(entry.id).name, key, create=True) as st:
                _write_profile_row(st, entry)
                fill(st)
                st.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            os.rename(staging, final)
            keycheck.ensure(self.paths.profile_db(entry.id), key)
            self.registry.add(entry)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(final, ignore_errors=True)
            if entry.key_mode is KeyMode.KEYRING:
                keys.delete_keyring_key(entry.id)
            raise
        return entry

    def create(self, name: str, mode: KeyMode | None = None) -> tuple[ProfileEntry, Store]:
        entry, passphrase = self._new_entry(name, mode)
        profile_dir = self.paths.ensure_profile_dir(entry.id)
        try:
            key = passphrase or keys.new_keyring_key(entry.id)
            store = Store.open(self.paths.profile_db(entry.id), key, create=True, name=name)
            keycheck.write(store.path, key)
            _write_profile_row(store, entry)
            self.registry.add(entry)
        except BaseException:
            shutil.rmtree(profile_dir, ignore_errors=True)
            if entry.key_mode is KeyMode.KEYRING:
                keys.delete_keyring_key(entry.id)
            raise
        return entry, store

    def _new_entry(self, name: str, mode: KeyMode | None) -> tuple[ProfileEntry, ProfileKey | None]:
        """A new profile's entry, and its passphrase key when it is passphrase-protected (asked
        before anything is written; a keyring key is made later, inside the caller's cleanup)."""
        validate_profile_name(name)
        if self.exists(name):
            raise StoreError(f"A profile named {name!r} already exists.")
        mode = mode or keys.choose_mode_for_new_profile()
        entry = ProfileEntry(name, uuid.uuid4().hex, mode, utc_now())
        if mode is KeyMode.PASSPHRASE:
            return entry, keys.passphrase_key(name, self.prompt, confirm=True)
        return entry, None

    def open_or_create(self, name: str) -> tuple[ProfileEntry, Store]:
        return self.open(name) if self.exists(name) else self.create(name)

    def _key_for(self, entry: ProfileEntry) -> ProfileKey:
        if entry.key_mode is KeyMode.KEYRING:
            return keys.keyring_key(entry.id, entry.name)
        return keys.passphrase_key(entry.name, self.prompt)


def resolve_profile_name(paths: DataPaths, explicit: str | None) -> str:
    """``--profile``, else ``$LAMPDESK_PROFILE``, else the active profile, else ``default``."""
    if explicit:
        return explicit
    from_env = os.environ.get(ENV_PROFILE)
    if from_env:
        return from_env
    return ProfileRegistry(paths).active() or DEFAULT_PROFILE


def _write_profile_row(store: Store, entry: ProfileEntry) -> None:
    with store.transaction():
        store.execute(
            "INSERT INTO profile(id, uuid, name, created_at) VALUES (1, ?, ?, ?)",
            (entry.id, entry.name, entry.created_at),
        )
