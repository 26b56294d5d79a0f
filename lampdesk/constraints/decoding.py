"""Enforcement while decoding: a llama-cpp-python logits processor over a token vocabulary.

It works on text, not on token ids, so every way of spelling a term with the vocabulary's
tokens is covered (" peanut", "pe"+"anut", "PEAN"+"UTS", with or without a leading space):

- a token that would *complete* an excluded term (started at a word boundary, not negated
  just before) and go on past it with a
  non-letter (" peanut,", "anut " after "pe") is never sampled;
- a token that ends exactly where a term ends is made much less likely (``SOFT_PENALTY``):
  the model usually takes another word; if it still writes the term, the next token must go
  on with letters (a longer word such as "nutmeg" or "eggplant") or turn it into a "-free"
  mention ("dairy" + "-free"); the end of the answer is not allowed there either.

Everything that depends only on the vocabulary and the terms is computed once per set of
terms (numpy arrays of token ids); per token it looks only at the last few characters.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lampdesk.constraints.lexicon import Grammar
from lampdesk.constraints.matching import negated_before

SOFT_PENALTY = 10.0
_WORD_START = re.compile(r"(?<![a-z])[a-z0-9]")
_EMPTY = np.zeros(0, dtype=np.intp)


class Vocabulary:
    """A model's tokens as lower-case text, with prefix look-ups."""

    def __init__(self, pieces: Sequence[bytes]) -> None:
        self.pieces = list(pieces)
        self.texts = [p.decode("utf-8", "ignore").lower() for p in self.pieces]
        self.size = len(self.texts)
        self.letter_start = np.array([bool(t) and t[0].isalpha() for t in self.texts])
        order = sorted(range(self.size), key=self.texts.__getitem__)
        self._sorted = [self.texts[i] for i in order]
        self._order = np.asarray(order, dtype=np.intp)
        self._exact: dict[str, list[int]] = {}
        for i, text in enumerate(self.texts):
            self._exact.setdefault(text, []).append(i)

    def starting_with(self, prefix: str) -> np.ndarray[Any, Any]:
        low = bisect.bisect_left(self._sorted, prefix)
        high = bisect.bisect_left(self._sorted, prefix + "\U0010ffff")
        return self._order[low:high]

    def exactly(self, text: str) -> list[int]:
        return self._exact.get(text, [])


def _trie_regex(terms: Iterable[str]) -> str:
    """One alternation of *terms* shaped as a trie (fast to match over a long text)."""
    trie: dict[str, Any] = {}
    for term in terms:
        node = trie
        for char in term:
            node = node.setdefault(char, {})
        node[""] = {}

    def render(node: dict[str, Any]) -> str:
        branches = [re.escape(c) + render(child) for c, child in node.items() if c]
        if not branches:
            return ""
        optional = "" in node
        body = (
            branches[0] if len(branches) == 1 and not optional else "(?:" + "|".join(branches) + ")"
        )
        if optional:
            body = body + "?" if body.startswith("(?:") else "(?:" + body + ")?"
        return body

    return render(trie)


@dataclass
class Tables:
    """What one set of terms bans, for one vocabulary."""

    terms: frozenset[str]
    unless: tuple[str, ...]
    prefixes: frozenset[str]
    #: Tokens with a whole term in them, in their first word (" peanut," "peanuts.").
    hard_first: np.ndarray[Any, Any]
    soft_first: np.ndarray[Any, Any]
    #: The same, with the term at the token's very start (counts only at a word boundary).
    hard_zero: np.ndarray[Any, Any]
    soft_zero: np.ndarray[Any, Any]
    #: Tokens that may follow a complete term: letters, or a "-free" mention on its way.
    after_term: dict[str, np.ndarray[Any, Any]]
    max_len: int
    _by_prefix: dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = field(
        default_factory=dict
    )
    vocabulary: Vocabulary | None = None

    def completing(self, prefix: str) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """(hard, soft) token ids that complete a term after *prefix* (a term's start)."""
        cached = self._by_prefix.get(prefix)
        if cached is not None:
            return cached
        assert self.vocabulary is not None
        hard: list[int] = []
        soft: list[int] = []
        for term in self.terms:
            if len(term) > len(prefix) and term.startswith(prefix):
                rest = term[len(prefix) :]
                for token in self.vocabulary.starting_with(rest):
                    text = self.vocabulary.texts[token]
                    if len(text) == len(rest):
                        soft.append(int(token))
                    elif not text[len(rest)].isalpha():
                        hard.append(int(token))
        result = (
            np.unique(np.asarray(hard, dtype=np.intp)),
            np.unique(np.asarray(soft, dtype=np.intp)),
        )
        self._by_prefix[prefix] = result
        return result


