"""The context's evaluated state: which tokens it holds, and saving or restoring it whole.

A prompt that shares a prefix with the cached tokens only evaluates the rest; a saved state
(:class:`PrefixState`) restored in a later process makes the first question after a restart fast
too. These functions take a loaded ``llama_cpp.Llama`` and must run on its owner thread.

Saving and restoring go through llama.cpp's state functions on ``Llama._ctx.ctx`` and set
``Llama._requires_eval``: private members, pinned and checked by
tests/integration/test_llama_contract.py.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class PrefixState:
    """llama.cpp's evaluated state for a prompt prefix: user text in another form; keep it
    encrypted (the profile store) or nowhere."""

    model: str
    tokens: tuple[int, ...]
    state: bytes


def reused_tokens(llama: Any, tokens: Sequence[int]) -> int:
    """How many leading *tokens* the context holds already (evaluated by an earlier call)."""
    n = 0
    for cached, token in zip(llama.input_ids[: llama.n_tokens], tokens, strict=False):
        if int(cached) != int(token):
            break
        n += 1
    return n


def snapshot(llama: Any, model: str) -> PrefixState:
    """The context's state as it is now (every cached token), without changing it."""
    from llama_cpp import llama_cpp as lib

    size = lib.llama_state_get_size(llama._ctx.ctx)
    buffer = (ctypes.c_uint8 * int(size))()
    used = lib.llama_state_get_data(llama._ctx.ctx, buffer, size)
    tokens = tuple(int(t) for t in llama.input_ids[: llama.n_tokens])
    return PrefixState(model, tokens, bytes(buffer)[: int(used)])


def restore(llama: Any, prefix: PrefixState, *, model: str, n_ctx: int) -> bool:
    """Load *prefix* into the context; ``False`` (and the context as it was or empty) if it
    was saved with another model, does not fit *n_ctx*, or llama.cpp refuses it."""
    if prefix.model != model or len(prefix.tokens) >= n_ctx:
        return False
    from llama_cpp import llama_cpp as lib

    size = len(prefix.state)
    buffer = (ctypes.c_uint8 * size).from_buffer_copy(prefix.state)
    if lib.llama_state_set_data(llama._ctx.ctx, buffer, size) != size:
        llama.reset()
        return False
    llama.input_ids[: len(prefix.tokens)] = np.asarray(prefix.tokens, dtype=np.intc)
    llama.n_tokens = len(prefix.tokens)
    llama._requires_eval = True
    return True
