"""Structured output: an answer that is JSON matching a schema, by construction.

A llama.cpp grammar built from the schema constrains every sampled token, so the output cannot
be malformed; decoding is greedy. Runs on the owner thread with a loaded ``llama_cpp.Llama``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from lampdesk.inference.chat import end_of_turn


def complete_json(
    llama: Any,
    tokens: Sequence[int],
    schema: Mapping[str, Any],
    *,
    max_tokens: int,
    cancel: threading.Event,
) -> str | None:
    """The completion of the prompt *tokens* as JSON that matches *schema*, or ``None`` when
    cancelled or cut by *max_tokens*. The context's cached state (the chat's prefix) is put
    back afterwards, so the next answer does not pay for this detour."""
    from llama_cpp.llama_grammar import LlamaGrammar

    grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
    saved = llama.save_state()
    parts: list[str] = []
    finish = ""
    try:
        chunks = llama.create_completion(
            list(tokens),
            stream=True,
            max_tokens=max_tokens,
            temperature=0.0,
            grammar=grammar,
            stop=end_of_turn(llama),
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
