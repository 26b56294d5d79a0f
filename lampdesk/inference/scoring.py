"""Choice scoring: how strongly the model answers a prompt with each of a few given texts.

Each choice is scored by its log-probability after the prompt, read from the logits rather than
sampled. The prompt is evaluated once (reusing the context's cached prefix); each choice is then
decoded in one batch with the logits of all its positions, which llama-cpp-python's public API
does not offer: this goes through ``Llama._ctx`` and ``Llama._batch`` (private, pinned and checked
by tests/integration/test_llama_contract.py). Runs on the owner thread with a loaded ``Llama``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from lampdesk.errors import PromptTooLongError
from lampdesk.inference.state import reused_tokens


def choice_scores(
    llama: Any,
    prompt: list[int],
    choices: Sequence[str],
    *,
    n_ctx: int,
    baseline: list[int] | None = None,
    per_token: bool = False,
    cancel: threading.Event,
) -> list[float]:
    """The log-probability of each of *choices* as the whole answer to *prompt* (end of turn
    included), minus its log-probability after *baseline* when given, or with *per_token* its
    mean per token. ``[]`` when cancelled."""
    end = int(llama.token_eos())
    conts = [
        [*llama.tokenize(c.encode("utf-8"), add_bos=False, special=False), end] for c in choices
    ]
    scores = logprobs(llama, prompt, conts, n_ctx=n_ctx, cancel=cancel)
    if baseline is not None and scores:
        prior = logprobs(llama, baseline, conts, n_ctx=n_ctx, cancel=cancel)
        scores = [a - b for a, b in zip(scores, prior, strict=True)] if prior else []
    if per_token:
        scores = [score / len(cont) for score, cont in zip(scores, conts, strict=True)]
    return scores


def logprobs(
    llama: Any,
    prompt: list[int],
    conts: list[list[int]],
    *,
    n_ctx: int,
    cancel: threading.Event,
) -> list[float]:
    """Sum of log-probabilities of each continuation (token ids) after *prompt*; ``[]`` when
    cancelled. The context holds *prompt* afterwards, and nothing after it."""
    if len(prompt) + max(len(c) for c in conts) >= n_ctx:
        raise PromptTooLongError("The prompt and its choices do not fit the context.")
    common = min(reused_tokens(llama, prompt), len(prompt) - 1)
    llama.n_tokens = common
    llama.eval(prompt[common:])
    first = log_softmax(_last_logits(llama))
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
            rows = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(len(cont) - 1, n_vocab))
            logp = log_softmax(rows)
            total += float(logp[np.arange(len(cont) - 1), cont[1:]].sum())
        results.append(total)
    llama._ctx.kv_cache_seq_rm(-1, len(prompt), -1)
    llama.n_tokens = len(prompt)
    return results


def log_softmax(logits: Any) -> Any:
    """Along the last axis (one row of logits, or one per position)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _last_logits(llama: Any) -> Any:
    """The logits after the last evaluated token (a copy: the next decode overwrites them)."""
    n_vocab = int(llama.n_vocab())
    return np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(n_vocab,)).copy()
