"""Finding constraints in a profile: attributes, remembered statements and rules.

Detection reads what the user said, not a list of known users: a trigger phrase ("vegan",
"coeliac", "very little salt") in a statement about the user, or an exclusion ("allergic to",
"I don't eat", "avoid", "no ... for me") followed by something the lexicon knows by name (or,
after a verb that is only ever about food or allergies, by its own name). Statements about
someone else ("My sister is vegan") and statements no longer true ("I'm not vegan any more")
are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from lampdesk.constraints.lexicon import Lexicon, expand, fold

_CLAUSES = re.compile(r"[.;!?\n]+|\bbut\b|\bhowever\b")
_PARTS = re.compile(
    r",|\band\b|\bor\b|&|/|\bespecially\b|\blike\b|\bsuch as\b|\bincluding\b|\be\.g\.|\bnor\b"
)
_OBJECT_END = re.compile(
    r"\b(so|because|as|since|which|when|it|they|that|unless|except|if|though|although)\b|"
    r",\s*(it|so|they|which)\b"
)
_FILLER = (
    "any", "all", "the", "a", "an", "some", "much", "too much", "foods containing",
    "food with", "most", "for me", "at all", "anything with", "things with", "even",
    "traces of", "severe", "mild", "really", "very", "bad", "serious", "to",
)  # fmt: skip


@dataclass(frozen=True)
class Found:
    """A constraint found in one place of the profile."""

    spec_id: str
    source: str
    #: For a thing the lexicon does not know: the thing itself (``spec_id`` is ``term:...``).
    literal: str = ""


@dataclass
class Constraint:
    id: str
    label: str
    kind: str
    prompt: str
    terms: tuple[str, ...]
    unless: tuple[str, ...] = ()
    sources: list[str] = field(default_factory=list)
    enabled: bool = True
    added_terms: tuple[str, ...] = ()
    allowed_terms: tuple[str, ...] = ()
    fired: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "kind": self.kind,
            "sources": self.sources,
            "enabled": self.enabled,
            "excludes": list(self.terms),
            "added_terms": list(self.added_terms),
            "allowed_terms": list(self.allowed_terms),
            "fired": self.fired,
        }


def _words_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'])" + r"\s+".join(map(re.escape, phrase.split())) + r"(?![\w'])")


class Detector:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        g = lexicon.grammar
        self._aliases = sorted(lexicon.alias_index().items(), key=lambda kv: -len(kv[0]))
        self._alias_patterns = [(_words_pattern(a), spec) for a, spec in self._aliases]
        self._triggers = [
            (_words_pattern(t), spec.id) for spec in lexicon.specs.values() for t in spec.triggers
        ]
        self._verbs = [(v, _words_pattern(v)) for v in sorted(g.exclusion_verbs, key=len)[::-1]]
        self._after = [(v, _words_pattern(v)) for v in g.exclusion_after]
        self._no_longer = [_words_pattern(p) for p in g.no_longer if p != "n't"]
        self._no_longer_after = [_words_pattern(p) for p in g.no_longer_after]
        self._others = [_words_pattern(p) for p in g.others]

    # -- one statement -------------------------------------------------------------------------

    def statement(self, text: str, source: str, *, listing: bool = False) -> list[Found]:
        """Constraints *text* states about the user; with *listing*, every thing it names is
        excluded (the value of an ``allergies`` attribute)."""
        found: list[Found] = []
        for clause in _CLAUSES.split(fold(text)):
            clause = clause.strip(" ,")
            if not clause or any(p.match(clause) for p in self._others):
                continue
            found += self._triggered(clause, source)
            found += self._excluded(clause, source)
            if listing:
                for part in _PARTS.split(clause):
                    found += self._things(part, source, literal=True)
        return found

    def _no_longer_true(self, clause: str, start: int, end: int) -> bool:
        before = " ".join(clause[:start].split()[-4:])
        if "n't" in before or any(p.search(before) for p in self._no_longer):
            return True
        return any(p.search(clause[end:]) for p in self._no_longer_after)

    def _triggered(self, clause: str, source: str) -> list[Found]:
        found = []
        for pattern, spec_id in self._triggers:
            for match in pattern.finditer(clause):
                if not self._no_longer_true(clause, match.start(), match.end()):
                    found.append(Found(spec_id, source))
                    break
        return found

    def _excluded(self, clause: str, source: str) -> list[Found]:
        found: list[Found] = []
        literal_verbs = set(self.lexicon.grammar.literal_verbs)
        taken: list[tuple[int, int]] = []
        for verb, pattern in self._verbs:
            for match in pattern.finditer(clause):
                if any(a <= match.start() < b for a, b in taken):
                    continue  # inside a longer verb already read ("can't eat" vs "eat")
                taken.append((match.start(), match.end()))
                negative = any(w in verb for w in ("n't", "not", "never", "no"))
                if not negative and self._no_longer_true(clause, match.start(), match.end()):
                    continue  # "I'm not allergic to anything", "I used to avoid sugar"
                rest = clause[match.end() :]
                end = _OBJECT_END.search(rest)
                rest = rest[: end.start()] if end else rest
                for part in _PARTS.split(rest):
                    found += self._things(part, source, literal=verb in literal_verbs)
        for verb, pattern in self._after:
            for match in pattern.finditer(clause):
                words = clause[: match.start()].split()[-3:]
                part = " ".join(w for w in words if w not in ("a", "an", "my", "have", "i"))
                found += self._things(part, source, literal=verb in literal_verbs, last=True)
        return found

    def _things(self, part: str, source: str, *, literal: bool, last: bool = False) -> list[Found]:
        part = part.strip(" ,'\"()")
        changed = True
        while changed:
            changed = False
            for filler in _FILLER:
                if part.startswith(filler + " "):
                    part, changed = part[len(filler) + 1 :].strip(), True
                if part.endswith(" " + filler):
                    part, changed = part[: -len(filler) - 1].strip(), True
        if not part:
            return []
        for pattern, spec_id in self._alias_patterns:
            match = pattern.search(part)
            # The thing must come first ("no alcohol for me"), or last before "allergy".
            if match and (len(part[: match.start()].split()) <= 1 or last):
                return [Found(spec_id, source)]
        words = part.split()
        if literal and 1 <= len(words) <= 3 and all(w.replace("-", "").isalpha() for w in words):
            return [Found(f"term:{part}", source, literal=part)]
        return []

    # -- a whole profile -----------------------------------------------------------------------

    def profile(
        self,
        attributes: Mapping[str, str],
        memories: Iterable[tuple[int, str]],
        rules: Iterable[tuple[int, str, Sequence[str]]],
    ) -> list[Found]:
        g = self.lexicon.grammar
        found: list[Found] = []
        for key, value in attributes.items():
            k = key.lower()
            if any(part in k for part in g.attribute_keys):
                listing = any(part in k for part in g.excluding_keys)
                found += self.statement(value, f"attribute {key}={value}", listing=listing)
        for memory_id, text in memories:
            found += self.statement(text, f"memory #{memory_id}: {text}")
        for rule_id, text, blocked in rules:
            found += self.statement(text, f"rule #{rule_id}: {text}")
            if blocked:
                found.append(
                    Found(f"rule:{rule_id}", f"rule #{rule_id}: {text}", ",".join(blocked))
                )
        return found


def build(
    lexicon: Lexicon, found: Iterable[Found], overrides: Mapping[str, Any]
) -> list[Constraint]:
    """One constraint per kind found (sources merged), with the user's changes applied:
    ``{"off": [id], "terms": {id: [term]}, "allowed": {id: [term]}, "added": {id: label}}``."""
    by_id: dict[str, Constraint] = {}
    for item in found:
        constraint = by_id.get(item.spec_id)
        if constraint is None:
            constraint = _new(lexicon, item)
            by_id[item.spec_id] = constraint
        if item.source not in constraint.sources:
            constraint.sources.append(item.source)
    for cid, label in dict(overrides.get("added", {})).items():
        if cid not in by_id:
            by_id[cid] = Constraint(
                cid, str(label), "exclusion", f"without:{label}", (), sources=["added by you"]
            )
    covered = {t for c in by_id.values() if not c.id.startswith("term:") for t in c.terms}
    result = []
    off = set(overrides.get("off", []))
    for constraint in by_id.values():
        if constraint.id.startswith("term:") and set(constraint.terms) <= covered:
            # "I'm allergic to walnuts" next to a tree-nut allergy: one constraint.
            continue
        added = expand(list(dict(overrides.get("terms", {})).get(constraint.id, [])))
        allowed = expand(list(dict(overrides.get("allowed", {})).get(constraint.id, [])))
        terms = tuple(t for t in (*constraint.terms, *added) if t not in allowed)
        result.append(
            replace(
                constraint,
                terms=tuple(dict.fromkeys(terms)),
                enabled=constraint.id not in off,
                added_terms=added,
                allowed_terms=allowed,
            )
        )
    return result


def _new(lexicon: Lexicon, item: Found) -> Constraint:
    spec = lexicon.specs.get(item.spec_id)
    if spec is not None:
        return Constraint(spec.id, spec.label, spec.kind, spec.prompt, spec.excludes, spec.unless)
    if item.spec_id.startswith("rule:"):
        terms = expand([t for t in item.literal.split(",") if t.strip()])
        label = "Blocked words: " + ", ".join(t for t in item.literal.split(",") if t.strip())
        return Constraint(item.spec_id, label, "rule", "", terms)
    return Constraint(item.spec_id, f"No {item.literal}", "exclusion", f"without:{item.literal}",
                      expand([item.literal]))  # fmt: skip
