"""The prompt builder: profile + rules + retrieved items + question -> the exact chat messages.

Segments go from most stable (persona, rules, attributes, few-shot examples) to least stable
(retrieved items, then the question, both in the last user message), so consecutive questions
share the longest possible prefix in llama.cpp's cache. The
prompt always fits its token budget: what had to be cut to fit is recorded, never silently lost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lampdesk.errors import PromptTooLongError
from lampdesk.prompting.rules import Rule
from lampdesk.prompting.templates import Template
from lampdesk.retrieval.retriever import RetrievedItem

Message = dict[str, str]
TokenCounter = Callable[[Sequence[Message]], int]
DEFAULT_TONE = "clear and friendly"
ELLIPSIS = " […] "


@dataclass
class BuiltPrompt:
    messages: list[Message]
    items: list[RetrievedItem]
    personalized: bool
    prompt_tokens: int
    #: Characters of the system message (all of it is stable: it does not depend on the question).
    stable_chars: int = 0
    rules: list[Rule] = field(default_factory=list)
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
        self,
        attributes: Mapping[str, str],
        items: Sequence[RetrievedItem],
        rules: Sequence[Rule] = (),
    ) -> dict[str, str]:
        shown = {k: v for k, v in attributes.items() if k != "name"}
        return {
            "user_name": attributes.get("name", "the user"),
            "attributes": "\n".join(f"- {k.replace('_', ' ')}: {v}" for k, v in shown.items())
            or "- (nothing else yet)",
            "interests": attributes.get("interests", ""),
            "tone": attributes.get("tone", DEFAULT_TONE),
            "rules": "\n".join(f"- {rule.text}" for rule in rules),
            # In the order they were learned, not by rank: two questions that retrieve
            # overlapping items then share a longer prompt prefix in llama.cpp's cache.
            "items": "\n".join(f"- {item.text}" for item in sorted(items, key=lambda i: i.id)),
        }

    def _messages(
        self,
        question: str,
        attributes: Mapping[str, str],
        items: Sequence[RetrievedItem],
        rules: Sequence[Rule],
    ) -> tuple[list[Message], int]:
        values = self.values(attributes, items, rules)
        stable = [self.template.render("persona", values)]
        if rules:
            stable.append(self.template.render("rules", values))
        if attributes or items:
            stable.append(self.template.render("profile", values))
        else:
            stable.append(self.template.render("generic", values))
        system = "\n\n".join(s for s in stable if s)
        messages = [{"role": "system", "content": system}]
        for user, assistant in self.template.examples:
            messages.append({"role": "user", "content": user.format_map(values)})
            messages.append({"role": "assistant", "content": assistant.format_map(values)})
        # The volatile parts come last: what was retrieved for this question, then the question.
        volatile = [self.template.render("items", values)] if items else []
        question_text = "\n\n".join([*volatile, question.strip()])
        messages.append({"role": "user", "content": question_text})
        return messages, len(system)

    def build(
        self,
        question: str,
        attributes: Mapping[str, str],
        items: Sequence[RetrievedItem],
        *,
        rules: Sequence[Rule] = (),
        personalize: bool = True,
    ) -> BuiltPrompt:
        """Messages that fit the budget; cuts items, then attributes, then the question."""
        if not personalize:
            attributes, items = {}, []
        kept_items, kept_attributes = list(items), dict(attributes)
        dropped: list[dict[str, Any]] = []

        def fits() -> tuple[list[Message], int, int, bool]:
            messages, stable = self._messages(question, kept_attributes, kept_items, rules)
            tokens = self.count_tokens(messages)
            return messages, stable, tokens, tokens <= self.max_prompt_tokens

        messages, stable, tokens, ok = fits()
        while not ok and kept_items:
            item = kept_items.pop()  # the least relevant first
            dropped.append({"what": "item", "id": item.id, "reason": "token budget"})
            messages, stable, tokens, ok = fits()
        while not ok and len(kept_attributes) > 1:
            key = next(k for k in reversed(kept_attributes) if k != "name")
            del kept_attributes[key]
            dropped.append({"what": "attribute", "key": key, "reason": "token budget"})
            messages, stable, tokens, ok = fits()
        if not ok:
            original = len(question)
            question = self._shorten(question, kept_attributes, kept_items, rules)
            dropped.append(
                {"what": "question", "kept_chars": len(question) - len(ELLIPSIS),
                 "of_chars": original, "reason": "token budget"}
            )  # fmt: skip
            messages, stable, tokens, ok = fits()
        personalized = bool(kept_attributes or kept_items)
        return BuiltPrompt(messages, kept_items, personalized, tokens, stable, list(rules), dropped)

    def _shorten(
        self,
        question: str,
        attributes: Mapping[str, str],
        items: Sequence[RetrievedItem],
        rules: Sequence[Rule],
    ) -> str:
        """The longest head-and-tail cut of *question* that fits (binary search on length)."""

        def cut(keep: int) -> str:
            head = keep * 2 // 3
            return question[:head] + ELLIPSIS + question[len(question) - (keep - head) :]

        def fits(text: str) -> bool:
            messages, _ = self._messages(text, attributes, items, rules)
            return self.count_tokens(messages) <= self.max_prompt_tokens

        low, high = 0, len(question)
        if not fits(cut(0)):
            raise PromptTooLongError(
                f"The prompt cannot fit the model's context ({self.max_prompt_tokens} tokens) "
                "even without the question: shorten the rules or the template."
            )
        while low < high:
            middle = (low + high + 1) // 2
            if fits(cut(middle)):
                low = middle
            else:
                high = middle - 1
        return cut(low)
