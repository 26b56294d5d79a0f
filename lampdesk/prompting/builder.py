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
#: A long question is cut rather than the profile dropped, as long as this much of it fits.
MIN_QUESTION_CHARS = 200


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


@dataclass(frozen=True)
class HistoryTurn:
    """An earlier exchange of the thread, as it goes back into the prompt: its question with
    the items first shown with it (``(id, text)``), and its answer."""

    question: str
    answer: str
    items: tuple[tuple[int, str], ...] = ()
    interaction_id: int = 0


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
        history: Sequence[HistoryTurn] = (),
    ) -> tuple[list[Message], int]:
        # An item already in an earlier turn of the prompt is in the context: not repeated.
        shown: set[int] = set()
        turns: list[tuple[HistoryTurn, tuple[tuple[int, str], ...]]] = []
        for turn in history:
            new = tuple((i, text) for i, text in turn.items if i not in shown)
            shown.update(i for i, _ in new)
            turns.append((turn, new))
        values = self.values(attributes, [i for i in items if i.id not in shown], rules)
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
        # The thread's earlier turns, each as it was sent, so the previous turn's evaluated
        # state is a prefix of this prompt.
        for turn, new in turns:
            content = self._turn_question(turn.question, new, values)
            messages.append({"role": "user", "content": content})
            messages.append({"role": "assistant", "content": turn.answer})
        # The volatile parts come last: what was retrieved for this question, then the question.
        volatile = [self.template.render("items", values)] if values["items"] else []
        question_text = "\n\n".join([*volatile, question.strip()])
        messages.append({"role": "user", "content": question_text})
        return messages, len(system)

    def _turn_question(
        self, question: str, items: Sequence[tuple[int, str]], values: Mapping[str, str]
    ) -> str:
        if not items:
            return question
        listed = "\n".join(f"- {text}" for _, text in sorted(items))
        return "\n\n".join([self.template.render("items", {**values, "items": listed}), question])

    def build(
        self,
        question: str,
        attributes: Mapping[str, str],
        items: Sequence[RetrievedItem],
        *,
        rules: Sequence[Rule] = (),
        personalize: bool = True,
        history: Sequence[HistoryTurn] = (),
    ) -> BuiltPrompt:
        """Messages that fit the budget; cuts items, then the thread's oldest turns, then the
        question; the attributes only when even a cut question leaves no room for them."""
        if not personalize:
            attributes, items = {}, []
            history = [HistoryTurn(t.question, t.answer, (), t.interaction_id) for t in history]
        kept_items, kept_attributes = list(items), dict(attributes)
        kept_history = list(history)
        dropped: list[dict[str, Any]] = []

        def fits() -> tuple[list[Message], int, int, bool]:
            messages, stable = self._messages(
                question, kept_attributes, kept_items, rules, kept_history
            )
            tokens = self.count_tokens(messages)
            return messages, stable, tokens, tokens <= self.max_prompt_tokens

        messages, stable, tokens, ok = fits()
        while not ok and kept_items:
            item = kept_items.pop()  # the least relevant first
            dropped.append({"what": "item", "id": item.id, "reason": "token budget"})
            messages, stable, tokens, ok = fits()
        while not ok and kept_history:
            turn = kept_history.pop(0)  # the oldest first
            dropped.append(
                {"what": "turn", "interaction_id": turn.interaction_id, "reason": "token budget"}
            )
            messages, stable, tokens, ok = fits()
        # The profile is not given up for a long question: the question is cut first, unless
        # not even MIN_QUESTION_CHARS of it fit beside the profile.
        least = self._cut(question, min(len(question), MIN_QUESTION_CHARS))
        while (
            not ok
            and len(kept_attributes) > 1
            and not self._fits(least, kept_attributes, kept_items, rules)
        ):
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
            return self._cut(question, keep)

        def fits(text: str) -> bool:
            return self._fits(text, attributes, items, rules)

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

    @staticmethod
    def _cut(question: str, keep: int) -> str:
        head = keep * 2 // 3
        return question[:head] + ELLIPSIS + question[len(question) - (keep - head) :]

    def _fits(
        self,
        question: str,
        attributes: Mapping[str, str],
        items: Sequence[RetrievedItem],
        rules: Sequence[Rule],
    ) -> bool:
        messages, _ = self._messages(question, attributes, items, rules)
        return self.count_tokens(messages) <= self.max_prompt_tokens
