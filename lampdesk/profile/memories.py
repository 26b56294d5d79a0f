"""Memories (the profile's items) with their provenance and history: the only SQL on
``memories``, ``memory_origins`` and ``memory_history``."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from lampdesk.errors import UsageError
from lampdesk.profile.constraint_kinds import constraint_of
from lampdesk.profile.interactions import Interactions
from lampdesk.profile.prefix_states import PrefixStates
from lampdesk.vault.store import Store, utc_now

MIN_WEIGHT, MAX_WEIGHT = 0.2, 3.0
#: A weight from feedback fades back towards 1 by half every this many days without feedback.
WEIGHT_HALF_LIFE_DAYS = 60.0
#: A document's piece is embedded from its heading path and its first this many characters
#: (about 100 word pieces); full-text search has all of it. Embedding is what an import of
#: notes spends its time on: on this project's 2-core machines MiniLM embeds ~15 pieces/s at
#: its full 256 word pieces and ~3x that at 64.
DOCUMENT_EMBED_CHARS = 400
_MEMORY_COLUMNS = (
    "id, text, kind, source, created_at, weight, pinned, happened_at, turn_ids, topic, "
    "updated_at, constraint_kind"
)
_RANKED_COLUMNS = "id, text, source, created_at, weight, happened_at, turn_ids, feedback_at"


def faded_weight(weight: float, feedback_at: str | None, now: datetime) -> float:
    """A feedback weight as it stands at *now*: it fades back towards 1 (no opinion) by half
    every :data:`WEIGHT_HALF_LIFE_DAYS`, so stale reactions stop steering retrieval."""
    if weight == 1.0 or not feedback_at:
        return weight
    days = max(0.0, (now - datetime.fromisoformat(feedback_at)).total_seconds() / 86400)
    return 1.0 + (weight - 1.0) * math.pow(0.5, days / WEIGHT_HALF_LIFE_DAYS)


@dataclass(frozen=True)
class Memory:
    id: int
    text: str
    kind: str
    source: str
    created_at: str
    weight: float
    pinned: bool
    #: The day it happened (ISO date), when known; else only ``created_at`` dates it.
    happened_at: str | None = None
    #: Ids of the conversation turns it came from (for example LoCoMo's ``D1:3``).
    turn_ids: tuple[str, ...] = ()
    topic: str | None = None
    updated_at: str = ""
    #: "diet", "allergy" or "medical" when it limits what may be suggested (see
    #: constraint_of); ``None`` otherwise.
    constraint: str | None = None


@dataclass(frozen=True)
class NewItem:
    """An item to add with its provenance; ``context`` is searchable but never shown."""

    text: str
    kind: str = "fact"
    source: str = "user"
    happened_at: str | None = None
    turn_ids: Sequence[str] = ()
    context: str = ""


@dataclass(frozen=True)
class RankedRow:
    """A stored item as ranking sees it: its feedback weight as it stands today."""

    id: int
    text: str
    source: str
    created_at: str
    weight: float
    happened_at: str | None
    turn_ids: tuple[str, ...]


def _ranked(r: Sequence[Any], now: datetime) -> RankedRow:
    weight = faded_weight(float(r[4]), r[7], now)
    return RankedRow(int(r[0]), r[1], r[2], r[3], weight, r[5], tuple(json.loads(r[6] or "[]")))


def _memory(r: Sequence[Any]) -> Memory:
    turn_ids = tuple(json.loads(r[8] or "[]"))
    return Memory(r[0], r[1], r[2], r[3], r[4], float(r[5]), bool(r[6]), r[7], turn_ids, *r[9:12])


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


class Memories:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- adding and changing -----------------------------------------------------------------

    def add(
        self,
        text: str,
        *,
        kind: str = "fact",
        source: str = "user",
        topic: str | None = None,
        interaction_id: int | None = None,
        constraint: str | None = None,
    ) -> Memory:
        text, constraint = _checked(
            text, topic, constraint, "There is nothing to remember: the text is empty."
        )
        now = utc_now()
        with self.store.transaction():
            memory_id = self.store.execute(
                "INSERT INTO memories(text, kind, source, created_at, updated_at, topic, "
                "constraint_kind) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (text, kind, source, now, now, topic, constraint),
            )
            if interaction_id is not None:
                self.store.execute(
                    "INSERT INTO memory_origins(memory_id, interaction_id) VALUES (?, ?)",
                    (memory_id, interaction_id),
                )
        return Memory(
            memory_id, text, kind, source, now, 1.0, False,
            topic=topic, updated_at=now, constraint=constraint,
        )  # fmt: skip

    def add_items(self, items: Iterable[NewItem]) -> list[int]:
        """Add many items in one transaction (one commit: fast ingest); their ids in order."""
        now = utc_now()
        ids: list[int] = []
        with self.store.transaction():
            for item in items:
                text = item.text.strip()
                if not text:
                    raise UsageError("There is nothing to remember: the text is empty.")
                ids.append(self.insert_item(replace(item, text=text), now))
        return ids

    def insert_item(self, item: NewItem, now: str) -> int:
        """Store *item* as it is (an import's item: the caller holds the transaction)."""
        return self.store.execute(
            "INSERT INTO memories(text, kind, source, created_at, updated_at, "
            "happened_at, turn_ids, context) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.text,
                item.kind,
                item.source,
                now,
                now,
                item.happened_at,
                json.dumps(list(item.turn_ids)),
                item.context,
            ),
        )

    def edit(
        self,
        memory_id: int,
        text: str,
        *,
        reason: str = "edited by the user",
        topic: str | None = None,
        interaction_id: int | None = None,
        constraint: str | None = None,
    ) -> bool:
        """Change a memory's text, keeping the old one in its history; both indexes follow
        (triggers and the retrieval outbox). With *topic*, its topic and constraint kind
        become *topic* and *constraint* (by default the kind the text and topic give)."""
        text, constraint = _checked(
            text, topic, constraint, "A memory cannot be empty; forget it instead."
        )
        now = utc_now()
        with self.store.transaction():
            found = self.store.query("SELECT text FROM memories WHERE id = ?", (memory_id,))
            if not found:
                return False
            if found[0][0] != text:
                self.store.execute(
                    "INSERT INTO memory_history(memory_id, text, reason, replaced_at) "
                    "VALUES (?, ?, ?, ?)",
                    (memory_id, found[0][0], reason, now),
                )
            self.store.execute(
                "UPDATE memories SET text = ?, updated_at = ?, topic = coalesce(?, topic), "
                "constraint_kind = CASE WHEN ? IS NULL THEN constraint_kind ELSE ? END "
                "WHERE id = ?",
                (text, now, topic, topic, constraint, memory_id),
            )
            if interaction_id is not None:
                self.store.execute(
                    "INSERT OR REPLACE INTO memory_origins(memory_id, interaction_id) "
                    "VALUES (?, ?)",
                    (memory_id, interaction_id),
                )
        return True

    def history(self, memory_id: int) -> list[tuple[str, str, str]]:
        """Earlier texts of a memory, oldest first: (text, reason, replaced_at)."""
        rows = self.store.query(
            "SELECT text, reason, replaced_at FROM memory_history WHERE memory_id = ? ORDER BY id",
            (memory_id,),
        )
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    def set_pinned(self, memory_id: int, pinned: bool) -> bool:
        """A pinned memory is in every prompt and never changed by what LampDesk learns."""
        with self.store.transaction():
            found = self.store.query("SELECT 1 FROM memories WHERE id = ?", (memory_id,))
            self.store.execute(
                "UPDATE memories SET pinned = ? WHERE id = ?", (int(pinned), memory_id)
            )
            # The stable prompt prefix holds the pinned memories: its saved state is stale.
            PrefixStates(self.store).clear()
        return bool(found)

    def scale_weights(self, memory_ids: Sequence[int], factor: float) -> None:
        """Scale the weights of these items (their faded weight, then *factor*), as feedback
        on an answer that used them does; the caller holds the transaction."""
        if not memory_ids:
            return
        now = utc_now()
        today = datetime.fromisoformat(now)
        ids = list(memory_ids)
        rows = self.store.query(
            f"SELECT id, weight, feedback_at FROM memories WHERE id IN ({_marks(ids)})", ids
        )
        for memory_id, weight, feedback_at in rows:
            current = faded_weight(float(weight), feedback_at, today)
            new = min(MAX_WEIGHT, max(MIN_WEIGHT, current * factor))
            self.store.execute(
                "UPDATE memories SET weight = ?, feedback_at = ? WHERE id = ?",
                (new, now, memory_id),
            )

    # -- removing ----------------------------------------------------------------------------

    def forget(self, memory_id: int, *, refuse: bool = True) -> bool:
        """Remove a memory everywhere: its row, history, vector and pending changes (cascade),
        the FTS indexes (triggers), Chroma (the outbox, on the next sync), the answers' lists
        of used items, and any saved prompt state that may hold its text. With *refuse* (the
        user forgot it, rather than took it back in chat), it is not learned again from its
        exchange or its conversation (see lampdesk.memory.refusals)."""
        from lampdesk import refusals

        with self.store.transaction():
            found = self.store.query("SELECT 1 FROM memories WHERE id = ?", (memory_id,))
            if found and refuse:
                refusals.refuse_memory(self.store, memory_id)
            self.store.execute("DELETE FROM memories WHERE id = ?", (memory_id,))
            Interactions(self.store).drop_item(memory_id)
            if found:
                PrefixStates(self.store).clear()
        return bool(found)

    def delete(self, memory_ids: Sequence[int]) -> None:
        """Delete these items (an import's, going with its file; the caller holds the
        transaction). The triggers reach both indexes."""
        ids = list(memory_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            self.store.execute(f"DELETE FROM memories WHERE id IN ({_marks(chunk)})", chunk)

    def delete_from_source(self, source: str) -> int:
        """Delete every item whose ``source`` is *source*; how many there were."""
        with self.store.transaction():
            found = self.store.query("SELECT id FROM memories WHERE source = ?", (source,))
            self.store.execute("DELETE FROM memories WHERE source = ?", (source,))
        return len(found)

    # -- reading -----------------------------------------------------------------------------

    def get(self, ids: Sequence[int] | None = None) -> list[Memory]:
        sql = f"SELECT {_MEMORY_COLUMNS} FROM memories"
        params: Sequence[Any] = ()
        if ids is not None:
            if not ids:
                return []
            sql += f" WHERE id IN ({_marks(ids)})"
            params = list(ids)
        rows = self.store.query(sql + " ORDER BY id", params)
        return [_memory(r) for r in rows]

    def pinned(self) -> list[tuple[int, str]]:
        """(id, text) of the pinned memories, by id."""
        rows = self.store.query("SELECT id, text FROM memories WHERE pinned = 1 ORDER BY id")
        return [(int(r[0]), str(r[1])) for r in rows]

    def count(self) -> int:
        return int(self.store.query("SELECT count(*) FROM memories")[0][0])

    def any(self) -> bool:
        return bool(self.store.query("SELECT 1 FROM memories LIMIT 1"))

    def of_kinds(self, kinds: Sequence[str]) -> list[tuple[int, str]]:
        """(id, text) of the memories of these *kinds* (the user's own statements), by id."""
        rows = self.store.query(
            f"SELECT id, text FROM memories WHERE kind IN ({_marks(kinds)}) ORDER BY id",
            list(kinds),
        )
        return [(int(r[0]), str(r[1])) for r in rows]

    def ids_of_topic(self, topic: str) -> list[int]:
        return [
            int(r[0]) for r in self.store.query("SELECT id FROM memories WHERE topic = ?", (topic,))
        ]

    def happened_at(self, ids: Sequence[int]) -> dict[int, str | None]:
        """The day each of these items happened, if known (``None``)."""
        if not ids:
            return {}
        rows = self.store.query(
            f"SELECT id, happened_at FROM memories WHERE id IN ({_marks(ids)})", list(ids)
        )
        return {int(r[0]): r[1] for r in rows}

    def embedding_inputs(self, ids: Sequence[int]) -> dict[int, str]:
        """What the dense index embeds for each item: its text and its searchable context."""
        result: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            rows = self.store.query(
                f"SELECT id, text, context, kind FROM memories WHERE id IN ({_marks(chunk)})",
                chunk,
            )
            for mid, text, context, kind in rows:
                if kind == "document":  # see DOCUMENT_EMBED_CHARS
                    text = text[:DOCUMENT_EMBED_CHARS]
                result[int(mid)] = f"{context}\n{text}" if context else str(text)
        return result

    def settled_ids(self) -> set[int]:
        """Ids of the items with no embedding pending (what the dense index should hold)."""
        return {
            int(r[0])
            for r in self.store.query(
                "SELECT id FROM memories WHERE id NOT IN "
                "(SELECT memory_id FROM retrieval_outbox WHERE op = 'upsert')"
            )
        }

    def ranked_rows(self, ids: Sequence[int]) -> dict[int, RankedRow]:
        """These items as ranking sees them, by id."""
        if not ids:
            return {}
        result = self.store.query(
            f"SELECT {_RANKED_COLUMNS} FROM memories WHERE id IN ({_marks(ids)})", list(ids)
        )
        now = datetime.now(UTC)
        return {int(r[0]): _ranked(r, now) for r in result}

    def neighbours(self, row: RankedRow, n: int) -> list[RankedRow]:
        """*row* with up to *n* items either side from the same source and day (a
        conversation's session), by id."""
        result = self.store.query(
            f"SELECT {_RANKED_COLUMNS} FROM memories "
            "WHERE id BETWEEN ? AND ? AND source = ? AND happened_at IS ? ORDER BY id",
            (row.id - n, row.id + n, row.source, row.happened_at),
        )
        now = datetime.now(UTC)
        return [_ranked(r, now) for r in result] or [row]


def _checked(
    text: str, topic: str | None, constraint: str | None, empty: str
) -> tuple[str, str | None]:
    """*text* stripped (the *empty* error when nothing is left) and its constraint kind: the
    one given, else the one *text* and *topic* give."""
    text = text.strip()
    if not text:
        raise UsageError(empty)
    if constraint is None and topic is not None:
        constraint = constraint_of(text, topic)
    return text, constraint
