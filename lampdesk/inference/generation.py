"""Sampling an answer: its settings, its statistics, and the stream of text chunks.

:func:`generate` runs on the owner thread and hands each chunk to a callback; :func:`stream`
turns that into an iterator on the caller's thread, which stops the generation within one token
once the caller cancels or stops reading.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar

from lampdesk.errors import UsageError
from lampdesk.inference.chat import end_of_turn
from lampdesk.inference.owner import OwnerThread
from lampdesk.inference.state import reused_tokens

#: Put on the chunk queue after the last chunk (or after a failure).
_END = object()
LogitsProcessor = Callable[[Any, Any], Any]


def _setting(default: float, low: float, high: float) -> Any:
    """A setting a user may change: its default and its allowed range (of the default's type)."""
    return field(default=default, metadata={"range": (low, high)})


@dataclass(frozen=True)
class GenerationSettings:
    max_tokens: int = _setting(256, 1, 4096)
    temperature: float = _setting(0.3, 0.0, 2.0)
    top_p: float = _setting(0.9, 0.0, 1.0)
    repeat_penalty: float = _setting(1.1, 0.5, 2.0)
    seed: int = _setting(42, 0, 2**31 - 1)

    #: Allowed range of each setting a user may change (from the fields, set below the class).
    LIMITS: ClassVar[dict[str, tuple[float, float]]]
    #: The type each setting's text is read as.
    _KINDS: ClassVar[dict[str, type]]

    def updated(self, values: Mapping[str, str]) -> GenerationSettings:
        """A copy with *values* (text, as typed or stored) applied; bad ones are named."""
        changes: dict[str, Any] = {}
        for key, text in values.items():
            if key not in self.LIMITS:
                known = ", ".join(self.LIMITS)
                raise UsageError(f"Unknown generation setting {key!r}; known: {known}.")
            try:
                value = self._KINDS[key](text)
            except ValueError:
                raise UsageError(f"{key} must be a number, not {text!r}.") from None
            low, high = self.LIMITS[key]
            if not low <= value <= high:
                raise UsageError(f"{key} must be between {low:g} and {high:g}.")
            changes[key] = value
        return replace(self, **changes)


GenerationSettings.LIMITS = {f.name: f.metadata["range"] for f in fields(GenerationSettings)}
GenerationSettings._KINDS = {f.name: type(f.default) for f in fields(GenerationSettings)}


@dataclass
class StreamStats:
    """Filled in by :meth:`Engine.stream` as it runs."""

    prompt_tokens: int = 0
    reused_tokens: int = 0
    tokens: int = 0
    first_token_s: float | None = None
    generation_s: float = 0.0
    stopped_by: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tokens_per_s(self) -> float:
        after_first = self.tokens - 1
        first = self.first_token_s or 0.0
        span = self.generation_s - first
        return after_first / span if after_first > 0 and span > 0 else 0.0


def stream(
    owner: OwnerThread,
    produce: Callable[[Callable[[str], None]], None],
    cancel: threading.Event,
) -> Iterator[str]:
    """Yield what *produce* emits as it runs on *owner*; once the consumer stops early, set
    *cancel* (so *produce* stops too) and re-raise what went wrong on the owner thread."""
    out: queue.Queue[object] = queue.Queue()

    def work() -> None:
        try:
            produce(out.put)
        finally:
            out.put(_END)

    job = owner.submit(work)
    try:
        while True:
            item = out.get()
            if item is _END:
                break
            yield str(item)
    finally:
        cancel.set()  # the consumer stopped early: stop the owner too
        job.result()  # re-raise what went wrong on the owner thread


def generate(
    llama: Any,
    tokens: Sequence[int],
    settings: GenerationSettings,
    cancel: threading.Event,
    stats: StreamStats,
    emit: Callable[[str], None],
    logits_processor: LogitsProcessor | None = None,
) -> None:
    """Sample an answer to the prompt *tokens*, handing each chunk of text to *emit*, until
    the end of the turn, ``settings.max_tokens`` or *cancel* (checked between tokens)."""
    processors = None
    if logits_processor is not None:
        from llama_cpp import LogitsProcessorList

        processors = LogitsProcessorList([logits_processor])
    stats.prompt_tokens = len(tokens)
    stats.reused_tokens = reused_tokens(llama, tokens)
    started = time.perf_counter()
    chunks = llama.create_completion(
        list(tokens),
        stream=True,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        top_p=settings.top_p,
        repeat_penalty=settings.repeat_penalty,
        seed=settings.seed,
        stop=end_of_turn(llama),
        logits_processor=processors,
    )
    try:
        for chunk in chunks:
            if cancel.is_set():
                stats.stopped_by = "cancel"
                break
            choice = chunk["choices"][0]
            if choice.get("finish_reason"):
                stats.stopped_by = choice["finish_reason"]
                if not choice["text"]:
                    continue  # the closing chunk carries no new token
            if stats.first_token_s is None:
                stats.first_token_s = time.perf_counter() - started
            stats.tokens += 1
            if choice["text"]:
                emit(choice["text"])
    finally:
        chunks.close()
    stats.generation_s = time.perf_counter() - started
