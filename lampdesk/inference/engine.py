"""The inference engine: a lazily loaded ``llama_cpp.Llama`` that streams text chunks.

Generation is serialised by a lock (one ``Llama`` object, one generation at a time) and can be
cancelled between tokens through a :class:`threading.Event`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lampdesk.errors import ModelError
from lampdesk.inference.models import check_gguf, embedded_model_path

Message = dict[str, str]
#: Tokens the chat template adds around each message (``<|im_start|>role\n ... <|im_end|>\n``).
TEMPLATE_TOKENS_PER_MESSAGE = 5


@dataclass(frozen=True)
class GenerationSettings:
    max_tokens: int = 256
    temperature: float = 0.3
    top_p: float = 0.9
    repeat_penalty: float = 1.1
    seed: int = 42


class Engine:
    def __init__(
        self,
        model_path: Path | None = None,
        *,
        n_ctx: int = 2048,
        n_threads: int | None = None,
    ) -> None:
        self._model_path = model_path
        self.n_ctx = n_ctx
        self.n_threads = n_threads or os.cpu_count() or 1
        self._llama: Any = None
        self._load_lock = threading.Lock()
        self._generate_lock = threading.Lock()

    @property
    def model_path(self) -> Path:
        return self._model_path or embedded_model_path()

    @property
    def model_name(self) -> str:
        return self.model_path.name

    @property
    def loaded(self) -> bool:
        return self._llama is not None

    def load(self) -> Any:
        with self._load_lock:
            if self._llama is None:
                path = check_gguf(self.model_path)
                from llama_cpp import Llama

                try:
                    self._llama = Llama(
                        model_path=str(path),
                        n_ctx=self.n_ctx,
                        n_threads=self.n_threads,
                        n_threads_batch=self.n_threads,
                        verbose=False,
                    )
                except (ValueError, RuntimeError) as exc:
                    raise ModelError(f"llama.cpp could not load {path.name}: {exc}") from exc
            return self._llama

    def close(self) -> None:
        """Free the model's memory; it is loaded again on the next use."""
        with self._load_lock, self._generate_lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None

    def count_tokens(self, messages: Sequence[Message]) -> int:
        llama = self.load()
        total = 1
        for message in messages:
            tokens = llama.tokenize(message["content"].encode("utf-8"), add_bos=False)
            total += len(tokens) + TEMPLATE_TOKENS_PER_MESSAGE
        return total

    def stream(
        self,
        messages: Sequence[Message],
        settings: GenerationSettings | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        """Yield the answer's text chunks; stop early, cleanly, once *cancel* is set."""
        settings = settings or GenerationSettings()
        llama = self.load()
        with self._generate_lock:
            chunks = llama.create_chat_completion(
                messages=list(messages),
                stream=True,
                max_tokens=settings.max_tokens,
                temperature=settings.temperature,
                top_p=settings.top_p,
                repeat_penalty=settings.repeat_penalty,
                seed=settings.seed,
            )
            try:
                for chunk in chunks:
                    if cancel is not None and cancel.is_set():
                        break
                    text = chunk["choices"][0]["delta"].get("content")
                    if text:
                        yield text
            finally:
                chunks.close()
