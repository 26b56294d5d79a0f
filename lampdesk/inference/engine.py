"""The inference engine: one owner thread for a lazily loaded ``llama_cpp.Llama``.

Every call that touches the model's context (evaluating a prompt, generating, saving or restoring
its state) runs on the owner thread; callers get a stream of text chunks back and can cancel it
between tokens. llama.cpp keeps the evaluated tokens between calls, so a prompt that shares a
prefix with the previous one only evaluates the rest (the prompt builder orders segments from
most to least stable for this).

:class:`Engine` is the facade the rest of LampDesk uses; the work is done by the modules beside
it, each on the loaded model: :mod:`~lampdesk.inference.owner` (the thread),
:mod:`~lampdesk.inference.generation` (streamed answers), :mod:`~lampdesk.inference.scoring`
(choices), :mod:`~lampdesk.inference.structured` (JSON by schema) and
:mod:`~lampdesk.inference.state` (the cached tokens and saved prefix states).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from lampdesk.errors import ModelError
from lampdesk.inference import generation, scoring, state, structured
from lampdesk.inference.chat import Message, chat_formatter
from lampdesk.inference.generation import GenerationSettings, LogitsProcessor, StreamStats
from lampdesk.inference.models import DEFAULT_CONTEXT, embedded_model_path, open_llama
from lampdesk.inference.owner import OwnerThread
from lampdesk.inference.state import PrefixState

__all__ = [
    "Engine",
    "GenerationSettings",
    "Message",
    "PrefixState",
    "StreamStats",
    "chat_formatter",
]


class Engine:
    """A GGUF model through llama.cpp, loaded on first use, every call on its owner thread."""

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        n_ctx: int = DEFAULT_CONTEXT,
        n_threads: int | None = None,
        fallback: bool = False,
    ) -> None:
        self._model_path = model_path
        self._fallback = fallback
        #: Why the chosen model was not used and the embedded one answered instead.
        self.fallback_reason: str | None = None
        self.n_ctx = n_ctx
        self.n_threads = n_threads or os.cpu_count() or 1
        self._llama: Any = None
        self._formatter: Any = None
        self._owner = OwnerThread("llama-owner")

    # -- model -------------------------------------------------------------------------------

    @property
    def model_path(self) -> Path:
        return self._model_path or embedded_model_path()

    @property
    def model_name(self) -> str:
        return self.model_path.name

    @property
    def loaded(self) -> bool:
        return self._llama is not None

    def load(self) -> None:
        """Load the model (on the owner thread) if it is not loaded yet."""
        self._owner.call(self._load)

    def load_in_background(self) -> None:
        """Start loading now, on the owner thread, while the caller does other work (such
        as importing the embedder); a failure shows on the next use."""
        if not self.loaded:
            self._owner.submit(self._load)

    def _load(self) -> Any:
        """The loaded model (loading it first if needed); only on the owner thread."""
        try:
            return self._load_chosen()
        except ModelError as exc:
            if not self._fallback or self._model_path is None:
                raise
            self.fallback_reason = f"{exc} The embedded model answered instead."
            self._model_path = None
            return self._load_chosen()

    def _load_chosen(self) -> Any:
        if self._llama is None:
            llama = open_llama(self.model_path, self.n_ctx, self.n_threads)
            self._formatter = chat_formatter(llama)
            self._llama = llama
        return self._llama

    def switch(self, model_path: Path | None, *, n_ctx: int, n_threads: int | None) -> None:
        """Answer with *model_path* (``None``: the embedded model), loaded with *n_ctx* and
        *n_threads*, from the next question on; no restart.

        The new model is loaded first, on the owner thread (so between two questions, never
        during one); only once it loaded is the old one closed. A missing or broken file raises
        :class:`ModelError` and the old model keeps answering as before."""

        def work() -> None:
            threads = n_threads or os.cpu_count() or 1
            llama = open_llama(model_path or embedded_model_path(), n_ctx, threads)
            formatter = chat_formatter(llama)
            old, self._llama, self._formatter = self._llama, llama, formatter
            self._model_path, self.n_ctx, self.n_threads = model_path, n_ctx, threads
            self.fallback_reason = None
            if old is not None:
                old.close()

        self._owner.call(work)

    def close(self) -> None:
        """Free the model and stop the owner thread; the next use loads it again."""
        if not self._owner.alive:
            return

        def unload() -> None:
            if self._llama is not None:
                self._llama.close()
                self._llama = None

        self._owner.call(unload)
        self._owner.stop()

    # -- prompts and tokens ------------------------------------------------------------------

    def render(self, messages: Sequence[Message]) -> str:
        """The exact prompt text the model sees for *messages* (its own chat template)."""
        self.load()
        return str(self._formatter(messages=list(messages)).prompt)

    def tokenize(self, text: str) -> list[int]:
        self.load()
        return list(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return len(self.tokenize(self.render(messages)))

    def token_pieces(self) -> list[bytes]:
        """The text of every token of the vocabulary, by id (special tokens: empty)."""

        def work() -> list[bytes]:
            llama = self._load()
            return [
                bytes(llama.detokenize([i], special=False)) for i in range(int(llama.n_vocab()))
            ]

        return self._owner.call(work)

    # -- answers -----------------------------------------------------------------------------

    def stream(
        self,
        messages: Sequence[Message],
        settings: GenerationSettings | None = None,
        cancel: threading.Event | None = None,
        stats: StreamStats | None = None,
        *,
        logits_processor: LogitsProcessor | None = None,
    ) -> Iterator[str]:
        """Yield the answer's text chunks; stop within one token once *cancel* is set.

        *logits_processor* (llama-cpp-python's public hook) sees each step's logits before
        sampling and may change them (see lampdesk/constraints/decoding.py)."""
        chosen = settings or GenerationSettings()
        filled = stats if stats is not None else StreamStats()
        stop = cancel or threading.Event()
        tokens = self.tokenize(self.render(messages))

        def produce(emit: Callable[[str], None]) -> None:
            llama = self._load()
            generation.generate(llama, tokens, chosen, stop, filled, emit, logits_processor)

        yield from generation.stream(self._owner, produce, stop)

    def complete_json(
        self,
        messages: Sequence[Message],
        schema: Mapping[str, Any],
        *,
        max_tokens: int = 768,
        cancel: threading.Event | None = None,
    ) -> str | None:
        """The model's answer to *messages* as JSON that matches *schema*, or ``None`` when
        cancelled or cut by *max_tokens*.

        A llama.cpp grammar built from *schema* constrains every sampled token, so the output
        cannot be malformed; decoding is greedy. The context's cached state (the chat's prefix)
        is put back afterwards, so the next answer does not pay for this detour.
        """
        stop = cancel or threading.Event()
        tokens = self.tokenize(self.render(messages))
        return self._owner.call(
            lambda: structured.complete_json(
                self._load(), tokens, schema, max_tokens=max_tokens, cancel=stop
            )
        )

    def choose(
        self,
        messages: Sequence[Message],
        choices: Sequence[str],
        *,
        baseline: Sequence[Message] | None = None,
        per_token: bool = False,
        cancel: threading.Event | None = None,
    ) -> list[float]:
        """How strongly the model answers *messages* with each of *choices* (as the whole
        answer, end of turn included): the log-probability of each, minus its log-probability
        after *baseline* when given (a prompt without the question, so a choice that is likely
        whatever was asked does not win), or with *per_token* its mean per token (so a longer
        choice is not penalised for its length). Higher is better; ``[]`` when cancelled."""
        stop = cancel or threading.Event()
        prompt = self.tokenize(self.render(messages))
        base = self.tokenize(self.render(baseline)) if baseline is not None else None

        def work() -> list[float]:
            llama = self._load()
            return scoring.choice_scores(
                llama,
                prompt,
                choices,
                n_ctx=self.n_ctx,
                baseline=base,
                per_token=per_token,
                cancel=stop,
            )

        return self._owner.call(work)

    # -- prefix state (so the first question after a restart is fast too) --------------------

    def snapshot(self) -> PrefixState:
        """The context's evaluated state as it is now (every cached token), without changing
        it: restored in a later process, any prompt that shares a prefix with these tokens
        starts from there."""

        def work() -> PrefixState:
            llama = self._load()
            return state.snapshot(llama, self.model_name)

        return self._owner.call(work)

    def restore_prefix(self, prefix: PrefixState) -> bool:
        """Load a saved state into the context; ``False`` if it does not fit this model."""

        def work() -> bool:
            llama = self._load()
            return state.restore(llama, prefix, model=self.model_name, n_ctx=self.n_ctx)

        return self._owner.call(work)

    def cached_tokens(self) -> int:
        return int(self._owner.call(lambda: self._load().n_tokens))
