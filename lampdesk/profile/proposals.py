"""Changes to the memories waiting for the user ("ask me first"): the only SQL on
``memory_proposals``."""

from __future__ import annotations

from dataclasses import dataclass

from lampdesk.errors import UsageError
from lampdesk.profile.memories import Memories, Memory
from lampdesk.vault.store import Store, utc_now


@dataclass(frozen=True)
class Proposal:
    """A change to the memories waiting for the user ("ask me first")."""

    id: int
    action: str
    memory_id: int | None
    text: str
    topic: str | None
    interaction_id: int | None
    created_at: str
    #: The memory's text now, for an update or a delete.
    current: str | None = None


class Proposals:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.memories = Memories(store)

    def propose(
        self,
        action: str,
        text: str,
        *,
        memory_id: int | None = None,
        topic: str | None = None,
        interaction_id: int | None = None,
    ) -> int:
        with self.store.transaction():
            return self.store.execute(
                "INSERT INTO memory_proposals(action, memory_id, text, topic, interaction_id, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (action, memory_id, text, topic, interaction_id, utc_now()),
            )

    def pending(self) -> list[Proposal]:
        rows = self.store.query(
            "SELECT id, action, memory_id, text, topic, interaction_id, created_at "
            "FROM memory_proposals ORDER BY id"
        )
        targets = [int(r[2]) for r in rows if r[2] is not None]
        current = {m.id: m.text for m in self.memories.get(targets)} if targets else {}
        return [Proposal(r[0], r[1], r[2], r[3], r[4], r[5], r[6], current.get(r[2])) for r in rows]

    def accept(self, proposal_id: int) -> Memory | None:
        """Carry out a proposal; the memory added or updated (``None`` after a delete)."""
        with self.store.transaction():
            found = [p for p in self.pending() if p.id == proposal_id]
            if not found:
                raise UsageError(f"There is no pending memory {proposal_id}.")
            p = found[0]
            self.store.execute("DELETE FROM memory_proposals WHERE id = ?", (proposal_id,))
            if p.action == "add":
                return self.memories.add(
                    p.text, source="chat", topic=p.topic, interaction_id=p.interaction_id
                )
            if p.memory_id is None:
                return None
            if p.action == "delete":
                self.memories.forget(p.memory_id, refuse=False)
                return None
            self.memories.edit(
                p.memory_id,
                p.text,
                reason="updated from a conversation (accepted)",
                topic=p.topic,
                interaction_id=p.interaction_id,
            )
            return self.memories.get([p.memory_id])[0]

    def reject(self, proposal_id: int) -> bool:
        """Drop a pending change; what it would have learned is not learned again in that
        conversation (see lampdesk.memory.refusals)."""
        from lampdesk import refusals

        with self.store.transaction():
            found = self.store.query(
                "SELECT action, text, interaction_id FROM memory_proposals WHERE id = ?",
                (proposal_id,),
            )
            if found and found[0][0] != "delete":  # a rejected delete keeps the memory
                refusals.refuse(self.store, [str(found[0][1])], found[0][2])
            self.store.execute("DELETE FROM memory_proposals WHERE id = ?", (proposal_id,))
        return bool(found)

    def clear(self) -> None:
        """Drop every pending change (an evaluation starting afresh)."""
        with self.store.transaction():
            self.store.execute("DELETE FROM memory_proposals")
