"""The profile's own settings (template, generation, ...): the only SQL on ``settings``
(besides :mod:`lampdesk.refusals`' key, kept in the same table)."""

from __future__ import annotations

from lampdesk.vault.store import Store


class Settings:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, key: str) -> str | None:
        rows = self.store.query("SELECT value FROM settings WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def all(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.store.query("SELECT key, value FROM settings")}

    def set(self, key: str, value: str | None) -> None:
        with self.store.transaction():
            if value is None:
                self.store.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                self.store.execute(
                    "INSERT INTO settings(key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )
