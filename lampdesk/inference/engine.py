"""The inference engine: one owner thread for a lazily loaded ``llama_cpp.Llama``.

Every call that touches the model's context (evaluating a prompt, generating, saving or restoring
its state) runs on the owner thread; callers get a stream of text chunks back and can cancel it
between tokens. llama.cpp keeps the evaluated tokens between calls, so a prompt that shares a
prefix with the previous one only evaluates the rest (the prompt builder orders segments from
most to least stable for this).
"""

from __future__ import annotations

import ctypes
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from lampdesk.errors import ModelError, PromptTooLongError, UsageError
from lampdesk.inference.models import DEFAULT_CONTEXT, check_gguf, embedded_model_path, new_llama

Message = dict[str, str]
T = TypeVar("T")
_END = object()


@dataclass(frozen=True)
class GenerationSettings:
    max_tokens: int = 256
    temperature: float = 0.3
    top_p: float = 0.9
    repeat_penalty: float = 1.1
    seed: int = 42

    #: Allowed range of each setting a user may change.
    LIMITS: ClassVar[dict[str, tuple[float, float]]] = {
        "max_tokens": (1, 4096),
        "temperature": (0.0, 2.0),
        "top_p": (0.0, 1.0),
        "repeat_penalty": (0.5, 2.0),
        "seed": (0, 2**31 - 1),
    }

    def updated(self, values: Mapping[str, str]) -> GenerationSettings:
        """A copy with *values* (text, as typed or stored) applied; bad ones are named."""
        changes: dict[str, Any] = {}
        for key, text in values.items():
            if key not in self.LIMITS:
                known = ", ".join(self.LIMITS)
                raise UsageError(f"Unknown generation setting {key!r}; known: {known}.")
            kind = int if key in ("max_tokens", "seed") else float
            try:
                value = kind(text)
            except ValueError:
                raise UsageError(f"{key} must be a number, not {text!r}.") from None
            low, high = self.LIMITS[key]
            if not low <= value <= high:
                raise UsageError(f"{key} must be between {low:g} and {high:g}.")
            changes[key] = value
        return replace(self, **changes)


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


@dataclass(frozen=True)
class PrefixState:
    """llama.cpp's evaluated state for a prompt prefix: user text in another form; keep it
    encrypted (the profile store) or nowhere."""

    model: str
    tokens: tuple[int, ...]
    state: bytes


