"""The items' vectors and the dense index's outbox: the only SQL on ``memory_vectors`` and
``retrieval_outbox``. The dense index is rebuilt from these vectors, never from Chroma; the
outbox is filled by triggers on ``memories`` and emptied as the index catches up."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lampdesk.vault.store import Store


class Vectors:
    def __init__(self, store: Store) -> None:
        self.store = store

    def save(self, model: str, vectors: Iterable[tuple[int, bytes]]) -> None:
        with self.store.transaction():
            for memory_id, blob in vectors:
                self.store.execute(
                    "INSERT OR REPLACE INTO memory_vectors(memory_id, model, vector) "
                    "VALUES (?, ?, ?)",
                    (memory_id, model, blob),
                )

    def of_model(self, model: str) -> dict[int, bytes]:
        rows = self.store.query(
            "SELECT memory_id, vector FROM memory_vectors WHERE model = ?", (model,)
        )
        return {int(r[0]): bytes(r[1]) for r in rows}

    # -- the outbox --------------------------------------------------------------------------

    def outbox_count(self, op: str | None = None) -> int:
        """Changes waiting for the dense index (only those of *op*, "upsert" or "delete")."""
        if op is None:
            return int(self.store.query("SELECT count(*) FROM retrieval_outbox")[0][0])
        return int(
            self.store.query("SELECT count(*) FROM retrieval_outbox WHERE op = ?", (op,))[0][0]
        )

    def outbox_batch(self, limit: int) -> list[tuple[int, str]]:
        """The next *limit* changes, ``(memory id, "upsert" or "delete")``, by memory id."""
        rows = self.store.query(
            "SELECT memory_id, op FROM retrieval_outbox ORDER BY memory_id LIMIT ?", (limit,)
        )
        return [(int(mid), str(op)) for mid, op in rows]

    def outbox_done(self, changes: Sequence[tuple[int, str]]) -> None:
        """Drop *changes* the dense index has taken, in one transaction."""
        with self.store.transaction():
            for mid, op in changes:
                self.store.execute(
                    "DELETE FROM retrieval_outbox WHERE memory_id = ? AND op = ?", (mid, op)
                )
