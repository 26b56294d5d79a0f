"""The pipeline of one question: retrieve -> prompt -> generate -> record."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lampdesk.errors import UsageError
from lampdesk.inference.engine import Engine, GenerationSettings, Message
from lampdesk.profile import Interaction, Memory, Profile, UsedItem
from lampdesk.prompting.builder import PromptBuilder
from lampdesk.retrieval.retriever import RetrievedItem, Retriever

NO_PROFILE_NOTE = "No profile data was used: the profile has no attributes or memories yet."
NOT_PERSONALIZED_NOTE = "Personalisation was off: no profile data was used."
NOTHING_RELEVANT_NOTE = "No profile data was used."


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
    dropped: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "items": [item.as_json() for item in self.items],
            "messages": self.messages,
            "personalized": self.personalized,
            "note": self.note,
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "tokens": self.tokens,
            "ttft_ms": None if self.ttft_ms is None else round(self.ttft_ms, 1),
            "total_ms": round(self.total_ms, 1),
            "retrieval_ms": round(self.retrieval_ms, 1),
            "cancelled": self.cancelled,
            "interaction_id": self.interaction_id,
            "dropped": self.dropped,
        }


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

    def remember(self, text: str) -> Memory:
        """Store a fact; it is embedded and indexed on the next search (or :meth:`index`)."""
        return self.profile.add_memory(text)

    def index(self) -> None:
        """Embed and index whatever changed (for a worker thread, off the GUI).

        Also after the last memory is forgotten: the delete must still reach the dense index.
        """
        self.retriever.sync()

    def ask(
        self,
        question: str,
        *,
        personalize: bool = True,
        on_chunk: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
        settings: GenerationSettings | None = None,
    ) -> AskResult:
        question = question.strip()
        if not question:
            raise UsageError("The question is empty.")
        started = time.perf_counter()
        attributes = self.profile.attributes() if personalize else {}
        items = self.retriever.search(question, budget=self.retrieval_budget) if personalize else []
        retrieval_ms = (time.perf_counter() - started) * 1000
        prompt = self.builder.build(question, attributes, items, personalize=personalize)

        chunks: list[str] = []
        ttft_ms: float | None = None
        for chunk in self.engine.stream(prompt.messages, settings, cancel):
            if ttft_ms is None:
                ttft_ms = (time.perf_counter() - started) * 1000
            chunks.append(chunk)
            if on_chunk is not None:
                on_chunk(chunk)
        total_ms = (time.perf_counter() - started) * 1000
        cancelled = cancel is not None and cancel.is_set()
        answer = "".join(chunks).strip()

        if not personalize:
            note: str | None = NOT_PERSONALIZED_NOTE
        elif not prompt.personalized:
            empty = not attributes and self.profile.memory_count() == 0
            note = NO_PROFILE_NOTE if empty else NOTHING_RELEVANT_NOTE
        else:
            note = None

        interaction_id = self.profile.record_interaction(
            Interaction(
                question=question,
                answer=answer,
                personalized=prompt.personalized,
                model=self.engine.model_name,
                prompt_tokens=prompt.prompt_tokens,
                tokens=len(chunks),
                ttft_ms=ttft_ms,
                total_ms=total_ms,
                cancelled=cancelled,
                items=[UsedItem(i.id, i.score, i.why) for i in prompt.items],
            )
        )
        return AskResult(
            question=question,
            answer=answer,
            items=prompt.items,
            messages=prompt.messages,
            personalized=prompt.personalized,
            note=note,
            model=self.engine.model_name,
            prompt_tokens=prompt.prompt_tokens,
            tokens=len(chunks),
            ttft_ms=ttft_ms,
            total_ms=total_ms,
            retrieval_ms=retrieval_ms,
            cancelled=cancelled,
            interaction_id=interaction_id,
            dropped=prompt.dropped,
        )
