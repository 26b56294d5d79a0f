"""The user's attributes (``key=value``): the only SQL on ``attributes``."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lampdesk.errors import UsageError
from lampdesk.vault.store import Store, utc_now

_ATTRIBUTE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def parse_attribute(assignment: str) -> tuple[str, str]:
    """``"name=Ana"`` -> ``("name", "Ana")``; keys are lower-case identifiers."""
    key, sep, value = assignment.partition("=")
    key = key.strip().lower().replace("-", "_").replace(" ", "_")
    if not sep or not _ATTRIBUTE_KEY.match(key):
        raise UsageError(
            f"{assignment!r} is not an attribute: write key=value, the key made of letters, "
            "digits and '_' (for example diet=vegan)."
        )
    value = value.strip()
    if not value:
        raise UsageError(
            f"The attribute {key!r} needs a value (to remove it, use 'profile unset')."
        )
    return key, value


class Attributes:
    def __init__(self, store: Store) -> None:
        self.store = store

    def set(self, pairs: Iterable[tuple[str, str]]) -> None:
        now = utc_now()
        with self.store.transaction():
            for key, value in pairs:
                self.store.execute(
                    "INSERT INTO attributes(key, value, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                    "updated_at = excluded.updated_at",
                    (key, value, now),
                )

    def unset(self, keys: Iterable[str]) -> int:
        removed = 0
        with self.store.transaction():
            for key in keys:
                before = self.store.query("SELECT 1 FROM attributes WHERE key = ?", (key,))
                self.store.execute("DELETE FROM attributes WHERE key = ?", (key,))
                removed += len(before)
        return removed

    def all(self) -> dict[str, str]:
        """Attributes in a stable order (by key), so the prompt's profile segment is stable."""
        rows = self.store.query("SELECT key, value FROM attributes ORDER BY key")
        return {str(k): str(v) for k, v in rows}
