"""The rules the user sets for every answer: the only SQL on ``rules``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from lampdesk.errors import UsageError
from lampdesk.vault.store import Store, utc_now


@dataclass(frozen=True)
class Rule:
    """A rule the user sets for every answer (:mod:`lampdesk.prompting.rules` enforces it)."""

    id: int
    text: str
    blocked_terms: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "text": self.text, "blocked_terms": list(self.blocked_terms)}


class Rules:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, text: str, blocked_terms: Sequence[str] = ()) -> Rule:
        text = text.strip()
        terms = tuple(t.strip() for t in blocked_terms if t.strip())
        if not text and not terms:
            raise UsageError("A rule needs a text or at least one blocked term.")
        text = text or "Never use these words: " + ", ".join(terms)
        with self.store.transaction():
            rule_id = self.store.execute(
                "INSERT INTO rules(text, blocked_terms, created_at) VALUES (?, ?, ?)",
                (text, json.dumps(list(terms)), utc_now()),
            )
        return Rule(rule_id, text, terms)

    def enabled(self) -> list[Rule]:
        rows = self.store.query(
            "SELECT id, text, blocked_terms FROM rules WHERE enabled = 1 ORDER BY id"
        )
        return [Rule(int(r[0]), str(r[1]), tuple(json.loads(r[2]))) for r in rows]

    def remove(self, rule_id: int) -> bool:
        with self.store.transaction():
            found = self.store.query("SELECT 1 FROM rules WHERE id = ?", (rule_id,))
            self.store.execute("DELETE FROM rules WHERE id = ?", (rule_id,))
        return bool(found)
