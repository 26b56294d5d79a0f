"""The final check: does a finished answer name something a constraint excludes?

Stricter than the check while decoding: the answer is normalised first (accents, full-width
forms, soft hyphens and zero-width characters), and a term written with hyphens, dots or
stars between its letters ("pea-nut", "p.e.a.n.u.t") still counts. A mention is fine when it
is negated just before ("no peanuts", "without any dairy"), marked "-free" just after
("dairy-free"), or qualified by one of the constraint's own words ("oat milk" for a vegan).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from lampdesk.constraints.detect import Constraint
from lampdesk.constraints.lexicon import Grammar

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_SPLIT = r"[-.*_·'\u2010\u2011]?"
#: Words back from a mention that a negation may be ("no nuts or peanuts").
NEGATION_WINDOW = 3
_SENTENCE_END = re.compile(r"[.!?\n:]")


def normalise(text: str) -> str:
    """Lower-case, without accents, zero-width characters or compatibility forms."""
    text = unicodedata.normalize("NFKD", text.translate(_INVISIBLE))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.lower().replace("\u2019", "'")


def negated_before(before: str, grammar: Grammar) -> bool:
    """Whether *before* (the text up to a mention) ends with a negation of it."""
    before = before.lower()[-80:]
    ends = list(_SENTENCE_END.finditer(before))
    if ends:
        before = before[ends[-1].end() :]
    words = re.findall(r"[a-z']+(?:-[a-z']+)*", before)[-(NEGATION_WINDOW + 1) :]
    if not words:
        return False
    last = words[-NEGATION_WINDOW:]
    for cue in grammar.negations:
        if cue == "n't":
            if any(w.endswith("n't") for w in last):
                return True
        elif " " in cue:
            if re.search(r"(?<![a-z])" + re.escape(cue) + r"(?![a-z])", " ".join(words)):
                return True
        elif cue in last:
            return True
    return False


def qualified(before: str, unless: Sequence[str]) -> bool:
    """Whether the word (or two) right before a mention is one that makes it fine."""
    words = re.findall(r"[a-z0-9%.']+(?:-[a-z0-9]+)*", before.lower()[-40:])
    if not words or re.search(r"[.!?,;:\n]\s*$", before):
        return False
    return words[-1] in unless or (len(words) > 1 and f"{words[-2]} {words[-1]}" in unless)


def free_after(after: str, grammar: Grammar) -> bool:
    after = after.lower()
    return any(after.startswith(suffix) for suffix in grammar.free_suffixes)


@dataclass(frozen=True)
class Violation:
    constraint: str
    term: str
    #: What the answer actually says (its own spelling), e.g. "Pea-nuts".
    said: str
    start: int


def _term_pattern(term: str) -> str:
    parts = []
    for char in term:
        if char == " ":
            parts.append(r"[\s-]+")
        elif char.isalnum():
            parts.append(re.escape(char) + _SPLIT)
        else:
            parts.append(re.escape(char))
    return "".join(parts).removesuffix(_SPLIT)


class Checker:
    def __init__(self, constraints: Sequence[Constraint], grammar: Grammar) -> None:
        self.grammar = grammar
        self.constraints = [c for c in constraints if c.enabled and c.terms]
        self._patterns: list[tuple[Constraint, re.Pattern[str], dict[str, str]]] = []
        for c in self.constraints:
            terms = sorted(set(c.terms), key=len, reverse=True)
            pattern = re.compile(
                r"(?<![a-z0-9])(?:" + "|".join(_term_pattern(t) for t in terms) + r")(?![a-z])"
            )
            squashed = {re.sub(r"[^a-z0-9]", "", t): t for t in terms}
            self._patterns.append((c, pattern, squashed))

    def violations(self, answer: str) -> list[Violation]:
        text = normalise(answer)
        if len(text) != len(answer):
            answer = text  # offsets must match the text searched
        found: list[Violation] = []
        for constraint, pattern, squashed in self._patterns:
            for match in pattern.finditer(text):
                before, after = text[: match.start()], text[match.end() :]
                if free_after(after, self.grammar) or negated_before(before, self.grammar):
                    continue
                if qualified(before, constraint.unless):
                    continue
                key = re.sub(r"[^a-z0-9]", "", match.group())
                term = squashed.get(key, key)
                said = answer[match.start() : match.end()]
                found.append(Violation(constraint.id, term, said, match.start()))
        return sorted(found, key=lambda v: v.start)
