"""Candidate facts about the user, drawn from what the user wrote.

Two extractors share one output, :class:`Candidate`:

- :func:`extract_by_rules`: explicit statements ("my name is", "I am", "I prefer", "call me",
  "I live in", dates of the user's events), instant and deterministic; always on.
- :func:`extract_by_model`: the local model, asked for JSON under a llama.cpp grammar built from
  :data:`FACTS_SCHEMA`, so malformed output cannot be produced (only the model's choice of facts
  can be poor: small models are offered it, not forced to use it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: Topics a fact can be about. A *single* topic holds one current truth (a newer statement
#: replaces the older one); the others collect many facts.
SINGLE_TOPICS = ("name", "diet", "home", "work", "language", "birthday", "relationship")
MULTI_TOPICS = (
    "likes", "dislikes", "activities", "allergy", "family", "plans", "health", "other"
)  # fmt: skip
TOPICS = SINGLE_TOPICS + MULTI_TOPICS

#: What the model must produce: at most three short facts, each with a known topic.
FACTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "facts": {
            "type": "array",
            "maxItems": 3,
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "minLength": 3, "maxLength": 100},
                    "topic": {"type": "string", "enum": list(TOPICS)},
                },
                "required": ["text", "topic"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["facts"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Candidate:
    """A fact the user stated, as it will be stored, with what the update decision needs."""

    text: str
    topic: str
    #: The statement says something is no longer so ("I don't eat meat anymore").
    negated: bool = False
    #: "rules" or "model".
    extractor: str = "rules"


_SENTENCES = re.compile(r"[^.!?\n]+[.!?]?")
#: Where a sentence joins two statements: "I'm vegan, and I live in Berlin".
_CLAUSES = re.compile(r"(?:,|;)?\s+(?:and|but|also)\s+(?=(?:i|i'm|my)\b)|;\s*", re.IGNORECASE)
_FOOD = (
    r"vegan|vegetarian|pescatarian|carnivore|keto|paleo|gluten|dairy|lactose|kosher|halal|"
    r"meat|steaks?|beef|pork|bacon|chicken|fish|seafood|burgers?|sausages?|ham|lamb|tofu|"
    r"eggs?|cheese|milk|sugar|salads?|vegetables|veggies|fruit|sushi|pizza|pasta"
)
_FOOD_WORD = re.compile(rf"\b(?:{_FOOD})\b", re.IGNORECASE)
_NEGATION = re.compile(
    r"\b(?:no longer|not anymore|anymore|any more|don't|do not|doesn't|never|stopped|quit|"
    r"gave up|am not|i'm not|not a)\b",
    re.IGNORECASE,
)
#: (pattern, topic); the first that matches a sentence decides its topic.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), topic)
    for pattern, topic in (
        (r"\b(?:my name is|call me|i'm called|i am called|my name's)\s+\w", "name"),
        (rf"\bi(?:'m| am)\s+(?:now\s+|not\s+|no longer\s+)?(?:an?\s+)?(?:{_FOOD})\b", "diet"),
        (r"\bi(?:'m| am)\s+(?:now\s+)?allergic to\b", "allergy"),
        (rf"\bi\s+(?:[\w']+\s+){{0,2}}(?:eat|eating|ate)\b.*\b(?:{_FOOD})\b", "diet"),
        (r"\bi\s+(?:now\s+)?(?:live|moved|relocated|am moving|'m moving)\s+(?:in|to)\s+\w", "home"),
        (r"\bi(?:'m| am)\s+from\s+\w", "home"),
        (r"\bi\s+(?:now\s+)?work\s+(?:as|at|for|in)\s+\w|\bmy job\b|\bmy profession\b", "work"),
        (
            r"\bi(?:'m| am)\s+(?:now\s+)?an?\s+(?:\w+\s+)?(?:teacher|engineer|developer|doctor|"
            r"nurse|student|designer|writer|lawyer|manager|artist|chef|scientist|programmer|accountant|"
            r"researcher|consultant|counselor|counsellor|mechanic|farmer|photographer|musician)\b",
            "work",
        ),
        (r"\bi\s+speak\s+\w|\bmy (?:native|first) language\b", "language"),
        (r"\bmy birthday\b|\bi was born\b", "birthday"),
        (
            r"\bi(?:'m| am)\s+(?:now\s+)?(?:married|single|divorced|engaged|dating)\b|"
            r"\bmy (?:wife|husband|partner|girlfriend|boyfriend|fianc[eé]e?)\b",
            "relationship",
        ),
        (
            r"\bmy\s+(?:\w+\s+)?(?:sister|brother|mother|father|mom|mum|dad|son|daughter|kids?|"
            r"children|parents|grandma|grandmother|grandpa|grandfather|aunt|uncle|cousin|dog|cat|"
            r"pet)s?\b",
            "family",
        ),
        (r"\bi(?:'m| am)\s+allergic\b|\ballergic to\b|\bmy allergy\b", "allergy"),
        (
            r"\bi\s+(?:really\s+)?(?:hate|dislike|can't stand|cannot stand|don't like|"
            r"do not like)\b",
            "dislikes",
        ),
        (r"\bi\s+(?:really\s+)?(?:love|like|enjoy|prefer|adore)\b|\bmy favou?rite\b", "likes"),
        (
            r"\bi(?:'m| am)\s+(?:training|learning|studying|planning|saving)\s+(?:for|to)?\b|"
            r"\bi(?:'ll| will| am going to|'m going to)\s+\w+.*\b(?:next|on|in|this)\b|"
            r"\bi have (?:a|an|my)\s+\w+(?:\s+\w+)?\s+(?:on|next|this|tomorrow)\b",
            "plans",
        ),
        (
            r"\bi\s+(?:(?:usually|often|regularly|still|sometimes|rarely|never|no longer|don't|"
            r"do not|stopped|quit|gave up)\s+)?(?:play|go|run|swim|cook|paint|draw|read|write|"
            r"practi[cs]e|volunteer|collect|hike|bake|knit|garden|dance|sing|climb|cycle|ride|"
            r"meditate|coach|teach)(?:s|ing)?\b",
            "activities",
        ),
        (
            r"\bi(?:'m| am| have| was)\s+(?:been\s+)?(?:diagnosed|diabetic|pregnant|injured)\b|"
            r"\bmy (?:doctor|diagnosis|condition)\b",
            "health",
        ),
    )
)
#: Sentences that talk about the conversation, not about the user.
_NOT_A_FACT = re.compile(
    r"^\s*(?:i'm|i am)\s+(?:not sure|wondering|looking for|asking|trying to|curious|just)\b|"
    r"\b(?:can you|could you|would you|please|tell me|what|how|why|which|who)\b.*$",
    re.IGNORECASE,
)


def extract_by_rules(text: str) -> list[Candidate]:
    """The user's explicit statements about themselves in *text*, one per sentence."""
    found: list[Candidate] = []
    clauses = (
        clause for match in _SENTENCES.finditer(text) for clause in _CLAUSES.split(match.group(0))
    )
    for clause in clauses:
        sentence = " ".join(clause.split()).strip()
        if len(sentence) < 6 or sentence.endswith("?") or _NOT_A_FACT.search(sentence):
            continue
        for pattern, topic in _RULES:
            if pattern.search(sentence):
                if topic in ("likes", "dislikes") and _FOOD_WORD.search(sentence):
                    topic = "diet"  # "I love steak" says something about the diet
                negated = bool(_NEGATION.search(sentence)) and topic not in ("dislikes",)
                found.append(Candidate(_clean(sentence), topic, negated))
                break
    return unique(found)


