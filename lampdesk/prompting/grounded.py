"""Grounded answers: a question about the user's own facts, answered from the item that holds it.

The model chooses among quotes of the retrieved items and the profile's attributes (see
:mod:`lampdesk.prompting.quotes`), "Not mentioned" always among them. The chosen quote becomes the
answer, said as a sentence where the item allows it (a short statement the user made about
themselves, turned to the second person: "Your sister Lea lives in Porto."), and the answer names
the memory or attribute it came from. When "Not mentioned" wins, or nothing was retrieved, the
answer says LampDesk does not know: nothing is invented.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lampdesk.prompting import quotes, routing
from lampdesk.retrieval.retriever import RetrievedItem
from lampdesk.text import ascii_words, stem

UNKNOWN = "I don't know: nothing you've told me says."
#: A remembered statement up to this many words is said back whole, as the answer's sentence.
SENTENCE_WORDS = 20
#: Attributes that are not facts a question asks for.
_NOT_FACTS = frozenset({"tone", "always_remember"})
#: Words a question may use for what an attribute holds ("Where do I live?" asks the city). An
#: attribute is offered as an answer only when the question says its key or one of these.
ATTRIBUTE_WORDS: Mapping[str, str] = {
    "city": "live lives living city town home based located",
    "town": "live lives living city town home based located",
    "home": "live lives living home based located",
    "location": "live lives living where based located",
    "country": "country live lives living from",
    "diet": "diet eat eating food vegan vegetarian",
    "name": "name called call",
    "job": "job work working occupation profession living",
    "occupation": "job work working occupation profession living",
    "work": "job work working occupation profession living",
    "age": "age old",
    "birthday": "birthday born",
    "language": "language speak",
}
_DATE = re.compile(r"^\([^)]*\)\s*")
#: An item said by someone ("Caroline: ..."), as imported conversations are.
_SPEAKER = re.compile(r"^[^\W\d][\w .'-]{0,39}:\s")
#: First person to second, longest forms first.
_SWAPS = (
    (r"\bI am\b", "you are"), (r"\bI'm\b", "you're"), (r"\bI was\b", "you were"),
    (r"\bI've\b", "you've"), (r"\bI'd\b", "you'd"), (r"\bI'll\b", "you'll"),
    (r"\bI\b", "you"), (r"\bmy\b", "your"), (r"\bmine\b", "yours"), (r"\bme\b", "you"),
    (r"\bmyself\b", "yourself"), (r"\bour\b", "your"), (r"\bours\b", "yours"),
)  # fmt: skip


@dataclass(frozen=True)
class Source:
    """Where a grounded answer came from: a memory (``id``, ``text``) or an attribute."""

    kind: str
    ref: str
    text: str

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "ref": self.ref, "text": self.text}

    def citation(self) -> str:
        if self.kind == "memory":
            return f"(from memory #{self.ref}: \u201c{self.text}\u201d)"
        return f"(from your profile: {self.ref.replace('_', ' ')} = {self.text})"


@dataclass(frozen=True)
class Grounded:
    answer: str
    #: The quote the model chose; ``None`` when nothing known answers the question.
    quote: str | None
    source: Source | None
    #: The chosen quote's score minus "Not mentioned"'s (``None`` without a model call).
    margin: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "quote": self.quote,
            "source": self.source.as_json() if self.source else None,
            "margin": None if self.margin is None else round(self.margin, 3),
        }


@dataclass(frozen=True)
class Choice:
    """The candidates the model is asked to choose among, each with where it came from."""

    question: str
    candidates: list[quotes.Candidate]
    sources: list[Source | None]

    @property
    def texts(self) -> list[str]:
        return [c.text for c in self.candidates]


def choices(question: str, items: Sequence[RetrievedItem], attributes: Mapping[str, str]) -> Choice:
    """Quotes of *items* (best first) and of *attributes*, and "Not mentioned" last."""
    found = quotes.scored_candidates(question, items)
    top = list(items)[: quotes.QUOTED_ITEMS]
    sources: list[Source | None] = []
    for c in found:
        if c.item is None:
            sources.append(None)
        else:
            item = top[c.item]
            sources.append(Source("memory", str(item.id), _DATE.sub("", item.text).strip()))
    asked = _stems(question)
    extra: list[quotes.Candidate] = []
    extra_sources: list[Source | None] = []
    taken = {c.text.lower() for c in found}
    # The attributes describe the user: they do not answer a question about their sister.
    for key, value in [] if routing.names_a_relation(question) else attributes.items():
        value = value.strip()
        if key in _NOT_FACTS or not value or value.lower() in taken:
            continue
        anchor = len(_stems(f"{key.replace('_', ' ')} {ATTRIBUTE_WORDS.get(key, '')}") & asked)
        if not anchor:
            continue  # the question does not ask what this attribute says
        # Ranked after the retrieved items: a memory that matches says more than an attribute.
        extra.append(quotes.Candidate(value[:1].upper() + value[1:], len(top), anchor))
        extra_sources.append(Source("attribute", key, value))
    # "Not mentioned" stays last.
    return Choice(
        question,
        [*found[:-1], *extra, found[-1]],
        [*sources[:-1], *extra_sources, sources[-1]],
    )


def answer_from(choice: Choice, scores: Sequence[float]) -> Grounded:
    """The grounded answer for the model's *scores* of *choice*'s candidates (prior added)."""
    if not scores:
        return Grounded(UNKNOWN, None, None)
    total = [s + c.prior() for s, c in zip(scores, choice.candidates, strict=False)]
    best = max(range(len(total)), key=lambda i: (total[i], -i))
    margin = total[best] - total[-1]
    source = choice.sources[best]
    if source is None:
        return Grounded(UNKNOWN, None, None, margin)
    quote = choice.candidates[best].text
    return Grounded(f"{sentence(quote, source)}\n{source.citation()}", quote, source, margin)


def unknown() -> Grounded:
    return Grounded(UNKNOWN, None, None)


def sentence(quote: str, source: Source) -> str:
    """The answer said as a sentence: a short statement the user made, in the second person,
    when it holds the quote; otherwise the quote itself (also for what someone else said)."""
    text = source.text.strip()
    first_person = re.search(r"\b(?:I|I'm|my|My|we|our|Our)\b", text)
    if (
        source.kind == "memory"
        and first_person
        and not _SPEAKER.match(text)
        and len(text.split()) <= SENTENCE_WORDS
        and quote.lower() in text.lower()
    ):
        said = second_person(text)
        return said if said.endswith((".", "!", "?")) else said + "."
    return quote if quote.endswith((".", "!", "?")) else quote + "."


def second_person(text: str) -> str:
    """*text*, a statement in the first person, addressed back to its author."""
    for pattern, replacement in _SWAPS:
        text = re.sub(pattern, replacement, text, flags=re.IGNORECASE)
    return text[:1].upper() + text[1:]


def _stems(text: str) -> set[str]:
    return {stem(w) for w in ascii_words(text)}


class Chooser(Protocol):
    """What grounding needs of the engine (see ``Engine.choose``)."""

    def choose(
        self,
        messages: Sequence[dict[str, str]],
        choices: Sequence[str],
        *,
        baseline: Sequence[dict[str, str]] | None = None,
        per_token: bool = False,
        cancel: threading.Event | None = None,
    ) -> list[float]: ...


def answer(
    engine: Chooser,
    question: str,
    messages: Sequence[dict[str, str]],
    items: Sequence[RetrievedItem],
    attributes: Mapping[str, str],
    cancel: threading.Event | None = None,
) -> Grounded | None:
    """The grounded answer to *question* from *items* and *attributes* (shown in *messages*);
    ``None`` when cancelled. Nothing to choose from: "I don't know", without asking the model."""
    choice = choices(question, items, attributes)
    if len(choice.candidates) == 1:
        return unknown()
    # Days all look alike to the model whatever is asked: no baseline for them, and a mean
    # per token so "the week before 9 June 2023" is not beaten by "9 June 2023" for length.
    when = quotes.is_when_question(question)
    base = None if when else quotes.baseline(messages)
    scores = engine.choose(messages, choice.texts, baseline=base, per_token=when, cancel=cancel)
    if not scores:
        return None
    return answer_from(choice, scores)
