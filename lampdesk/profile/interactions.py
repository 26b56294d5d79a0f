"""Questions asked and answers given, with the items each used: the only SQL on
``interactions`` and ``interaction_items``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lampdesk.vault.store import Store, utc_now


@dataclass(frozen=True)
class UsedItem:
    memory_id: int
    score: float
    why: dict[str, Any]


@dataclass(frozen=True)
class Interaction:
    question: str
    answer: str
    personalized: bool
    model: str
    prompt_tokens: int
    tokens: int
    ttft_ms: float | None
    total_ms: float
    cancelled: bool
    items: Sequence[UsedItem] = field(default_factory=tuple)
    request_id: str = ""
    reused_tokens: int = 0
    tok_per_s: float | None = None
    stopped_by: str = ""
    cut: Sequence[dict[str, Any]] = field(default_factory=tuple)
    rules_applied: Sequence[int] = field(default_factory=tuple)


class Interactions:
    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, interaction: Interaction) -> int:
        with self.store.transaction():
            interaction_id = self.store.execute(
                "INSERT INTO interactions(question, answer, personalized, model, prompt_tokens, "
                "tokens, ttft_ms, total_ms, cancelled, created_at, request_id, reused_tokens, "
                "tok_per_s, stopped_by, cut, rules_applied) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    interaction.question,
                    interaction.answer,
                    int(interaction.personalized),
                    interaction.model,
                    interaction.prompt_tokens,
                    interaction.tokens,
                    interaction.ttft_ms,
                    interaction.total_ms,
                    int(interaction.cancelled),
                    utc_now(),
                    interaction.request_id,
                    interaction.reused_tokens,
                    interaction.tok_per_s,
                    interaction.stopped_by,
                    json.dumps(list(interaction.cut)),
                    json.dumps(list(interaction.rules_applied)),
                ),
            )
            for rank, item in enumerate(interaction.items, start=1):
                self.store.execute(
                    "INSERT INTO interaction_items(interaction_id, memory_id, rank, score, why) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (interaction_id, item.memory_id, rank, item.score, json.dumps(item.why)),
                )
        return interaction_id

    def add_imported(self, question: str, answer: str, model: str, created_at: str) -> int:
        """An exchange read from a chat export: it cost nothing here (see :meth:`request_log`).
        The caller holds the transaction."""
        return self.store.execute(
            "INSERT INTO interactions(question, answer, personalized, model, prompt_tokens, "
            "tokens, ttft_ms, total_ms, cancelled, created_at, stopped_by) "
            "VALUES (?, ?, 0, ?, 0, 0, NULL, 0, 0, ?, 'imported')",
            (question, answer, model, created_at),
        )

    def delete(self, interaction_ids: Sequence[int]) -> None:
        """Delete these exchanges (their used items go with them). The caller holds the
        transaction."""
        ids = list(interaction_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            self.store.execute(f"DELETE FROM interactions WHERE id IN ({marks})", chunk)

    def optimize_search(self) -> None:
        """Merge the full-text index's segments, so that none keeps a deleted word."""
        self.store.execute("INSERT INTO interactions_fts(interactions_fts) VALUES ('optimize')")

    def exchanges(self, ids: Sequence[int]) -> list[tuple[int, str, str, str, str, str, bool]]:
        """(id, question, answer, created_at, model, stopped_by, cancelled) of these
        exchanges, by id."""
        rows: list[tuple[int, str, str, str, str, str, bool]] = []
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            rows += [
                (int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), bool(r[6]))
                for r in self.store.query(
                    "SELECT id, question, answer, created_at, model, coalesce(stopped_by, ''), "
                    f"cancelled FROM interactions WHERE id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
            ]
        return sorted(rows)

    def exists(self, interaction_id: int) -> bool:
        return bool(self.store.query("SELECT 1 FROM interactions WHERE id = ?", (interaction_id,)))

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.store.query(
            "SELECT id, question, answer, personalized, tokens, ttft_ms, created_at "
            "FROM interactions ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        keys = ("id", "question", "answer", "personalized", "tokens", "ttft_ms", "created_at")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def request_log(self, limit: int = 50) -> list[dict[str, Any]]:
        """What each request cost, without its text: for ``lampdesk log`` and the GUI.
        Exchanges imported from chat exports cost nothing here and are left out."""
        rows = self.store.query(
            "SELECT id, request_id, created_at, model, personalized, prompt_tokens, "
            "reused_tokens, ttft_ms, total_ms, tokens, tok_per_s, stopped_by, cancelled, cut, "
            "rules_applied FROM interactions WHERE stopped_by IS NOT 'imported' "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        keys = (
            "id", "request_id", "created_at", "model", "personalized", "prompt_tokens",
            "reused_tokens", "ttft_ms", "total_ms", "tokens", "tok_per_s", "stopped_by",
            "cancelled", "cut", "rules_applied",
        )  # fmt: skip
        log = [dict(zip(keys, row, strict=True)) for row in rows]
        for entry in log:
            entry["personalized"] = bool(entry["personalized"])
            entry["cancelled"] = bool(entry["cancelled"])
            entry["cut"] = json.loads(entry["cut"])
            entry["rules_applied"] = json.loads(entry["rules_applied"])
        return log

    def item_ids(self, interaction_id: int) -> list[int]:
        """The items an answer used, in their rank order."""
        rows = self.store.query(
            "SELECT memory_id FROM interaction_items WHERE interaction_id = ? ORDER BY rank",
            (interaction_id,),
        )
        return [int(r[0]) for r in rows]

    def drop_item(self, memory_id: int) -> None:
        """Take a forgotten item out of every answer's list of used items."""
        self.store.execute("DELETE FROM interaction_items WHERE memory_id = ?", (memory_id,))