#: Openers that are not part of the statement: "Honestly, I'm vegan".
_FILLER = re.compile(
    r"^(?:well|so|oh|and|but|also|btw|by the way|honestly|actually|anyway|ok|okay|yes|yeah|no|"
    r"hey|hi)[, ]+",
    re.IGNORECASE,
)


def _clean(sentence: str) -> str:
    sentence = sentence.strip().rstrip(",;:")
    sentence = _FILLER.sub("", sentence)
    sentence = sentence[:1].upper() + sentence[1:]
    return sentence if sentence[-1:] in ".!" else sentence + "."


def unique(candidates: Iterable[Candidate]) -> list[Candidate]:
    seen: set[str] = set()
    result = []
    for candidate in candidates:
        key = candidate.text.lower()
        if key not in seen:
            seen.add(key)
            result.append(candidate)
    return result


# -- the model's extraction ------------------------------------------------------------------

EXTRACTION_INSTRUCTIONS = (
    "Extract facts the user states about themselves (name, diet, home, work, likes, family, "
    "plans). Write each fact as a short sentence in the first person. If there are none, "
    'answer {"facts": []}. Answer with JSON only.'
)


def extraction_messages(user_text: str) -> list[dict[str, str]]:
    """The chat the model answers with JSON (a worked example first: small models need it)."""
    example = {"facts": [{"text": "I live in Lisbon.", "topic": "home"}]}
    return [
        {"role": "system", "content": EXTRACTION_INSTRUCTIONS},
        {"role": "user", "content": "I moved to Lisbon last year, what's good to eat here?"},
        {"role": "assistant", "content": json.dumps(example)},
        {"role": "user", "content": user_text},
    ]


class SchemaViolation(ValueError):
    """Output that does not match :data:`FACTS_SCHEMA` (a bug: the grammar forbids it)."""


def parse_facts(output: str) -> list[Candidate]:
    """Check *output* against :data:`FACTS_SCHEMA` and turn it into candidates."""
    try:
        data = json.loads(output)
    except json.JSONDecodeError as exc:
        raise SchemaViolation(f"not JSON: {exc}") from exc
    validate_facts(data)
    candidates = []
    for fact in data["facts"]:
        text = " ".join(fact["text"].split())
        if len(text) >= 3:
            negated = bool(_NEGATION.search(text))
            candidates.append(Candidate(_clean(text), fact["topic"], negated, "model"))
    return unique(candidates)


def validate_facts(data: Any) -> None:
    """Raise :class:`SchemaViolation` unless *data* matches :data:`FACTS_SCHEMA` exactly."""
    item_schema = FACTS_SCHEMA["properties"]["facts"]["items"]
    text_schema = item_schema["properties"]["text"]
    if not isinstance(data, dict) or set(data) != {"facts"}:
        raise SchemaViolation(f"expected an object with only 'facts', got {data!r}")
    facts = data["facts"]
    if not isinstance(facts, list) or len(facts) > FACTS_SCHEMA["properties"]["facts"]["maxItems"]:
        raise SchemaViolation(f"'facts' must be a list of at most 3, got {facts!r}")
    for fact in facts:
        if not isinstance(fact, dict) or set(fact) != {"text", "topic"}:
            raise SchemaViolation(f"a fact must have exactly 'text' and 'topic': {fact!r}")
        text = fact["text"]
        if not isinstance(text, str) or not (
            text_schema["minLength"] <= len(text) <= text_schema["maxLength"]
        ):
            raise SchemaViolation(f"a fact's text has the wrong type or length: {text!r}")
        if fact["topic"] not in TOPICS:
            raise SchemaViolation(f"unknown topic {fact['topic']!r}")
