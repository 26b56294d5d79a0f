"""Counting an item's tokens with the chat model's own tokenizer.

The retriever fills a token budget, not a fixed number of items. Loading the GGUF file with
``vocab_only=True`` reads the tokenizer without the weights: quick, and no context is allocated.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

#: Counts the tokens an item's text costs in the prompt.
TokenCounter = Callable[[str], int]
#: The prompt shows each item as its own line: ``"- " + text + "\n"``.
ITEM_OVERHEAD_TOKENS = 2


def approximate_tokens(text: str) -> int:
    """Roughly four characters a token; for tests and when no model is at hand."""
    return max(1, len(text) // 4) + ITEM_OVERHEAD_TOKENS


class VocabTokenCounter:
    """Counts tokens with the chat model's vocabulary only, loaded on first use."""

    def __init__(self, model_path: Path | Callable[[], Path] | None = None) -> None:
        # A callable defers finding the model file (and its errors) to the first count.
        self._model_path = model_path
        self._vocab: Any = None
        self._lock = threading.Lock()
        self.count = lru_cache(maxsize=65536)(self._count)

    def _load(self) -> Any:
        with self._lock:
            if self._vocab is None:
                from lampdesk.inference.models import embedded_model_path, load_vocabulary

                where = self._model_path
                path = where() if callable(where) else where or embedded_model_path()
                self._vocab = load_vocabulary(path)
            return self._vocab

    def reset(self) -> None:
        """The chat model changed: count with its vocabulary from the next count on."""
        with self._lock:
            vocab, self._vocab = self._vocab, None
            self.count.cache_clear()
        if vocab is not None:
            vocab.close()

    def _count(self, text: str) -> int:
        tokens = self._load().tokenize(text.encode("utf-8"), add_bos=False, special=False)
        return len(tokens) + ITEM_OVERHEAD_TOKENS

    def __call__(self, text: str) -> int:
        return int(self.count(text))
