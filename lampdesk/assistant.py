"""The pipeline of one question: retrieve -> prompt -> generate -> record."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lampdesk.constraints.guard import REWRITE_NOTE, ConstraintGuard
from lampdesk.errors import UsageError
from lampdesk.inference.engine import Engine, GenerationSettings, Message, StreamStats
from lampdesk.inference.prefix_cache import PrefixCache
from lampdesk.memory.decide import Existing, decide
from lampdesk.memory.extract import Candidate, extract_by_rules
from lampdesk.memory.learner import MemoryLearner, similar_memories
from lampdesk.profile import Interaction, Memory, Profile, UsedItem
from lampdesk.prompting import grounded, limits, routing
from lampdesk.prompting.builder import BuiltPrompt, HistoryTurn, PromptBuilder
from lampdesk.prompting.items import for_model
from lampdesk.prompting.rules import BlockedTermFilter, Rule
from lampdesk.retrieval.retriever import RetrievedItem, Retriever
from lampdesk.text import content_words

NO_PROFILE_NOTE = "No profile data was used: the profile has no attributes or memories yet."
NOT_PERSONALIZED_NOTE = "Personalisation was off: no profile data was used."
NOTHING_RELEVANT_NOTE = "No profile data was used."
#: A question asked again this soon after a similar one says the first answer missed.
REASK_WINDOW_S = 600
#: How alike (content words) two questions are to count as the same question asked again.
REASK_SIMILARITY = 0.6
#: The attribute under which pinned memories reach the prompt's stable profile segment.
PINNED_ATTRIBUTE = "always_remember"


@dataclass
class AskResult:
    question: str
    answer: str
    items: list[RetrievedItem]
    messages: list[Message]
    personalized: bool
    note: str | None
    model: str
    prompt_tokens: int
    tokens: int
    ttft_ms: float | None
    total_ms: float
    retrieval_ms: float
    cancelled: bool
    interaction_id: int
    request_id: str = ""
    reused_tokens: int = 0
    tok_per_s: float = 0.0
    rules: list[Rule] = field(default_factory=list)
    blocked_terms: list[str] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)
    prefix_restored: bool = False
    warnings: list[str] = field(default_factory=list)
    constraints: list[dict[str, Any]] = field(default_factory=list)
    #: "grounded" (answered from the item that holds the fact) or "free" (generated).
    mode: str = routing.FREE
    route: dict[str, Any] = field(default_factory=dict)
    grounding: dict[str, Any] | None = None
    #: Why generation ended ("stop", "length" at the answer length limit, "cancel", ...).
    stopped_by: str = ""
    max_tokens: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "items": [item.as_json() for item in self.items],
            "messages": self.messages,
            "personalized": self.personalized,
            "note": self.note,
            "model": self.model,
            "request_id": self.request_id,
            "prompt_tokens": self.prompt_tokens,
            "reused_tokens": self.reused_tokens,
            "prefix_restored": self.prefix_restored,
            "tokens": self.tokens,
            "ttft_ms": None if self.ttft_ms is None else round(self.ttft_ms, 1),
            "total_ms": round(self.total_ms, 1),
            "retrieval_ms": round(self.retrieval_ms, 1),
            "tok_per_s": round(self.tok_per_s, 1),
            "cancelled": self.cancelled,
            "interaction_id": self.interaction_id,
            "rules": [rule.as_json() for rule in self.rules],
            "blocked_terms": self.blocked_terms,
            "dropped": self.dropped,
            "warnings": self.warnings,
            "constraints": self.constraints,
            "mode": self.mode,
            "route": self.route,
            "grounding": self.grounding,
            "stopped_by": self.stopped_by,
            "max_tokens": self.max_tokens,
        }


def _not_recorded(_interaction: Interaction) -> int:
    return 0


class Assistant:
    def __init__(
        self,
        profile: Profile,
        retriever: Retriever,
        builder: PromptBuilder,
        engine: Engine,
        *,
        retrieval_budget: int | None = None,
    ) -> None:
        self.profile = profile
        #: Tokens of retrieved items per prompt (``None``: the retriever's default few items).
        self.retrieval_budget = retrieval_budget
        self.retriever = retriever
        self.builder = builder
        self.engine = engine
        self.prefix_cache = PrefixCache(engine, profile)
        #: Diets, allergies and rules found in the profile, kept out of every answer.
        self.constraints = ConstraintGuard(profile, engine)
        # What was learned is embedded and indexed at once, in the learner's thread, so the
        # next question does not wait for it.
        self.learner = MemoryLearner(
            profile, engine, on_learned=self._index_learned, embedder=retriever.embedder
        )

    def generation_settings(self, **overrides: str) -> GenerationSettings:
        """The profile's generation settings (``gen.*``), then *overrides* on top."""
        stored = {
            key.removeprefix("gen."): value
            for key, value in self.profile.settings().items()
            if key.startswith("gen.")
        }
        return GenerationSettings().updated({**stored, **overrides})

    def remember(self, text: str) -> Memory:
        """Store a fact the user typed (see :meth:`remember_how`)."""
        return self.remember_how(text)[1]

    def remember_how(self, text: str) -> tuple[str, Memory]:
        """Store a fact the user typed: ``("add", memory)``; or, for a newer statement on a
        one-answer topic (diet, home, name...), ``("update", the older memory now saying
        it)``; or ``("none", memory)`` when a memory says it already. It is embedded and
        indexed on the next search (or :meth:`index`)."""
        stated = extract_by_rules(text)
        if len(stated) != 1:
            return "add", self.profile.add_memory(text)
        candidate = Candidate(text.strip(), stated[0].topic, stated[0].negated)
        similar = similar_memories(self.profile, candidate.text, candidate.topic)
        decision = decide(candidate, [Existing(m.id, m.text, m.topic, m.pinned) for m in similar])
        target = next((m for m in similar if m.id == decision.memory_id), None)
        if decision.action == "none" and target is not None:
            return "none", target
        if decision.action == "update" and target is not None and not target.pinned:
            self.profile.edit_memory(
                target.id, candidate.text, reason=decision.reason, topic=candidate.topic
            )
            return "update", self.profile.memories([target.id])[0]
        return "add", self.profile.add_memory(text, topic=candidate.topic)

    def _index_learned(self, _outcomes: object) -> None:
        self.retriever.sync()

    def warm_up(self) -> None:
        """Load what the first answer needs (for a worker, before the first question): the
        model, the tables that enforce constraints while decoding, and when there is something
        to search, the embedder, the index and a first query through the whole retrieval path."""
        self.engine.load()
        self.constraints.warm_up()
        if self.profile.memory_count():
            self.retriever.search("warm up", budget=self.retrieval_budget, render=for_model)

    def index(self) -> None:
        """Embed and index whatever changed (for a worker thread, off the GUI).

        Also after the last memory is forgotten: the delete must still reach the dense index.
        """
        self.retriever.sync()

    def context(
        self, query: str, *, personalize: bool = True
    ) -> tuple[dict[str, str], list[RetrievedItem]]:
        """What of the profile a prompt for *query* holds: the attributes, the pinned memories
        among them, and the items retrieved for *query* as the model sees them. A pinned
        memory is never listed again as an item: it is known by its id (an item's text may
        start with its date)."""
        if not personalize:
            return {}, []
        attributes = self.profile.attributes()
        pinned = dict(self.profile.pinned_memories())
        if pinned:
            attributes[PINNED_ATTRIBUTE] = "; ".join(pinned.values())
        found = self.retriever.search(query, budget=self.retrieval_budget, render=for_model)
        return attributes, [item for item in found if item.id not in pinned]

    def ask(
        self,
        question: str,
        *,
        personalize: bool = True,
        on_chunk: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
        settings: GenerationSettings | None = None,
        learn: bool = True,
        quote: bool = False,
        mode: str | None = None,
        history: Sequence[HistoryTurn] = (),
        search_text: str | None = None,
        record: bool = True,
    ) -> AskResult:
        """Answer *question*, streaming chunks to *on_chunk*; with *learn*, the exchange also
        feeds the memory loop (and a quick re-ask counts as feedback on the last answer). A
        question about the user's own facts is answered grounded, from the item that holds the
        answer (or "I don't know"), anything else freely (see prompting/routing.py); *mode*
        ("grounded" or "free", or *quote* for "grounded") forces the choice.

        *history* holds a thread's earlier turns (see lampdesk/conversations.py) and
        *search_text* what retrieval searches for instead of the bare question. Without
        *record*, nothing of the exchange is stored (a temporary chat): no interaction, no
        learning, no saved prompt state."""
        question = question.strip()
        if not question:
            raise UsageError("The question is empty.")
        started = time.perf_counter()
        self.learner.yield_to_answer.set()  # a model extraction in progress gives way
        self.engine.load_in_background()  # in parallel with retrieval (and its imports)
        cancel = cancel or threading.Event()
        request_id = uuid.uuid4().hex[:12]
        attributes, items = self.context(search_text or question, personalize=personalize)
        rules = self.profile.rules()
        guarded, stated = self.constraints.prepare(question, personalize)
        retrieval_ms = (time.perf_counter() - started) * 1000
        forced = routing.GROUNDED if quote else mode
        route = routing.route(question, items, attributes, forced=forced, personalize=personalize)
        prompt = self.builder.build(
            route.prompt_question, attributes, items,
            rules=[*rules, *([stated] if stated else [])], personalize=personalize,
            history=history,
        )  # fmt: skip
        restored = self.prefix_cache.restore(prompt.messages, prompt.stable_chars)

        blocker = BlockedTermFilter([t for rule in rules for t in rule.blocked_terms])
        answer: list[str] = []
        ttft_ms: float | None = None

        def emit(text: str) -> None:
            nonlocal ttft_ms
            if not text:
                return
            if ttft_ms is None:
                ttft_ms = (time.perf_counter() - started) * 1000
            answer.append(text)
            if on_chunk is not None:
                on_chunk(text)

        stats = StreamStats()
        settings = settings or self.generation_settings()
        found: grounded.Grounded | None = None
        if route.mode == routing.GROUNDED:
            found = self._grounded(question, prompt, attributes, cancel, stats)
            if found is not None and not self.constraints.allows(guarded, found.answer):
                # A quote that names what the user cannot have answers no question about
                # their own facts ("What do I serve with crackers?" -> their allergy): generate.
                found = None
                route = dataclasses.replace(
                    route, mode=routing.FREE, reason="the quote found names an excluded food"
                )
                stats = StreamStats()
            elif found is not None:
                emit(blocker.feed(found.answer))
        if route.mode != routing.GROUNDED:

            def restart() -> None:  # the constraint guard generates the answer again
                answer.clear()
                if on_chunk is not None:
                    on_chunk(REWRITE_NOTE)

            self.constraints.generate(
                guarded, prompt.messages, settings, cancel, stats,
                lambda chunk: emit(blocker.feed(chunk)), restart,
            )  # fmt: skip
        emit(blocker.flush())
        total_ms = (time.perf_counter() - started) * 1000
        cancelled = stats.stopped_by == "cancel"
        if not cancelled and record:
            self.prefix_cache.save(prompt.messages, prompt.stable_chars)

        if not personalize:
            note: str | None = NOT_PERSONALIZED_NOTE
        elif not prompt.personalized:
            empty = not attributes and self.profile.memory_count() == 0
            note = NO_PROFILE_NOTE if empty else NOTHING_RELEVANT_NOTE
        else:
            note = None

        text = "".join(answer).strip()
        learn = learn and record
        if learn:
            self._note_reask(question)
        warnings = [self.engine.fallback_reason] if self.engine.fallback_reason else []
        warnings += limits.cut_notes(prompt.dropped, self.builder.max_prompt_tokens)
        warnings += filter(None, [limits.length_note(stats.stopped_by, settings.max_tokens)])
        recorder = self.profile.record_interaction if record else _not_recorded
        interaction_id = recorder(
            Interaction(
                question=question,
                answer=text,
                personalized=prompt.personalized,
                model=self.engine.model_name,
                prompt_tokens=stats.prompt_tokens,
                tokens=stats.tokens,
                ttft_ms=ttft_ms,
                total_ms=total_ms,
                cancelled=cancelled,
                items=[UsedItem(i.id, i.score, i.why) for i in prompt.items],
                request_id=request_id,
                reused_tokens=stats.reused_tokens,
                tok_per_s=stats.tokens_per_s,
                stopped_by=stats.stopped_by,
                cut=prompt.dropped,
                rules_applied=[rule.id for rule in rules],
            )
        )
        if learn and not cancelled:
            self.learner.submit(interaction_id, question)
        return AskResult(
            question=question,
            answer=text,
            items=prompt.items,
            messages=prompt.messages,
            personalized=prompt.personalized,
            note=note,
            model=self.engine.model_name,
            prompt_tokens=stats.prompt_tokens,
            tokens=stats.tokens,
            ttft_ms=ttft_ms,
            total_ms=total_ms,
            retrieval_ms=retrieval_ms,
            cancelled=cancelled,
            interaction_id=interaction_id,
            request_id=request_id,
            reused_tokens=stats.reused_tokens,
            tok_per_s=stats.tokens_per_s,
            rules=rules,
            blocked_terms=[*blocker.blocked, *guarded.rule_terms_fired()],
            dropped=prompt.dropped,
            prefix_restored=restored,
            warnings=[*warnings, *guarded.warnings],
            constraints=guarded.as_json(),
            mode=route.mode,
            route=route.as_json(),
            grounding=found.as_json() if found is not None else None,
            stopped_by=stats.stopped_by,
            max_tokens=settings.max_tokens,
        )

    def _grounded(
        self,
        question: str,
        prompt: BuiltPrompt,
        attributes: dict[str, str],
        cancel: threading.Event,
        stats: StreamStats,
    ) -> grounded.Grounded | None:
        """The quote the model scores highest among the retrieved items and attributes, as an
        answer naming where it came from (see prompting/grounded.py); ``None`` if cancelled."""
        started = time.perf_counter()
        cut = {d.get("key") for d in prompt.dropped if d["what"] == "attribute"}
        kept = {k: v for k, v in attributes.items() if k not in cut}
        found = grounded.answer(self.engine, question, prompt.messages, prompt.items, kept, cancel)
        stats.prompt_tokens = self.engine.count_tokens(prompt.messages)
        stats.first_token_s = stats.generation_s = time.perf_counter() - started
        if found is None:
            stats.stopped_by = "cancel"
            return None
        stats.tokens = len(self.engine.tokenize(found.answer))
        stats.stopped_by = "grounded"
        return found

    def _note_reask(self, question: str) -> None:
        """The same question again, soon after: the last answer missed (feedback "reask")."""
        last = self.profile.interactions(limit=1)
        if not last:
            return
        previous = last[0]
        asked = datetime.fromisoformat(str(previous["created_at"]))
        if (datetime.now(UTC) - asked).total_seconds() > REASK_WINDOW_S:
            return
        a, b = content_words(question), content_words(str(previous["question"]))
        if a and b and len(a & b) / len(a | b) >= REASK_SIMILARITY:
            self.profile.record_feedback(int(previous["id"]), "reask")

    def close(self) -> None:
        """Finish learning from the exchanges so far (the process may exit next)."""
        self.learner.close()