class Engine:
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
        self._jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        self._owner: threading.Thread | None = None
        self._owner_lock = threading.Lock()

    # -- the owner thread --------------------------------------------------------------------

    def _run_owner(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            work, future = job
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(work())
                except BaseException as exc:
                    future.set_exception(exc)

    def _submit(self, work: Callable[[], T]) -> Future[T]:
        with self._owner_lock:
            if self._owner is None or not self._owner.is_alive():
                self._owner = threading.Thread(
                    target=self._run_owner, name="llama-owner", daemon=True
                )
                self._owner.start()
        future: Future[T] = Future()
        self._jobs.put((work, future))
        return future

    def _call(self, work: Callable[[], T]) -> T:
        if threading.current_thread() is self._owner:
            return work()
        return self._submit(work).result()

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
        self._call(self._load)

    def load_in_background(self) -> None:
        """Start loading now, on the owner thread, while the caller does other work (such
        as importing the embedder); a failure shows on the next use."""
        if not self.loaded:
            self._submit(self._load)

    def _load(self) -> Any:
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
            llama = _open_llama(self.model_path, self.n_ctx, self.n_threads)
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
            llama = _open_llama(model_path or embedded_model_path(), n_ctx, threads)
            formatter = chat_formatter(llama)
            old, self._llama, self._formatter = self._llama, llama, formatter
            self._model_path, self.n_ctx, self.n_threads = model_path, n_ctx, threads
            self.fallback_reason = None
            if old is not None:
                old.close()

        self._call(work)

    def close(self) -> None:
        """Free the model and stop the owner thread; the next use loads it again."""
        owner = self._owner
        if owner is None or not owner.is_alive():
            return

        def unload() -> None:
            if self._llama is not None:
                self._llama.close()
                self._llama = None

        self._call(unload)
        self._jobs.put(None)
        owner.join()
        self._owner = None

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

        return self._call(work)

    # -- generation --------------------------------------------------------------------------

    def stream(
        self,
        messages: Sequence[Message],
        settings: GenerationSettings | None = None,
        cancel: threading.Event | None = None,
        stats: StreamStats | None = None,
        *,
        logits_processor: Callable[[Any, Any], Any] | None = None,
    ) -> Iterator[str]:
        """Yield the answer's text chunks; stop within one token once *cancel* is set.

        *logits_processor* (llama-cpp-python's public hook) sees each step's logits before
        sampling and may change them (see lampdesk/constraints/decoding.py)."""
        settings = settings or GenerationSettings()
        stats = stats if stats is not None else StreamStats()
        cancel = cancel or threading.Event()
        tokens = self.tokenize(self.render(messages))
        out: queue.Queue[object] = queue.Queue()
        job = self._submit(
            lambda: self._generate(tokens, settings, cancel, stats, out.put, logits_processor)
        )
        try:
            while True:
                item = out.get()
                if item is _END:
                    break
                yield str(item)
        finally:
            cancel.set()  # the consumer stopped early: stop the owner too
            job.result()  # re-raise what went wrong on the owner thread

    def _generate(
        self,
        tokens: list[int],
        settings: GenerationSettings,
        cancel: threading.Event,
        stats: StreamStats,
        emit: Callable[[object], None],
        logits_processor: Callable[[Any, Any], Any] | None = None,
    ) -> None:
        try:
            llama = self._load()
            processors = None
            if logits_processor is not None:
                from llama_cpp import LogitsProcessorList

                processors = LogitsProcessorList([logits_processor])
            stats.prompt_tokens = len(tokens)
            stats.reused_tokens = _common_prefix(llama.input_ids[: llama.n_tokens], tokens)
            started = time.perf_counter()
            chunks = llama.create_completion(
                tokens,
                stream=True,
                max_tokens=settings.max_tokens,
                temperature=settings.temperature,
                top_p=settings.top_p,
                repeat_penalty=settings.repeat_penalty,
                seed=settings.seed,
                stop=self._formatter_stop(),
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
        finally:
            emit(_END)

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
        cancel = cancel or threading.Event()
        tokens = self.tokenize(self.render(messages))

        def work() -> str | None:
            from llama_cpp.llama_grammar import LlamaGrammar

            llama = self._load()
            grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
            saved = llama.save_state()
            parts: list[str] = []
            finish = ""
            try:
                chunks = llama.create_completion(
                    tokens,
                    stream=True,
                    max_tokens=max_tokens,
                    temperature=0.0,
                    grammar=grammar,
                    stop=self._formatter_stop(),
                )
                try:
                    for chunk in chunks:
                        if cancel.is_set():
                            return None
                        choice = chunk["choices"][0]
                        parts.append(choice["text"])
                        finish = choice.get("finish_reason") or finish
                finally:
                    chunks.close()
            finally:
                llama.load_state(saved)
            return None if finish == "length" else "".join(parts)

        return self._call(work)

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
        cancel = cancel or threading.Event()
        prompt = self.tokenize(self.render(messages))
        base = self.tokenize(self.render(baseline)) if baseline is not None else None

        def work() -> list[float]:
            llama = self._load()
            end = int(llama.token_eos())
            conts = [
                [*self._llama.tokenize(c.encode("utf-8"), add_bos=False, special=False), end]
                for c in choices
            ]
            scores = self._logprobs(llama, prompt, conts, cancel)
            if base is not None and scores:
                prior = self._logprobs(llama, base, conts, cancel)
                scores = [a - b for a, b in zip(scores, prior, strict=True)] if prior else []
            if per_token:
                scores = [score / len(cont) for score, cont in zip(scores, conts, strict=True)]
            return scores

        return self._call(work)

    def _logprobs(
        self, llama: Any, prompt: list[int], conts: list[list[int]], cancel: threading.Event
    ) -> list[float]:
        """Sum of log-probabilities of each continuation after *prompt*, one token at a time
        (the context keeps only the last token's logits), reusing the cached prefix."""
        if len(prompt) + max(len(c) for c in conts) >= self.n_ctx:
            raise PromptTooLongError("The prompt and its choices do not fit the context.")
        common = min(_common_prefix(llama.input_ids[: llama.n_tokens], prompt), len(prompt) - 1)
        llama.n_tokens = common
        llama.eval(prompt[common:])
        first = _log_softmax(self._last_logits(llama))
        n_vocab = int(llama.n_vocab())
        results = []
        for cont in conts:
            if cancel.is_set():
                return []
            total = float(first[cont[0]])
            if len(cont) > 1:
                # All but the last token in one decode, with the logits of every position.
                llama._ctx.kv_cache_seq_rm(-1, len(prompt), -1)
                llama._batch.set_batch(batch=cont[:-1], n_past=len(prompt), logits_all=True)
                llama._ctx.decode(llama._batch)
                rows = np.ctypeslib.as_array(
                    llama._ctx.get_logits(), shape=(len(cont) - 1, n_vocab)
                )
                logp = _log_softmax(rows)
                total += float(logp[np.arange(len(cont) - 1), cont[1:]].sum())
            results.append(total)
        llama._ctx.kv_cache_seq_rm(-1, len(prompt), -1)
        llama.n_tokens = len(prompt)
        return results

    def _last_logits(self, llama: Any) -> Any:
        n_vocab = int(llama.n_vocab())
        return np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(n_vocab,)).copy()

    def _formatter_stop(self) -> list[str]:
        eos = self._llama.token_eos()
        return [self._llama.detokenize([eos], special=True).decode("utf-8", "ignore")]

    # -- prefix state (so the first question after a restart is fast too) --------------------

    def snapshot(self) -> PrefixState:
        """The context's evaluated state as it is now (every cached token), without changing
        it: restored in a later process, any prompt that shares a prefix with these tokens
        starts from there."""

        def work() -> PrefixState:
            llama = self._load()
            from llama_cpp import llama_cpp as lib

            size = lib.llama_state_get_size(llama._ctx.ctx)
            buffer = (ctypes.c_uint8 * int(size))()
            used = lib.llama_state_get_data(llama._ctx.ctx, buffer, size)
            tokens = tuple(int(t) for t in llama.input_ids[: llama.n_tokens])
            return PrefixState(self.model_name, tokens, bytes(buffer)[: int(used)])

        return self._call(work)

    def restore_prefix(self, prefix: PrefixState) -> bool:
        """Load a saved state into the context; ``False`` if it does not fit this model."""

        def work() -> bool:
            llama = self._load()
            if prefix.model != self.model_name or len(prefix.tokens) >= self.n_ctx:
                return False
            from llama_cpp import llama_cpp as lib

            buffer = (ctypes.c_uint8 * len(prefix.state)).from_buffer_copy(prefix.state)
            if lib.llama_state_set_data(llama._ctx.ctx, buffer, len(prefix.state)) != len(
                prefix.state
            ):
                llama.reset()
                return False
            llama.input_ids[: len(prefix.tokens)] = np.asarray(prefix.tokens, dtype=np.intc)
            llama.n_tokens = len(prefix.tokens)
            llama._requires_eval = True
            return True

        return self._call(work)

    def cached_tokens(self) -> int:
        return int(self._call(lambda: self._load().n_tokens))


def _log_softmax(logits: Any) -> Any:
    """Along the last axis (one row of logits, or one per position)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _common_prefix(a: Sequence[int] | Any, b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if int(x) != int(y):
            break
        n += 1
    return n


def chat_formatter(llama: Any) -> Any:
    """The model's own chat template as a llama-cpp-python formatter."""
    from llama_cpp import llama_chat_format

    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        # No template in the file: ChatML is the most common convention.
        template = (
            "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
            "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
        )
    eos = llama.detokenize([llama.token_eos()], special=True).decode("utf-8", "ignore")
    bos = llama.detokenize([llama.token_bos()], special=True).decode("utf-8", "ignore")
    return llama_chat_format.Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)


def _open_llama(model_path: Path, n_ctx: int, n_threads: int) -> Any:
    """A checked GGUF loaded by llama.cpp; a file it cannot load is a :class:`ModelError`."""
    path = check_gguf(model_path)
    try:
        return new_llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_threads_batch=n_threads,
            verbose=False,
        )
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"llama.cpp could not load {path.name}: {exc}") from exc
