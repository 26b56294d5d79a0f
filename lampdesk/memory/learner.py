"""The memory loop: after each exchange, learn what the user said about themselves.

The assistant hands every finished exchange to :meth:`MemoryLearner.submit` and returns its answer
at once; a background thread extracts candidate facts, decides against similar memories, and
either applies the change or, with "ask me first" on, leaves it for the user to accept.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lampdesk import refusals
from lampdesk.inference.engine import Engine
from lampdesk.memory import cues
from lampdesk.memory.decide import Decision, Existing, decide, topic_of
from lampdesk.memory.extract import (
    FACTS_SCHEMA,
    Candidate,
    SchemaViolation,
    constraint_of,
    extraction_messages,
    parse_facts,
    statement_clauses,
    unique,
)
from lampdesk.memory.statements import StatementJudge, TextEmbedder
from lampdesk.profile import Memory, Profile
from lampdesk.retrieval import sparse

log = logging.getLogger(__name__)

#: Settings (per profile, "on"/"off") and their defaults.
MEMORY_ENABLED = "memory.enabled"
MEMORY_ASK_FIRST = "memory.ask_first"
MEMORY_MODEL_EXTRACTION = "memory.model_extraction"
MEMORY_SETTINGS = {MEMORY_ENABLED: "on", MEMORY_ASK_FIRST: "off", MEMORY_MODEL_EXTRACTION: "off"}


@dataclass(frozen=True)
class Outcome:
    """What one candidate led to."""

    decision: Decision
    #: The memory added or changed (``None`` when pending, deleted or nothing was done).
    memory_id: int | None = None
    #: The pending change waiting for the user ("ask me first").
    proposal_id: int | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "action": self.decision.action,
            "text": self.decision.candidate.text,
            "topic": self.decision.candidate.topic,
            "constraint": constraint_of(
                self.decision.candidate.text, self.decision.candidate.topic
            ),
            "target": self.decision.memory_id,
            "reason": self.decision.reason,
            "memory_id": self.memory_id,
            "pending": self.proposal_id,
        }


def setting_on(profile: Profile, key: str) -> bool:
    return (profile.setting(key) or MEMORY_SETTINGS[key]) == "on"


class MemoryLearner:
    def __init__(
        self,
        profile: Profile,
        engine: Engine | None = None,
        *,
        on_learned: Callable[[list[Outcome]], None] | None = None,
        embedder: TextEmbedder | None = None,
    ) -> None:
        self.profile = profile
        self.engine = engine
        #: Tells statements about the user from the rest (rules, then the classifier over
        #: *embedder*'s vectors; the rules alone without one).
        self.judge = StatementJudge(embedder)
        self.on_learned = on_learned
        self._jobs: queue.Queue[tuple[int, str] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        #: Set when a new question arrives: a model extraction in progress gives way.
        self.yield_to_answer = threading.Event()

    # -- the background path -----------------------------------------------------------------

    def submit(self, interaction_id: int, user_text: str) -> None:
        """Learn from an exchange later, off the caller's thread."""
        if not setting_on(self.profile, MEMORY_ENABLED):
            return
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="lampdesk-memory", daemon=True
                )
                self._thread.start()
        self._jobs.put((interaction_id, user_text))

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                outcomes = self.learn(*job)
                if outcomes and self.on_learned is not None:
                    self.on_learned(outcomes)
            except Exception:  # a bug must not kill the loop; it is logged, the answer stands
                # The exchange's id only: log lines never carry the user's words.
                log.exception("learning from exchange %s failed", job[0] if job else None)
            finally:
                self._jobs.task_done()

    def flush(self) -> None:
        """Wait until every submitted exchange has been learned from."""
        self._jobs.join()

    def close(self) -> None:
        with self._start_lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._jobs.put(None)
            thread.join()

    # -- learning ----------------------------------------------------------------------------

    def candidates(self, user_text: str) -> list[Candidate]:
        found = self.judge.extract(user_text)
        if (
            self.engine is not None
            and setting_on(self.profile, MEMORY_MODEL_EXTRACTION)
            and any(not cues.refused(cues.cues(s)) for s in statement_clauses(user_text))
        ):
            # The model is asked only about a message with a sentence the cues let through:
            # it cannot turn a request or a question into a fact about the user.
            found += self.extract_with_model(user_text)
        return unique(found)

    def extract_with_model(self, user_text: str) -> list[Candidate]:
        """The model's facts (grammar-constrained JSON); none if a question came first."""
        assert self.engine is not None
        self.yield_to_answer.clear()
        output = self.engine.complete_json(
            extraction_messages(user_text), FACTS_SCHEMA, cancel=self.yield_to_answer
        )
        if output is None:
            return []
        try:
            return parse_facts(output)
        except SchemaViolation:
            log.exception("the grammar let through output off the schema (%d chars)", len(output))
            return []

    def learn(
        self,
        interaction_id: int | None,
        user_text: str,
        *,
        source: str = "chat",
        beside: str | None = None,
    ) -> list[Outcome]:
        """Extract, decide and apply for one exchange (synchronously); new memories carry
        *source*. Memories whose source is *beside* (the imported messages themselves) are not
        compared with."""
        ask_first = setting_on(self.profile, MEMORY_ASK_FIRST)
        outcomes = []
        for candidate in self.candidates(user_text):
            if refusals.held_back(self.profile.store, candidate.text, interaction_id):
                continue  # forgotten or rejected in this conversation: not learned again
            similar = similar_memories(self.profile, candidate.text, candidate.topic)
            existing = [
                Existing(m.id, m.text, m.topic, m.pinned) for m in similar if m.source != beside
            ]
            decision = decide(candidate, existing)
            outcomes.append(self._apply(decision, existing, interaction_id, ask_first, source))
        return outcomes

    def _apply(
        self,
        decision: Decision,
        existing: Sequence[Existing],
        interaction_id: int | None,
        ask_first: bool,
        source: str,
    ) -> Outcome:
        candidate = decision.candidate
        if decision.action == "none":
            return Outcome(decision)
        target = next((m for m in existing if m.id == decision.memory_id), None)
        if ask_first or (target is not None and target.pinned):
            proposal = self.profile.propose(
                decision.action,
                candidate.text,
                memory_id=decision.memory_id,
                topic=candidate.topic,
                interaction_id=interaction_id,
            )
            return Outcome(decision, proposal_id=proposal)
        constraint = constraint_of(candidate.text, candidate.topic)
        if decision.action == "add":
            memory = self.profile.add_memory(
                candidate.text,
                source=source,
                topic=candidate.topic,
                interaction_id=interaction_id,
                constraint=constraint,
            )
            return Outcome(decision, memory_id=memory.id)
        assert decision.memory_id is not None
        if decision.action == "delete":
            # Taken back in chat, not forgotten: saying it again later is learned again.
            self.profile.forget(decision.memory_id, refuse=False)
            return Outcome(decision)
        self.profile.edit_memory(
            decision.memory_id,
            candidate.text,
            reason=f"updated from a conversation: {decision.reason}",
            topic=candidate.topic,
            interaction_id=interaction_id,
            constraint=constraint,
        )
        return Outcome(decision, memory_id=decision.memory_id)


def classify(text: str) -> str | None:
    """The topic of a fact the user typed in directly (``remember``)."""
    return topic_of(text)


def similar_memories(
    profile: Profile, text: str, topic: str | None, limit: int = 10
) -> list[Memory]:
    """Memories a new statement may repeat, update or retract: those on *topic* and the
    best lexical matches (FTS5)."""
    ids = set(profile.memory_store.ids_of_topic(topic)) if topic else set()
    ids.update(mid for mid, _ in sparse.search(profile.store, text, limit))
    return profile.memories(sorted(ids))
