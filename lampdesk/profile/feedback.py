"""Reactions to answers and what they do to the weights of the items used: the only SQL on
``feedback``."""

from __future__ import annotations

from lampdesk.errors import UsageError
from lampdesk.profile.interactions import Interactions
from lampdesk.profile.memories import Memories
from lampdesk.vault.store import Store, utc_now

FEEDBACK_KINDS = ("up", "down", "edit", "reask")
#: How each reaction scales the weight of the items the answer used.
FEEDBACK_FACTORS = {"up": 1.25, "down": 0.6, "edit": 0.85, "reask": 0.8}


class Feedback:
    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, interaction_id: int, kind: str, value: str | None = None) -> int:
        """A reaction to an answer: ``up``, ``down`` or ``edit`` (with the edited text)."""
        if kind not in FEEDBACK_KINDS:
            raise UsageError(f"Unknown feedback {kind!r}: use one of {', '.join(FEEDBACK_KINDS)}.")
        interactions = Interactions(self.store)
        with self.store.transaction():
            if not interactions.exists(interaction_id):
                raise UsageError(f"There is no answer {interaction_id}.")
            feedback_id = self.store.execute(
                "INSERT INTO feedback(interaction_id, kind, value, created_at) VALUES (?, ?, ?, ?)",
                (interaction_id, kind, value, utc_now()),
            )
            used = interactions.item_ids(interaction_id)
            Memories(self.store).scale_weights(used, FEEDBACK_FACTORS[kind])
            return feedback_id

    def of(self, interaction_id: int) -> list[tuple[str, str | None]]:
        rows = self.store.query(
            "SELECT kind, value FROM feedback WHERE interaction_id = ? ORDER BY id",
            (interaction_id,),
        )
        return [(str(k), None if v is None else str(v)) for k, v in rows]