def build_tables(
    vocabulary: Vocabulary, terms: Iterable[str], unless: Iterable[str], grammar: Grammar
) -> Tables:
    terms = frozenset(t for t in terms if t)
    prefixes = frozenset(t[:k] for t in terms for k in range(1, len(t)))
    joined = "\x00".join(vocabulary.texts)
    starts = np.cumsum([0] + [len(t) + 1 for t in vocabulary.texts[:-1]])
    hard_first: list[int] = []
    soft_first: list[int] = []
    hard_zero: list[int] = []
    soft_zero: list[int] = []
    if terms:
        pattern = re.compile(r"(?<![a-z])(?=(" + _trie_regex(terms) + r")(?![a-z]))")
        for match in pattern.finditer(joined):
            token = int(np.searchsorted(starts, match.start(), side="right") - 1)
            offset = match.start() - int(starts[token])
            exact = match.end(1) - int(starts[token]) == len(vocabulary.texts[token])
            if offset == 0:
                (soft_zero if exact else hard_zero).append(token)
            else:
                (soft_first if exact else hard_first).append(token)
    after: dict[str, np.ndarray[Any, Any]] = {}
    suffixes = [s for s in grammar.free_suffixes if s]
    states = {""} | {s[:k] for s in suffixes for k in range(1, len(s))}
    for state in states:
        allowed = vocabulary.letter_start.copy() if state == "" else np.zeros(vocabulary.size, bool)
        for suffix in suffixes:
            if not suffix.startswith(state):
                continue
            rest = suffix[len(state) :]
            allowed[vocabulary.starting_with(rest)] = True
            for k in range(1, len(rest)):
                allowed[vocabulary.exactly(rest[:k])] = True
        after[state] = allowed

    def ids(values: list[int]) -> np.ndarray[Any, Any]:
        return np.unique(np.asarray(values, dtype=np.intp)) if values else _EMPTY

    return Tables(
        terms=terms,
        unless=tuple(unless),
        prefixes=prefixes,
        hard_first=ids(hard_first),
        soft_first=ids(soft_first),
        hard_zero=ids(hard_zero),
        soft_zero=ids(soft_zero),
        after_term=after,
        max_len=max((len(t) for t in terms), default=0) + 8,
        vocabulary=vocabulary,
    )


class ConstraintProcessor:
    """A logits processor (``llama_cpp.LogitsProcessorList`` member) for one generation.

    ``fired`` collects each term it kept out while it was the model's first choice.
    """

    def __init__(
        self,
        tables: Tables,
        grammar: Grammar,
        *,
        on_fired: Callable[[str], None] | None = None,
    ) -> None:
        self.tables = tables
        self.grammar = grammar
        self.vocabulary = tables.vocabulary
        self._prompt: int | None = None
        self._bytes = bytearray()
        self.text = ""
        self.fired: list[str] = []
        self._on_fired = on_fired

    def feed(self, token: int) -> None:
        assert self.vocabulary is not None
        self._bytes += self.vocabulary.pieces[token]
        self.text = self._bytes.decode("utf-8", "ignore").lower()

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        n = len(input_ids)
        if self._prompt is None:
            self._prompt = n
        while self._prompt + self._consumed < n:
            self.feed(int(input_ids[self._prompt + self._consumed]))
            self._consumed += 1
        self.apply(scores)
        return scores

    _consumed = 0

    def _fine(self, before: str) -> bool:
        # Stricter than the final check: a constraint's own qualifiers ("oat milk") do not
        # open the way here, only a negation does.
        return negated_before(before, self.grammar)

    def apply(self, scores: Any) -> None:
        """Ban and penalise, in place, the tokens that would spell an excluded term next."""
        tables = self.tables
        if not tables.terms:
            return
        text = self.text
        offset = max(0, len(text) - tables.max_len)
        tail = text[offset:]
        hard: list[np.ndarray[Any, Any]] = []
        soft: list[np.ndarray[Any, Any]] = []
        allowed: np.ndarray[Any, Any] | None = None
        here_fine = self._fine(text)
        if not here_fine:
            hard.append(tables.hard_first)
            soft.append(tables.soft_first)
            if not tail or not tail[-1].isalpha():
                hard.append(tables.hard_zero)
                soft.append(tables.soft_zero)
        for match in _WORD_START.finditer(tail):
            p = match.start()
            if p == 0 and offset > 0 and text[offset - 1].isalpha():
                continue
            piece = tail[p:]
            started = piece in tables.prefixes
            done = piece in tables.terms
            pending = ""
            if not started and not done:
                for state in tables.after_term:
                    if state and piece.endswith(state) and piece[: -len(state)] in tables.terms:
                        pending, done = state, True
                        break
                if not done:
                    continue
            if self._fine(text[: offset + p]):
                continue
            if started:
                h, s = tables.completing(piece)
                hard.append(h)
                soft.append(s)
            if done:
                mask = tables.after_term[pending]
                allowed = mask if allowed is None else allowed & mask
        top = int(np.argmax(scores))
        for ids in hard:
            if len(ids):
                scores[ids] = -np.inf
        for ids in soft:
            if len(ids):
                scores[ids] -= SOFT_PENALTY
        if allowed is not None:
            scores[~allowed] = -np.inf
        if int(np.argmax(scores)) != top:
            self._note(top)

    def _note(self, token: int) -> None:
        assert self.vocabulary is not None
        candidate = self.text[-self.tables.max_len :] + self.vocabulary.texts[token]
        for term in self.tables.terms:
            index = candidate.find(term)
            if index >= 0 and (index == 0 or not candidate[index - 1].isalpha()):
                self.fired.append(term)
                if self._on_fired is not None:
                    self._on_fired(term)
                return
        if self.tables.terms:
            # A term already complete just before: what was kept out was its end.
            for term in self.tables.terms:
                if self.text.endswith(term):
                    self.fired.append(term)
                    return
