"""What to do with a candidate fact, given the memories it resembles (after mem0's four
choices): add it, update an older memory with it, delete a memory it retracts, or nothing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lampdesk.memory.extract import Candidate, extract_by_rules, slot_of
from lampdesk.text import content_words

ACTIONS = ("add", "update", "delete", "none")
#: Word overlap (Jaccard of content words) from which two statements are about the same thing.
SAME_THING = 0.34
#: ... and from which they say the same thing.
SAME_STATEMENT = 0.75
#: A statement that only takes something back: "I no longer play tennis".
_RETRACTION = re.compile(
    r"\b(?:no longer|(?:not|n't)\b.*\b(?:anymore|any more)|(?:stopped|quit|gave up)\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Existing:
    """A stored memory as the decision sees it."""

    id: int
    text: str
    topic: str | None
    pinned: bool = False


@dataclass(frozen=True)
class Decision:
    action: str
    candidate: Candidate
    #: The memory updated, deleted, or already saying it (``None`` for an add).
    memory_id: int | None
    reason: str


def overlap(a: str, b: str) -> float:
    wa, wb = content_words(a), content_words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def topic_of(text: str) -> str | None:
    """The topic the rules give a stored text (for memories written before topics existed)."""
    found = extract_by_rules(text)
    return found[0].topic if found else None


def decide(candidate: Candidate, similar: Sequence[Existing]) -> Decision:
    """The decision for *candidate* against *similar* (its topic's memories and lexical
    neighbours)."""
    scored = sorted(
        ((overlap(candidate.text, m.text), m) for m in similar), key=lambda t: (-t[0], t[1].id)
    )
    for score, memory in scored:
        if score >= SAME_STATEMENT and _polarity(memory.text) == candidate.negated:
            return Decision("none", candidate, memory.id, f"memory {memory.id} already says it")
    same_topic = [m for m in similar if (m.topic or topic_of(m.text)) == candidate.topic]
    slot = slot_of(candidate.text, candidate.topic)
    same_slot = [m for m in same_topic if slot_of(m.text, candidate.topic) == slot]
    if slot is not None and same_slot:
        # One truth per slot (home, name, the kind of diet...): the newer statement replaces
        # the most similar one.
        target = max(same_slot, key=lambda m: (overlap(candidate.text, m.text), m.id))
        return Decision("update", candidate, target.id, f"newer statement on {candidate.topic}")
    words = content_words(candidate.text)
    related = [
        (score, m)
        for score, m in scored
        if score >= SAME_THING or (words and content_words(m.text) and _nested(words, m.text))
    ]
    if not related:
        return Decision("add", candidate, None, f"new fact on {candidate.topic}")
    score, target = related[0]
    if candidate.negated != _polarity(target.text):
        if _RETRACTION.search(candidate.text):
            return Decision("delete", candidate, target.id, "taken back by the user")
        return Decision("update", candidate, target.id, "contradicts the older memory")
    if content_words(target.text) < content_words(candidate.text):
        return Decision("update", candidate, target.id, "says more than the older memory")
    if content_words(candidate.text) <= content_words(target.text):
        return Decision("none", candidate, target.id, f"memory {target.id} already covers it")
    return Decision("add", candidate, None, f"another fact on {candidate.topic}")


def _nested(words: frozenset[str], text: str) -> bool:
    """One statement's content words hold the other's ("tea" and "green tea with mint")."""
    other = content_words(text)
    return words <= other or other <= words


def _polarity(text: str) -> bool:
    """True when *text* is a negative statement (as :class:`Candidate.negated`)."""
    found = extract_by_rules(text)
    return found[0].negated if found else False
