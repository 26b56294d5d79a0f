"""Which profiles exist and how each is keyed; opening and creating them.

The registry file ``profiles.json`` holds profile names, ids and key modes: no user content.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import asdict, dataclass

from lampdesk.errors import ProfileNotFoundError, StoreError
from lampdesk.paths import DataPaths, atomic_write, validate_profile_name
from lampdesk.vault import keys
from lampdesk.vault.keys import KeyMode, PassphrasePrompt, ProfileKey
from lampdesk.vault.store import Store, utc_now

DEFAULT_PROFILE = "default"
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

    def _write(self, entries: list[ProfileEntry]) -> None:
        self.paths.ensure_root()
        data = {
            "version": REGISTRY_VERSION,
            "profiles": [{**asdict(e), "key_mode": e.key_mode.value} for e in entries],
        }
        atomic_write(self.paths.registry_file, json.dumps(data, indent=2) + "\n")


class Vault:
    """Opens and creates profile databases, getting each one's key from its one owner."""

    def __init__(self, paths: DataPaths, prompt: PassphrasePrompt | None = None) -> None:
        self.paths = paths
        self.prompt = prompt
        self.registry = ProfileRegistry(paths)

    def exists(self, name: str) -> bool:
        return self.registry.find(name) is not None

    def open(self, name: str) -> tuple[ProfileEntry, Store]:
        entry = self.registry.get(name)
        key = self._key_for(entry)
        return entry, Store.open(self.paths.profile_db(entry.id), key)

    def create(self, name: str, mode: KeyMode | None = None) -> tuple[ProfileEntry, Store]:
        validate_profile_name(name)
        if self.exists(name):
            raise StoreError(f"A profile named {name!r} already exists.")
        mode = mode or keys.choose_mode_for_new_profile()
        entry = ProfileEntry(name, uuid.uuid4().hex, mode, utc_now())
        key: ProfileKey
        if mode is KeyMode.PASSPHRASE:
            key = keys.passphrase_key(name, self.prompt, confirm=True)
        profile_dir = self.paths.ensure_profile_dir(entry.id)
        try:
            if mode is KeyMode.KEYRING:
                key = keys.new_keyring_key(entry.id)
            store = Store.open(self.paths.profile_db(entry.id), key, create=True)
            with store.transaction():
                store.execute(
                    "INSERT INTO profile(id, uuid, name, created_at) VALUES (1, ?, ?, ?)",
                    (entry.id, name, entry.created_at),
                )
            self.registry.add(entry)
        except BaseException:
            shutil.rmtree(profile_dir, ignore_errors=True)
            if mode is KeyMode.KEYRING:
                keys.delete_keyring_key(entry.id)
            raise
        return entry, store

    def open_or_create(self, name: str) -> tuple[ProfileEntry, Store]:
        return self.open(name) if self.exists(name) else self.create(name)

    def _key_for(self, entry: ProfileEntry) -> ProfileKey:
        if entry.key_mode is KeyMode.KEYRING:
            return keys.keyring_key(entry.id, entry.name)
        return keys.passphrase_key(entry.name, self.prompt)
