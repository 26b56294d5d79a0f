"""The profile's record of its sources: writing a plan in one transaction, removing a source,
and the provenance of each item.

Memories and interactions are inserted and deleted here with plain statements inside one
transaction, so the memories' triggers fill (or empty) FTS and the retrieval outbox with them:
a crash leaves the source whole or absent, and Chroma follows from the outbox afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lampdesk.errors import SourceError
from lampdesk.profile.interactions import Interactions
from lampdesk.profile.memories import Memories, NewItem
from lampdesk.sources.model import Part, Plan, Progress, check_cancel
from lampdesk.vault.store import Store, utc_now

#: Progress is reported (and cancel checked) every this many rows while storing.
STORE_STEP = 200


@dataclass(frozen=True)
class SourceInfo:
    id: int
    kind: str
    path: str
    label: str
    added_at: str
    scanned_at: str
    files: int
    items: int
    interactions: int

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "path": self.path,
            "label": self.label,
            "added_at": self.added_at,
            "scanned_at": self.scanned_at,
            "files": self.files,
            "items": self.items,
            "interactions": self.interactions,
        }


@dataclass(frozen=True)
class Written:
    source_id: int
    items_added: int
    items_removed: int
    interactions_added: int
    interactions_removed: int


class SourceBook:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.memories = Memories(store)
        self.interactions = Interactions(store)

    # -- reading -----------------------------------------------------------------------------

    def sources(self) -> list[SourceInfo]:
        rows = self.store.query(
            "SELECT s.id, s.kind, s.path, s.label, s.added_at, s.scanned_at, "
            "(SELECT count(*) FROM source_files f WHERE f.source_id = s.id), "
            "(SELECT count(*) FROM source_items i JOIN source_files f ON f.id = i.file_id "
            " WHERE f.source_id = s.id), "
            "(SELECT count(*) FROM source_interactions i JOIN source_files f ON f.id = i.file_id "
            " WHERE f.source_id = s.id) "
            "FROM sources s ORDER BY s.id"
        )
        return [SourceInfo(*row) for row in rows]

    def get(self, source_id: int) -> SourceInfo:
        for info in self.sources():
            if info.id == source_id:
                return info
        raise SourceError(f"There is no source {source_id} ('lampdesk source list' shows them).")

    def known_parts(self, source_id: int) -> dict[str, str]:
        """Part key -> fingerprint, for a rescan."""
        rows = self.store.query(
            "SELECT key, fingerprint FROM source_files WHERE source_id = ?", (source_id,)
        )
        return {str(k): str(f) for k, f in rows}

    def provenance(self, memory_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Where each of *memory_ids* came from: source, file, position, date (imported only)."""
        result: dict[int, dict[str, Any]] = {}
        ids = list(memory_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self.store.query(
                "SELECT i.memory_id, s.id, s.kind, s.label, f.path, f.title, i.position, "
                "f.modified_at FROM source_items i "
                "JOIN source_files f ON f.id = i.file_id JOIN sources s ON s.id = f.source_id "
                f"WHERE i.memory_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            days = self.memories.happened_at([int(r[0]) for r in rows])
            for mid, sid, kind, label, path, title, position, modified in rows:
                if int(mid) not in days:
                    continue
                happened = days[int(mid)]
                entry = {
                    "source": f"{label} (source {sid}, {kind})",
                    "file": path if not title or title == path else f"{path}: {title}",
                    "position": position,
                    "date": happened or (modified or "")[:10],
                }
                result[int(mid)] = entry
        return result

    # -- writing -----------------------------------------------------------------------------

    def apply(
        self,
        plan: Plan,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> Written:
        """Write *plan* in one transaction: a new source, or a rescan's changes to one.

        Cancelling (or any failure) rolls everything back: nothing is half-added.
        """
        total = plan.items + plan.interactions
        done = 0
        removed_items = removed_interactions = 0
        now = utc_now()
        with self.store.transaction():
            if plan.source_id is None:
                source_id = self.store.execute(
                    "INSERT INTO sources(kind, path, label, added_at, scanned_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (plan.kind, plan.path, plan.label, now, now),
                )
            else:
                source_id = plan.source_id
                if not self.store.query("SELECT 1 FROM sources WHERE id = ?", (source_id,)):
                    raise SourceError(f"There is no source {source_id}.")
                self.store.execute(
                    "UPDATE sources SET scanned_at = ? WHERE id = ?", (now, source_id)
                )
            replaced = [p.key for p in plan.parts] + list(plan.removed)
            for key in replaced:
                items, interactions = self._delete_part(source_id, key)
                removed_items += items
                removed_interactions += interactions
            if progress is not None:
                progress("storing", 0, total)
            for part in plan.parts:
                check_cancel(cancel)
                done = self._insert_part(source_id, part, now, done, total, progress, cancel)
            if plan.unchanged:
                marks = ",".join("?" * len(plan.unchanged))
                self.store.execute(
                    f"UPDATE source_files SET scanned_at = ? WHERE source_id = ? "
                    f"AND key IN ({marks})",
                    [now, source_id, *plan.unchanged],
                )
            if progress is not None:
                progress("storing", total, total)
        return Written(
            source_id, plan.items, removed_items, plan.interactions, removed_interactions
        )

    def _insert_part(
        self,
        source_id: int,
        part: Part,
        now: str,
        done: int,
        total: int,
        progress: Progress | None,
        cancel: threading.Event | None,
    ) -> int:
        file_id = self.store.execute(
            "INSERT INTO source_files(source_id, key, path, title, fingerprint, modified_at, "
            "scanned_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (source_id, part.key, part.path, part.title, part.fingerprint, part.modified_at, now),
        )
        origin = self.item_source(source_id)
        for item in part.items:
            memory_id = self.memories.insert_item(
                NewItem(
                    item.text, item.kind, origin, item.happened_at, item.turn_ids, item.context
                ),
                now,
            )
            self.store.execute(
                "INSERT INTO source_items(memory_id, file_id, position) VALUES (?, ?, ?)",
                (memory_id, file_id, item.position),
            )
            done = self._stored_one(done, total, progress, cancel)
        for exchange in part.interactions:
            interaction_id = self.interactions.add_imported(
                exchange.question, exchange.answer, exchange.model, exchange.created_at or now
            )
            self.store.execute(
                "INSERT INTO source_interactions(interaction_id, file_id, position) "
                "VALUES (?, ?, ?)",
                (interaction_id, file_id, exchange.position),
            )
            done = self._stored_one(done, total, progress, cancel)
        return done

    @staticmethod
    def _stored_one(
        done: int, total: int, progress: Progress | None, cancel: threading.Event | None
    ) -> int:
        """Count one more row stored; every STORE_STEP rows, report and honour cancel."""
        done += 1
        if done % STORE_STEP == 0:
            check_cancel(cancel)
            if progress is not None:
                progress("storing", done, total)
        return done

    def _delete_part(self, source_id: int, key: str) -> tuple[int, int]:
        """Delete one part's memories and interactions (the triggers reach both indexes)."""
        rows = self.store.query(
            "SELECT id FROM source_files WHERE source_id = ? AND key = ?", (source_id, key)
        )
        if not rows:
            return 0, 0
        return self._delete_files([int(rows[0][0])])

    def _delete_files(self, file_ids: Sequence[int]) -> tuple[int, int]:
        items = interactions = 0
        for file_id in file_ids:
            memory_ids = [
                int(r[0])
                for r in self.store.query(
                    "SELECT memory_id FROM source_items WHERE file_id = ?", (file_id,)
                )
            ]
            interaction_ids = [
                int(r[0])
                for r in self.store.query(
                    "SELECT interaction_id FROM source_interactions WHERE file_id = ?", (file_id,)
                )
            ]
            items += len(memory_ids)
            interactions += len(interaction_ids)
            self.memories.delete(memory_ids)
            self.interactions.delete(interaction_ids)
            self.store.execute("DELETE FROM source_files WHERE id = ?", (file_id,))
        return items, interactions

    def item_source(self, source_id: int) -> str:
        """The ``memories.source`` of the items read from a source ("chatgpt:3")."""
        return f"{_kind_of(self.store, source_id)}:{source_id}"

    def remove(self, source_id: int) -> Written:
        """Remove a source and everything that came from it, in one transaction."""
        with self.store.transaction():
            if not self.store.query("SELECT 1 FROM sources WHERE id = ?", (source_id,)):
                raise SourceError(
                    f"There is no source {source_id} ('lampdesk source list' shows them)."
                )
            file_ids = [
                int(r[0])
                for r in self.store.query(
                    "SELECT id FROM source_files WHERE source_id = ?", (source_id,)
                )
            ]
            items, interactions = self._delete_files(file_ids)
            # Facts the memory loop learned from the source's messages go with it.
            items += self.memories.delete_from_source(learned_source(source_id))
            self.store.execute("DELETE FROM sources WHERE id = ?", (source_id,))
        return Written(source_id, 0, items, 0, interactions)


def learned_source(source_id: int) -> str:
    """The ``memories.source`` of facts learned from a source's messages."""
    return f"source:{source_id}:learned"


def _kind_of(store: Store, source_id: int) -> str:
    return str(store.query("SELECT kind FROM sources WHERE id = ?", (source_id,))[0][0])
