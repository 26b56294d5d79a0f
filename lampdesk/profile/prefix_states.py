"""The evaluated prompt prefix, encrypted with the profile: the only SQL on ``prefix_states``."""

from __future__ import annotations

from lampdesk.vault.store import Store, utc_now


class PrefixStates:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, model: str, prefix_sha: str) -> tuple[bytes, bytes] | None:
        rows = self.store.query(
            "SELECT tokens, state FROM prefix_states WHERE model = ? AND prefix_sha = ?",
            (model, prefix_sha),
        )
        return (bytes(rows[0][0]), bytes(rows[0][1])) if rows else None

    def save(self, model: str, prefix_sha: str, tokens: bytes, state: bytes) -> None:
        """Keep one state per model: the latest stable prefix is the one worth restoring."""
        with self.store.transaction():
            self.store.execute("DELETE FROM prefix_states WHERE model = ?", (model,))
            self.store.execute(
                "INSERT INTO prefix_states(model, prefix_sha, tokens, state, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (model, prefix_sha, tokens, state, utc_now()),
            )

    def clear(self) -> None:
        """Forget every saved state (one may hold a text that changed or went)."""
        self.store.execute("DELETE FROM prefix_states")
