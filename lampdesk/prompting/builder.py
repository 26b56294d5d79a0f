"""The prompt builder: profile + retrieved items + question -> the exact chat messages.

Segments go from most stable (persona, attributes) to least stable (retrieved items, the question),
so two consecutive questions share the longest possible prefix in llama.cpp's cache.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lampdesk.errors import PromptTooLongError
from lampdesk.prompting.templates import Template
from lampdesk.retrieval.retriever import RetrievedItem

Message = dict[str, str]
TokenCounter = Callable[[Sequence[Message]], int]
DEFAULT_TONE = "clear and friendly"


@dataclass
class BuiltPrompt:
    messages: list[Message]
    items: list[RetrievedItem]
    personalized: bool
    prompt_tokens: int
    dropped: list[dict[str, Any]] = field(default_factory=list)


def _approximate_tokens(messages: Sequence[Message]) -> int:
    # Roughly four characters a token, plus the chat template's per-message overhead.
    return sum(len(m["content"]) // 4 + 6 for m in messages)


class PromptBuilder:
    def __init__(
        self,
        template: Template,
        *,
        count_tokens: TokenCounter = _approximate_tokens,
        max_prompt_tokens: int = 1536,
    ) -> None:
        self.template = template
        self.count_tokens = count_tokens
        self.max_prompt_tokens = max_prompt_tokens

    def values(
        self, attributes: Mapping[str, str], items: Sequence[RetrievedItem]
    ) -> dict[str, str]:
        shown = {k: v for k, v in attributes.items() if k != "name"}
        return {
            "user_name": attributes.get("name", "the user"),
            "attributes": "\n".join(f"- {k.replace('_', ' ')}: {v}" for k, v in shown.items())
            or "- (nothing else yet)",
            "interests": attributes.get("interests", ""),
            "tone": attributes.get("tone", DEFAULT_TONE),
            "items": "\n".join(f"- {item.text}" for item in items),
        }

    def _messages(
        self, question: str, attributes: Mapping[str, str], items: Sequence[RetrievedItem]
    ) -> list[Message]:
        values = self.values(attributes, items)
        segments = [self.template.render("persona", values)]
        if attributes or items:
            segments.append(self.template.render("profile", values))
            if items:
                segments.append(self.template.render("items", values))
        else:
            segments.append(self.template.render("generic", values))
        return [
            {"role": "system", "content": "\n\n".join(s for s in segments if s)},
            {"role": "user", "content": question.strip()},
        ]

    def build(
        self,
        question: str,
        attributes: Mapping[str, str],
        items: Sequence[RetrievedItem],
        *,
        personalize: bool = True,
    ) -> BuiltPrompt:
        if not personalize:
            attributes, items = {}, []
        kept = list(items)
        dropped: list[dict[str, Any]] = []
        messages = self._messages(question, attributes, kept)
        tokens = self.count_tokens(messages)
        # The least relevant items go first when the prompt does not fit.
        while tokens > self.max_prompt_tokens and kept:
            item = kept.pop()
            dropped.append({"id": item.id, "reason": "token budget"})
            messages = self._messages(question, attributes, kept)
            tokens = self.count_tokens(messages)
        if tokens > self.max_prompt_tokens:
            raise PromptTooLongError(
                f"The question is too long for the model: the prompt needs {tokens} tokens and "
                f"at most {self.max_prompt_tokens} fit. Shorten the question."
            )
        return BuiltPrompt(messages, kept, bool(attributes or kept), tokens, dropped)
