"""The profile's entities and their persistence in the encrypted store."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lampdesk.errors import UsageError
from lampdesk.vault.store import Store, utc_now

FEEDBACK_KINDS = ("up", "down", "edit", "reask")
#: How each reaction scales the weight of the items the answer used.
FEEDBACK_FACTORS = {"up": 1.25, "down": 0.6, "edit": 0.85, "reask": 0.8}
MIN_WEIGHT, MAX_WEIGHT = 0.2, 3.0
#: A weight from feedback fades back towards 1 by half every this many days without feedback.
WEIGHT_HALF_LIFE_DAYS = 60.0
_ATTRIBUTE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: A document's piece is embedded from its heading path and its first this many characters
#: (about 100 word pieces); full-text search has all of it. Embedding is what an import of
#: notes spends its time on: on this project's 2-core machines MiniLM embeds ~15 pieces/s at
#: its full 256 word pieces and ~3x that at 64.
DOCUMENT_EMBED_CHARS = 400


@dataclass(frozen=True)
class Rule:
    """A rule the user sets for every answer (:mod:`lampdesk.prompting.rules` enforces it)."""

    id: int
    text: str
    blocked_terms: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "text": self.text, "blocked_terms": list(self.blocked_terms)}


#: Kinds of diet (a regular expression's alternatives), in statements about the user.
DIET_TYPES = (
    r"vegans?|vegetarians?|pescatarians?|flexitarian|carnivore|omnivore|keto|paleo|kosher|halal|"
    r"plant-based|low-carb|gluten-free|dairy-free|raw food"
)

#: Topics that stand for constraints on what LampDesk may suggest: (topic, constraint kind).
CONSTRAINT_KINDS = ("diet", "allergy", "medical")


_RESTRICTION = re.compile(
    rf"\b(?:{DIET_TYPES})\b|\b(?:don't|do not|can't|cannot|never|no longer|avoid|stopped|"
    rf"gave up|cut out|not allowed|shouldn't|must not|only)\b",
    re.IGNORECASE,
)
_ALLERGY = re.compile(r"\ballerg(?:ic|y|ies)\b|\bintoleran(?:t|ce)\b", re.IGNORECASE)


def constraint_of(text: str, topic: str | None) -> str | None:
    """The kind of constraint a memory sets on what LampDesk may suggest (see
    :data:`CONSTRAINT_KINDS`): "allergy" for allergies and intolerances, "medical" for health
    conditions and limits, "diet" for a kind of diet or a food the user does not eat;
    ``None`` for everything else ("I love steak" is a taste, not a constraint)."""
    if topic == "allergy" or _ALLERGY.search(text):
        return "allergy"
    if topic == "health":
        return "medical"
    if topic == "diet" and _RESTRICTION.search(text):
        return "diet"
    return None


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


@dataclass(frozen=True)
class UsedItem:
    memory_id: int
    score: float
    why: dict[str, Any]


def faded_weight(weight: float, feedback_at: str | None, now: datetime) -> float:
    """A feedback weight as it stands at *now*: it fades back towards 1 (no opinion) by half
    every :data:`WEIGHT_HALF_LIFE_DAYS`, so stale reactions stop steering retrieval."""
    if weight == 1.0 or not feedback_at:
        return weight
    days = max(0.0, (now - datetime.fromisoformat(feedback_at)).total_seconds() / 86400)
    return 1.0 + (weight - 1.0) * math.pow(0.5, days / WEIGHT_HALF_LIFE_DAYS)


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


class Profile:
    """What LampDesk knows about its user, read from and written to one encrypted store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def name(self) -> str:
        rows = self.store.query("SELECT name FROM profile WHERE id = 1")
        return str(rows[0][0]) if rows else ""

    # -- attributes --------------------------------------------------------------------------

    def set_attributes(self, pairs: Iterable[tuple[str, str]]) -> None:
        now = utc_now()
        with self.store.transaction():
            for key, value in pairs:
                self.store.execute(
                    "INSERT INTO attributes(key, value, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                    "updated_at = excluded.updated_at",
                    (key, value, now),
                )

    def unset_attributes(self, keys: Iterable[str]) -> int:
        removed = 0
        with self.store.transaction():
            for key in keys:
                before = self.store.query("SELECT 1 FROM attributes WHERE key = ?", (key,))
                self.store.execute("DELETE FROM attributes WHERE key = ?", (key,))
                removed += len(before)
        return removed

    def attributes(self) -> dict[str, str]:
        """Attributes in a stable order (by key), so the prompt's profile segment is stable."""
        rows = self.store.query("SELECT key, value FROM attributes ORDER BY key")
        return {str(k): str(v) for k, v in rows}

    # -- memories ----------------------------------------------------------------------------

    def add_memory(
        self,
        text: str,
        *,
        kind: str = "fact",
        source: str = "user",
        topic: str | None = None,
        interaction_id: int | None = None,
        constraint: str | None = None,
    ) -> Memory:
        text = text.strip()
        if not text:
            raise UsageError("There is nothing to remember: the text is empty.")
        if constraint is None and topic is not None:
            constraint = constraint_of(text, topic)
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
            memory_id,
            text,
            kind,
            source,
            now,
            1.0,
            False,
            topic=topic,
            updated_at=now,
            constraint=constraint,
        )

    def add_items(self, items: Iterable[NewItem]) -> list[int]:
        """Add many items in one transaction (one commit: fast ingest); their ids in order."""
        now = utc_now()
        ids: list[int] = []
        with self.store.transaction():
            for item in items:
                text = item.text.strip()
                if not text:
                    raise UsageError("There is nothing to remember: the text is empty.")
                ids.append(
                    self.store.execute(
                        "INSERT INTO memories(text, kind, source, created_at, updated_at, "
                        "happened_at, turn_ids, context) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            text,
                            item.kind,
                            item.source,
                            now,
                            now,
                            item.happened_at,
                            json.dumps(list(item.turn_ids)),
                            item.context,
                        ),
                    )
                )
        return ids

    def edit_memory(
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
        text = text.strip()
        if not text:
            raise UsageError("A memory cannot be empty; forget it instead.")
        if constraint is None and topic is not None:
            constraint = constraint_of(text, topic)
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

    def memory_history(self, memory_id: int) -> list[tuple[str, str, str]]:
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
            self.store.execute("DELETE FROM prefix_states")
        return bool(found)

    def pinned_texts(self) -> list[str]:
        rows = self.store.query("SELECT text FROM memories WHERE pinned = 1 ORDER BY id")
        return [str(r[0]) for r in rows]

    # -- proposals ("ask me first") ----------------------------------------------------------

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

    def proposals(self) -> list[Proposal]:
        rows = self.store.query(
            "SELECT p.id, p.action, p.memory_id, p.text, p.topic, p.interaction_id, "
            "p.created_at, m.text FROM memory_proposals p "
            "LEFT JOIN memories m ON m.id = p.memory_id ORDER BY p.id"
        )
        return [Proposal(*row) for row in rows]

    def accept(self, proposal_id: int) -> Memory | None:
        """Carry out a proposal; the memory added or updated (``None`` after a delete)."""
        with self.store.transaction():
            found = [p for p in self.proposals() if p.id == proposal_id]
            if not found:
                raise UsageError(f"There is no pending memory {proposal_id}.")
            p = found[0]
            self.store.execute("DELETE FROM memory_proposals WHERE id = ?", (proposal_id,))
            if p.action == "add":
                return self.add_memory(
                    p.text, source="chat", topic=p.topic, interaction_id=p.interaction_id
                )
            if p.memory_id is None:
                return None
            if p.action == "delete":
                self.forget(p.memory_id, refuse=False)
                return None
            self.edit_memory(
                p.memory_id,
                p.text,
                reason="updated from a conversation (accepted)",
                topic=p.topic,
                interaction_id=p.interaction_id,
            )
            return self.memories([p.memory_id])[0]

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

    def memories(self, ids: Sequence[int] | None = None) -> list[Memory]:
        sql = (
            "SELECT id, text, kind, source, created_at, weight, pinned, happened_at, turn_ids, "
            "topic, updated_at, constraint_kind FROM memories"
        )
        params: Sequence[Any] = ()
        if ids is not None:
            if not ids:
                return []
            sql += f" WHERE id IN ({','.join('?' * len(ids))})"
            params = list(ids)
        rows = self.store.query(sql + " ORDER BY id", params)
        return [
            Memory(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                float(r[5]),
                bool(r[6]),
                r[7],
                tuple(json.loads(r[8] or "[]")),
                r[9],
                r[10],
                r[11],
            )
            for r in rows
        ]

    def embedding_inputs(self, ids: Sequence[int]) -> dict[int, str]:
        """What the dense index embeds for each item: its text and its searchable context."""
        result: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self.store.query(
                f"SELECT id, text, context, kind FROM memories WHERE id IN ({marks})", chunk
            )
            for mid, text, context, kind in rows:
                if kind == "document":  # see DOCUMENT_EMBED_CHARS
                    text = text[:DOCUMENT_EMBED_CHARS]
                result[int(mid)] = f"{context}\n{text}" if context else str(text)
        return result

    def memory_count(self) -> int:
        return int(self.store.query("SELECT count(*) FROM memories")[0][0])

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
            self.store.execute("DELETE FROM interaction_items WHERE memory_id = ?", (memory_id,))
            if found:
                self.store.execute("DELETE FROM prefix_states")
        return bool(found)

    # -- vectors (the dense index is rebuilt from these, never from Chroma) -------------------

    def store_vectors(self, model: str, vectors: Iterable[tuple[int, bytes]]) -> None:
        with self.store.transaction():
            for memory_id, blob in vectors:
                self.store.execute(
                    "INSERT OR REPLACE INTO memory_vectors(memory_id, model, vector) "
                    "VALUES (?, ?, ?)",
                    (memory_id, model, blob),
                )

    def vectors(self, model: str) -> dict[int, bytes]:
        rows = self.store.query(
            "SELECT memory_id, vector FROM memory_vectors WHERE model = ?", (model,)
        )
        return {int(r[0]): bytes(r[1]) for r in rows}

    # -- interactions ------------------------------------------------------------------------

    def record_interaction(self, interaction: Interaction) -> int:
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

    def interactions(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.store.query(
            "SELECT id, question, answer, personalized, tokens, ttft_ms, created_at "
            "FROM interactions ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        keys = ("id", "question", "answer", "personalized", "tokens", "ttft_ms", "created_at")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def record_feedback(self, interaction_id: int, kind: str, value: str | None = None) -> int:
        """A reaction to an answer: ``up``, ``down`` or ``edit`` (with the edited text)."""
        if kind not in FEEDBACK_KINDS:
            raise UsageError(f"Unknown feedback {kind!r}: use one of {', '.join(FEEDBACK_KINDS)}.")
        with self.store.transaction():
            if not self.store.query("SELECT 1 FROM interactions WHERE id = ?", (interaction_id,)):
                raise UsageError(f"There is no answer {interaction_id}.")
            feedback_id = self.store.execute(
                "INSERT INTO feedback(interaction_id, kind, value, created_at) VALUES (?, ?, ?, ?)",
                (interaction_id, kind, value, utc_now()),
            )
            self._reweigh(interaction_id, FEEDBACK_FACTORS[kind])
            return feedback_id

    def _reweigh(self, interaction_id: int, factor: float) -> None:
        """Scale the weights of the items an answer used (their faded weight, then *factor*)."""
        now = utc_now()
        today = datetime.fromisoformat(now)
        rows = self.store.query(
            "SELECT m.id, m.weight, m.feedback_at FROM memories m "
            "JOIN interaction_items i ON i.memory_id = m.id WHERE i.interaction_id = ?",
            (interaction_id,),
        )
        for memory_id, weight, feedback_at in rows:
            current = faded_weight(float(weight), feedback_at, today)
            new = min(MAX_WEIGHT, max(MIN_WEIGHT, current * factor))
            self.store.execute(
                "UPDATE memories SET weight = ?, feedback_at = ? WHERE id = ?",
                (new, now, memory_id),
            )

    def feedback(self, interaction_id: int) -> list[tuple[str, str | None]]:
        rows = self.store.query(
            "SELECT kind, value FROM feedback WHERE interaction_id = ? ORDER BY id",
            (interaction_id,),
        )
        return [(str(k), None if v is None else str(v)) for k, v in rows]

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

    # -- settings (the profile's own template and generation settings) -----------------------

    def setting(self, key: str) -> str | None:
        rows = self.store.query("SELECT value FROM settings WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def settings(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.store.query("SELECT key, value FROM settings")}

    def set_setting(self, key: str, value: str | None) -> None:
        with self.store.transaction():
            if value is None:
                self.store.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                self.store.execute(
                    "INSERT INTO settings(key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

    # -- rules -------------------------------------------------------------------------------

    def add_rule(self, text: str, blocked_terms: Sequence[str] = ()) -> Rule:
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

    def rules(self) -> list[Rule]:
        rows = self.store.query(
            "SELECT id, text, blocked_terms FROM rules WHERE enabled = 1 ORDER BY id"
        )
        return [Rule(int(r[0]), str(r[1]), tuple(json.loads(r[2]))) for r in rows]

    def remove_rule(self, rule_id: int) -> bool:
        with self.store.transaction():
            found = self.store.query("SELECT 1 FROM rules WHERE id = ?", (rule_id,))
            self.store.execute("DELETE FROM rules WHERE id = ?", (rule_id,))
        return bool(found)

    # -- the evaluated prompt prefix (encrypted with the profile) -----------------------------

    def prefix_state(self, model: str, prefix_sha: str) -> tuple[bytes, bytes] | None:
        rows = self.store.query(
            "SELECT tokens, state FROM prefix_states WHERE model = ? AND prefix_sha = ?",
            (model, prefix_sha),
        )
        return (bytes(rows[0][0]), bytes(rows[0][1])) if rows else None

    def save_prefix_state(self, model: str, prefix_sha: str, tokens: bytes, state: bytes) -> None:
        """Keep one state per model: the latest stable prefix is the one worth restoring."""
        with self.store.transaction():
            self.store.execute("DELETE FROM prefix_states WHERE model = ?", (model,))
            self.store.execute(
                "INSERT INTO prefix_states(model, prefix_sha, tokens, state, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (model, prefix_sha, tokens, state, utc_now()),
            )

    def interaction_item_ids(self, interaction_id: int) -> list[int]:
        rows = self.store.query(
            "SELECT memory_id FROM interaction_items WHERE interaction_id = ? ORDER BY rank",
            (interaction_id,),
        )
        return [int(r[0]) for r in rows]

    def statement_memories(self, kinds: Sequence[str]) -> list[tuple[int, str]]:
        """(id, text) of the memories of these *kinds* (the user's own statements), by id."""
        rows = self.store.query(
            f"SELECT id, text FROM memories WHERE kind IN ({','.join('?' * len(kinds))}) "
            "ORDER BY id",
            list(kinds),
        )
        return [(int(r[0]), str(r[1])) for r in rows]
