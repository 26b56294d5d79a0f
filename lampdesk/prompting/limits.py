"""What the limits did to a question and its answer, said in words a user can act on.

A prompt that had to be cut to fit the model's context, or an answer stopped by the answer
length limit, is never silent: these notes go with the answer (CLI, window, API).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: ``stopped_by`` of an answer that reached its length limit (llama.cpp's finish reason).
STOPPED_BY_LENGTH = "length"


def cut_notes(dropped: Sequence[Mapping[str, Any]], max_prompt_tokens: int) -> list[str]:
    """One note per kind of cut in *dropped* (the prompt builder's record)."""
    notes: list[str] = []
    for entry in dropped:
        if entry.get("what") == "question":
            kept, total = int(entry["kept_chars"]), int(entry["of_chars"])
            notes.append(
                f"Your question is {total:,} characters long; only about {kept:,} fit in the "
                f"model's context ({max_prompt_tokens:,} tokens for the prompt), so its middle "
                "was left out. Shorten it or ask in parts."
            )
    turns = sum(1 for entry in dropped if entry.get("what") == "turn")
    if turns:
        notes.append(
            f"The {turns} oldest exchange{'s' if turns > 1 else ''} of this conversation "
            f"{'were' if turns > 1 else 'was'} left out of the prompt to fit the model's context."
        )
    return notes


def length_note(stopped_by: str, max_tokens: int) -> str | None:
    """The note for an answer the length limit stopped (``None`` otherwise)."""
    if stopped_by != STOPPED_BY_LENGTH:
        return None
    return (
        f"The answer reached the length limit ({max_tokens} tokens) and was stopped. Continue "
        "it, or raise the answer length (Settings, or 'lampdesk settings set max_tokens=N')."
    )
